"""Long tables (``unique_id``, ``ds``, ``y`` and covariates) in and out, with
the horizon's covariates as a table of their own."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest

from sktagembed import TimeXerRegressor, make_forecast_frame
from sktagembed.exceptions import IgnoredParameterWarning, InputValueError
from sktagembed.forecasting._long_format import LongTable

SMALL = {"lookback": 8, "patch_len": 4, "d_model": 8, "n_heads": 2, "d_ff": 8,
         "max_epochs": 1, "batch_size": 16, "random_state": 0}
HORIZON = 3
IDS = ["a", "b", "c"]


def long_panel(n_steps=30, seed=0):
    """Three hourly series: a target, a known-future ``temp_fc`` and a
    past-only ``load``; and the horizon's ``temp_fc`` as its own table."""
    rng = np.random.default_rng(seed)
    parts, future = [], []
    for k, uid in enumerate(IDS):
        ds = pd.date_range("2024-01-01", periods=n_steps + HORIZON, freq="h")
        temp = np.sin(np.arange(len(ds)) / 4) + k
        load = rng.normal(size=len(ds))
        y = 10 * k + 2 * temp + 0.1 * load
        parts.append(pd.DataFrame({"unique_id": uid, "ds": ds[:n_steps],
                                   "y": y[:n_steps], "temp_fc": temp[:n_steps],
                                   "load": load[:n_steps]}))
        future.append(pd.DataFrame({"unique_id": uid, "ds": ds[n_steps:],
                                    "temp_fc": temp[n_steps:]}))
    return pd.concat(parts, ignore_index=True), pd.concat(future, ignore_index=True)


@pytest.fixture(scope="module")
def fitted():
    df, future = long_panel()
    model = TimeXerRegressor(horizon=HORIZON, future_covariates=["temp_fc"],
                             quantiles=[0.1, 0.9], **SMALL).fit(df)
    return model, df, future


def test_a_long_table_is_fitted_and_forecast_as_the_wide_form(fitted):
    model, df, future = fitted
    forecast = model.forecast(df, future=future)
    assert forecast.columns.tolist() == ["unique_id", "ds", "prediction", "0.1",
                                         "0.9"]
    assert forecast["unique_id"].tolist() == [u for u in IDS for _ in range(HORIZON)]
    last = df["ds"].max()
    assert forecast["ds"].tolist() == [last + pd.Timedelta(hours=k)
                                       for _ in IDS for k in range(1, 4)]
    # The same model on the same data in the wide form of make_forecast_frame.
    X, y = make_forecast_frame(df.set_index("ds"), "y", HORIZON,
                               group_column="unique_id",
                               future_covariates=["temp_fc"])
    wide = TimeXerRegressor(group_column="unique_id", future_covariates=["temp_fc"],
                            quantiles=[0.1, 0.9], **SMALL).fit(X, y)
    both = pd.concat([df, future]).sort_values(["unique_id", "ds"]).set_index("ds")
    expected = wide.forecast(both)
    np.testing.assert_allclose(forecast["prediction"], expected["prediction"],
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(forecast[["0.1", "0.9"]], expected[["0.1", "0.9"]],
                               rtol=1e-5, atol=1e-6)
    # The horizon's rows may also sit in the history, the target missing.
    np.testing.assert_allclose(model.forecast(pd.concat([df, future]))["prediction"],
                               forecast["prediction"])


def test_the_future_table_is_read(fitted):
    model, df, future = fitted
    before = model.forecast(df, future=future)["prediction"].to_numpy()
    changed = future.assign(temp_fc=future["temp_fc"] + 5.0)
    after = model.forecast(df, future=changed)["prediction"].to_numpy()
    assert not np.allclose(before, after)
    # Columns future does not need are not read.
    noisy = future.assign(load=1e6, other="text")
    np.testing.assert_allclose(model.forecast(df, future=noisy)["prediction"],
                               before)


def test_row_order_does_not_matter():
    df, future = long_panel()
    shuffled = df.sample(frac=1.0, random_state=1)
    params = {"horizon": HORIZON, "future_covariates": ["temp_fc"], **SMALL}
    ordered = TimeXerRegressor(**params).fit(df)
    mixed = TimeXerRegressor(**params).fit(shuffled)
    np.testing.assert_allclose(
        mixed.forecast(shuffled, future=future.iloc[::-1])["prediction"],
        ordered.forecast(df, future=future)["prediction"], rtol=1e-5, atol=1e-6)
    # predict answers row by row, in the order of the table it is given.
    np.testing.assert_allclose(mixed.predict(shuffled),
                               ordered.predict(df)[shuffled.index.to_numpy()],
                               rtol=1e-5, atol=1e-6)


def test_predict_score_and_persistence(fitted):
    model, df, future = fitted
    assert model.predict(df).shape == (len(df), HORIZON)
    assert model.predict_quantiles(df).shape == (len(df), HORIZON, 2)
    assert np.isfinite(model.score(df))
    loaded = pickle.loads(pickle.dumps(model))
    forecast = model.forecast(df, future=future)
    pd.testing.assert_frame_equal(loaded.forecast(df, future=future), forecast)
    # Times with a zone are read in UTC and given back in their zone.
    zoned = [t.assign(ds=t["ds"].dt.tz_localize("UTC").dt.tz_convert("Asia/Tokyo"))
             for t in (df, future)]
    forecast_zoned = model.forecast(zoned[0], future=zoned[1])
    assert str(forecast_zoned["ds"].dt.tz) == "Asia/Tokyo"
    np.testing.assert_allclose(forecast_zoned["prediction"], forecast["prediction"])


def test_other_column_names_integer_steps_and_one_series():
    df, _ = long_panel()
    one = df[df["unique_id"] == "b"].drop(columns="unique_id")
    one = one.rename(columns={"ds": "t", "y": "sales"})
    one["t"] = np.arange(100, 100 + 2 * len(one), 2)  # a step of 2
    model = TimeXerRegressor(horizon=HORIZON, id_column=None, time_column="t",
                             target="sales", **SMALL).fit(one)
    forecast = model.forecast(one)
    assert forecast.columns.tolist()[:3] == ["t", "prediction", "0.1"]
    last = one["t"].max()
    assert forecast["t"].tolist() == [last + 2, last + 4, last + 6]


def test_the_wide_form_is_unchanged_and_warns_of_long_table_names():
    df, _ = long_panel()
    X, y = make_forecast_frame(df.set_index("ds"), "y", HORIZON,
                               group_column="unique_id")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TimeXerRegressor(group_column="unique_id", **SMALL).fit(X, y)
    with pytest.warns(IgnoredParameterWarning, match="target='sales' is ignored"):
        TimeXerRegressor(group_column="unique_id", target="sales",
                         **SMALL).fit(X, y)
    with pytest.raises(InputValueError, match="horizon=5, but y holds 3 steps"):
        TimeXerRegressor(group_column="unique_id", horizon=5, **SMALL).fit(X, y)
    model = TimeXerRegressor(group_column="unique_id", **SMALL).fit(X, y)
    with pytest.raises(InputValueError, match="fitted on a wide one"):
        model.forecast(X, future=df)


@pytest.mark.parametrize(("params", "drop", "message"), [
    ({}, "unique_id", r"no column 'unique_id' \(id_column\).*None for a table "
                      "of one series"),
    ({}, "ds", r"no column 'ds' \(time_column\)"),
    ({}, "y", r"no column 'y' \(target\)"),
    ({"horizon": None}, None, r"horizon=\.\.\. \(the number of steps"),
    ({"group_column": "unique_id"}, None, "leave group_column and groups out"),
    ({"mode": "M"}, None, "mode must be 'MS'"),
])
def test_fit_errors_name_the_column_or_parameter(params, drop, message):
    df, _ = long_panel()
    if drop is not None:
        df = df.drop(columns=drop)
    model = TimeXerRegressor(**{"horizon": HORIZON, **SMALL, **params})
    with pytest.raises(InputValueError, match=message):
        model.fit(df)


def test_table_errors_name_the_series_and_the_time():
    df, _ = long_panel()
    model = TimeXerRegressor(horizon=HORIZON, **SMALL)
    repeated = pd.concat([df, df.iloc[[40]]])
    with pytest.raises(InputValueError, match=r"two rows for series 'b' at the "
                                              r"time 2024-01-01 10:00:00"):
        model.fit(repeated)
    gap = df.drop(index=45)  # series 'b' skips 15:00
    with pytest.raises(InputValueError, match=r"'ds' of series 'b' has an "
                       r"irregular step: 2024-01-01 16:00:00 comes 0 days "
                       r"02:00:00 after 2024-01-01 14:00:00"):
        model.fit(gap)
    text = df.assign(ds=df["ds"].astype(str).where(df.index != 7, "soon"))
    with pytest.raises(InputValueError, match="holds 'soon' at row 7, which is "
                                              "not a date"):
        model.fit(text)
    # Dates written as text are read as dates.
    text = df.assign(ds=df["ds"].astype(str))
    frame, _ = LongTable("unique_id", "ds", "y").wide(text)
    assert isinstance(frame.index, pd.DatetimeIndex)


def test_future_table_errors(fitted):
    model, df, future = fitted
    cases = [
        (future[future["unique_id"] != "b"],
         r"Series 'b': the forecast of 3 steps .* and 0 of those steps have them"),
        (future.drop(index=future.index[-1]),
         r"Series 'c': the forecast of 3 steps .* and 2 of those steps"),
        (future.drop(columns="temp_fc"),
         r"future has no column 'temp_fc' \(future_covariates\)"),
        (pd.concat([future, future.assign(unique_id="z")]),
         r"future holds the series \['z'\], which X \(the history\) lacks"),
        (pd.concat([future, df[["unique_id", "ds", "temp_fc"]].iloc[[5]]]),
         "future repeats series 'a' at the time 2024-01-01 05:00:00"),
        (future.assign(y=1.0), "future holds values of the target 'y'"),
    ]
    for table, message in cases:
        with pytest.raises(InputValueError, match=message):
            model.forecast(df, future=table)
    with pytest.raises(InputValueError, match=r"3 steps .* in X \(or future=\.\.\.\)"):
        model.forecast(df)


def test_series_of_different_steps_are_refused_by_name():
    hourly = pd.DataFrame({"unique_id": "a", "y": np.arange(12.0),
                           "ds": pd.date_range("2024-01-01", periods=12, freq="h")})
    daily = hourly.assign(unique_id="b",
                          ds=pd.date_range("2024-01-01", periods=12, freq="D"))
    with pytest.raises(InputValueError, match=r"series 'b' steps by 1 days "
                       r"00:00:00 and series 'a' steps by 0 days 01:00:00, but "
                       r"one model reads one time step"):
        LongTable("unique_id", "ds", "y").wide(pd.concat([hourly, daily]))
    # Months of 28 to 31 days are one step.
    months = [pd.DataFrame({"unique_id": name, "y": np.arange(5.0),
                            "ds": pd.date_range(start, periods=5, freq="MS")})
              for name, start in [("jan", "2023-01-01"), ("feb", "2023-02-01")]]
    frame, _ = LongTable("unique_id", "ds", "y").wide(pd.concat(months))
    assert len(frame) == 10


def test_calendar_steps_are_regular():
    months = pd.date_range("2020-01-01", periods=14, freq="MS")
    df = pd.DataFrame({"ds": months, "y": np.arange(14.0)})
    frame, _ = LongTable(None, "ds", "y").wide(df.iloc[::-1])
    assert frame.index.equals(pd.DatetimeIndex(months, name="ds"))


def test_tags_meet_a_long_table_by_column_name_and_series_id():
    df, future = long_panel()
    series_tags = pd.DataFrame({"kind": ["x", "y", "x"]}, index=IDS)
    feature_tags = pd.DataFrame({"weather": [True, False],
                                 "grid": [False, True]},
                                index=["temp_fc", "load"])
    model = TimeXerRegressor(horizon=HORIZON, future_covariates=["temp_fc"],
                             series_tags=series_tags, feature_tags=feature_tags,
                             **SMALL).fit(df)
    assert model.variable_embeddings_.index.tolist() == ["load", "temp_fc"]
    forecast = model.forecast(df, future=future)
    assert forecast["unique_id"].unique().tolist() == IDS
    assert np.isfinite(forecast["prediction"]).all()


FEATURE_TAGS = pd.DataFrame({"weather": [True, False], "grid": [False, True]},
                            index=["temp_fc", "load"])


@pytest.fixture(scope="module")
def long_and_wide():
    """One tagged model fitted on the long table, one on its wide form, with
    the same random_state; the wide form's X and y."""
    df, _ = long_panel()
    params = {"future_covariates": ["temp_fc"], "feature_tags": FEATURE_TAGS,
              **SMALL}
    long_model = TimeXerRegressor(horizon=HORIZON, **params).fit(df)
    X, y = make_forecast_frame(df.set_index("ds"), "y", HORIZON,
                               group_column="unique_id",
                               future_covariates=["temp_fc"])
    wide_model = TimeXerRegressor(group_column="unique_id", **params).fit(X, y)
    return long_model, wide_model, df, X, y


def test_scored_rows_are_rows_of_the_long_table(long_and_wide):
    long_model, wide_model, df, X, y = long_and_wide
    # The wide form keeps every row of df, in df's order.
    expected = wide_model.scored_rows(X, y)
    assert 0 < len(expected) < len(df)
    np.testing.assert_array_equal(long_model.scored_rows(df), expected)
    shuffled = df.sample(frac=1.0, random_state=2)
    np.testing.assert_array_equal(
        long_model.scored_rows(shuffled),
        np.flatnonzero(np.isin(shuffled.index.to_numpy(), expected)))


def test_tag_importance_of_a_long_table_is_the_wide_forms(long_and_wide):
    long_model, wide_model, df, X, y = long_and_wide
    expected = wide_model.tag_importance(X, y, n_repeats=2, random_state=0)
    for table in (df, df.sample(frac=1.0, random_state=2)):
        importance = long_model.tag_importance(table, n_repeats=2,
                                               random_state=0)
        pd.testing.assert_frame_equal(importance, expected, rtol=1e-5,
                                      atol=1e-7)
    permuted = long_model.tag_importance(df, method="permutation",
                                         n_repeats=2, random_state=0)
    pd.testing.assert_frame_equal(
        permuted, wide_model.tag_importance(X, y, method="permutation",
                                            n_repeats=2, random_state=0),
        rtol=1e-5, atol=1e-7)


def test_the_full_window_scorer_reads_a_long_table(long_and_wide):
    from sktagembed.model_selection import full_window_scorer

    long_model, wide_model, df, X, y = long_and_wide
    scorer = full_window_scorer("neg_mean_squared_error")
    expected = scorer(wide_model, X, y)
    assert scorer(long_model, df, None) == pytest.approx(expected, rel=1e-5)
    shuffled = df.sample(frac=1.0, random_state=2)
    assert scorer(long_model, shuffled, None) == pytest.approx(expected, rel=1e-5)
    assert long_model.score(df) == pytest.approx(wide_model.score(X, y),
                                                 rel=1e-5)


def test_a_table_of_the_other_form_is_an_error_naming_the_fix(long_and_wide):
    long_model, wide_model, df, X, y = long_and_wide
    wide_fix = r"fitted on a wide table \(fit\(X, y\)\): fit it on the long table"
    for call in (lambda: wide_model.scored_rows(df),
                 lambda: wide_model.tag_importance(df),
                 lambda: wide_model.score(df),
                 lambda: wide_model.predict(df),
                 lambda: wide_model.predict_quantiles(df),
                 lambda: wide_model.forecast(df)):
        with pytest.raises(InputValueError, match=wide_fix):
            call()
    long_fix = (r"fitted on a long table \(fit\(X\) without y\): give X as a "
                r"long table, with the columns \['unique_id', 'ds'\]")
    for call in (lambda: long_model.scored_rows(X, y),
                 lambda: long_model.tag_importance(X, y),
                 lambda: long_model.score(X, y),
                 lambda: long_model.predict(X),
                 lambda: long_model.forecast(X),
                 lambda: long_model.scored_rows(X.to_numpy())):
        with pytest.raises(InputValueError, match=long_fix):
            call()
    with pytest.raises(InputValueError, match=r"tag_importance of a model "
                       r"fitted on a long table reads the targets from its "
                       r"column 'y' \(target\); leave y out"):
        long_model.tag_importance(df, y)
    with pytest.raises(InputValueError, match="leave groups out"):
        long_model.scored_rows(df, groups=df["unique_id"])
