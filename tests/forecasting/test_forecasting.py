"""TimeXerRegressor as a forecaster: known-future covariates without leakage,
quantiles, forecasts past the end of the data, context rows and weights."""

import warnings

import numpy as np
import pandas as pd
import pytest
import torch

from sktagembed import TimeXerRegressor, make_forecast_frame
from sktagembed.exceptions import IgnoredParameterWarning

SMALL = {"lookback": 8, "patch_len": 4, "d_model": 16, "n_heads": 2, "d_ff": 16,
         "max_epochs": 2, "batch_size": 16, "random_state": 0}
HORIZON = 3


def priced_frame(n_rows=160, seed=0):
    """An hourly price driven by a day-ahead forecast known one step early."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2024-01-01", periods=n_rows, freq="h")
    forecast = np.sin(np.arange(n_rows) / 5) + 0.1 * rng.normal(size=n_rows)
    load = rng.normal(size=n_rows)
    price = 2 * forecast + 0.3 * load + 0.1 * rng.normal(size=n_rows)
    return pd.DataFrame({"load": load, "forecast": forecast, "price": price},
                        index=index)


def fitted(**params):
    X, y = make_forecast_frame(priced_frame(), "price", HORIZON,
                               future_covariates=["forecast"])
    model = TimeXerRegressor(**{**SMALL, "future_covariates": ["forecast"],
                                **params})
    return model.fit(X, y), X, y


# -- known-future covariates ----------------------------------------------------


def test_make_forecast_frame_keeps_context_rows_for_future_covariates():
    df = priced_frame(20)
    X, y = make_forecast_frame(df, "price", HORIZON, future_covariates=["forecast"])
    assert len(X) == len(df)  # every row: the last ones carry the covariates
    assert y.iloc[-HORIZON:].isna().any(axis=1).all()
    assert y.iloc[:-HORIZON].notna().all().all()
    plain, _ = make_forecast_frame(df, "price", HORIZON)
    assert len(plain) == len(df) - HORIZON


@pytest.mark.parametrize("t", [30, 100, 150])
def test_the_forecast_at_t_reads_nothing_after_t_but_the_future_covariates(t):
    model, X, _ = fitted()
    base = model.predict(X)[t]
    for column in ("load", "price"):  # past-only columns, the target's too
        changed = X.copy()
        changed.iloc[t + 1:, changed.columns.get_loc(column)] += 100.0
        np.testing.assert_array_equal(model.predict(changed)[t], base)
    for step in range(1, HORIZON + 1):  # each covariate value of the horizon
        if t + step >= len(X):
            continue
        changed = X.copy()
        changed.iloc[t + step, changed.columns.get_loc("forecast")] += 5.0
        assert not np.allclose(model.predict(changed)[t], base)
    beyond = X.copy()
    beyond.iloc[t + HORIZON + 1:, beyond.columns.get_loc("forecast")] += 5.0
    np.testing.assert_array_equal(model.predict(beyond)[t], base)


def test_future_covariates_are_one_token_over_lookback_and_horizon():
    model, _, _ = fitted()
    assert model.future_columns_ == ["forecast"]
    assert model.exogenous_columns_ == ["load"]
    assert model.net_.module_.future_embedding.in_features == 8 + HORIZON


def test_future_covariates_cannot_be_the_target_or_unknown():
    X, y = make_forecast_frame(priced_frame(), "price", HORIZON)
    with pytest.raises(ValueError, match="not columns of X"):
        TimeXerRegressor(**SMALL, future_covariates=["nope"]).fit(X, y)
    with pytest.raises(ValueError, match="cannot be known in advance"):
        TimeXerRegressor(**SMALL, endogenous="price",
                         future_covariates=["price"]).fit(X, y)
    with pytest.raises(ValueError, match="mode='MS'"):
        TimeXerRegressor(**SMALL, mode="M", future_covariates=["load"]).fit(
            X, np.tile(y.to_numpy(), 3))


# -- context rows and weights ---------------------------------------------------


def test_context_rows_and_zero_weights_are_never_trained_on():
    X, y = make_forecast_frame(priced_frame(), "price", HORIZON)
    y = y.to_numpy().copy()
    unknown = y.copy()
    unknown[40:60] = np.nan
    garbage = y.copy()
    garbage[40:60] = 1e6
    weight = np.ones(len(y))
    weight[40:60] = 0
    by_nan = TimeXerRegressor(**SMALL).fit(X, unknown).predict(X)
    by_weight = TimeXerRegressor(**SMALL).fit(X, garbage,
                                              sample_weight=weight).predict(X)
    np.testing.assert_allclose(by_nan, by_weight, rtol=1e-6, atol=1e-6)


def test_a_weight_counts_as_that_many_copies_of_the_row():
    # A series weighted 3 on some rows and 2 elsewhere trains as a panel of
    # two copies of it weighted 1 and (2 or 1): every row counts 3 or 2
    # times in both. (Repeating a row inside one series would change the
    # windows after it; a copy as a second series does not.)
    X, y = make_forecast_frame(priced_frame(), "price", HORIZON)
    n = len(X)
    some = np.random.default_rng(1).random(n) < 0.3
    params = {**SMALL, "batch_size": 4 * n, "dropout": 0.0, "max_epochs": 3}
    weighted = TimeXerRegressor(**params).fit(
        X, y, sample_weight=np.where(some, 3.0, 2.0)).predict(X)
    copies = np.r_[np.zeros(n), np.ones(n)]
    panel = TimeXerRegressor(**params).fit(
        pd.concat([X, X]), pd.concat([y, y]), groups=copies,
        sample_weight=np.r_[np.ones(n), np.where(some, 2.0, 1.0)])
    repeated = panel.predict(pd.concat([X, X]), groups=copies)[:n]
    np.testing.assert_allclose(weighted, repeated, rtol=1e-5, atol=1e-5)
    # Positive control: the weights change the fit far more than that, and
    # weights of one everywhere change nothing.
    plain = TimeXerRegressor(**params).fit(X, y).predict(X)
    assert np.abs(weighted - plain).max() > 100 * np.abs(weighted - repeated).max()
    ones = TimeXerRegressor(**params).fit(X, y, sample_weight=np.ones(n))
    np.testing.assert_array_equal(ones.predict(X), plain)


@pytest.mark.parametrize(("levels", "median_weight"),
                         [(None, 1.0), ([0.1, 0.5, 0.9], 1.0),
                          ([0.1, 0.5, 0.9], 4.0), ([0.5], 3.0)])
def test_the_training_loss_is_the_weighted_mean_of_scaled_errors(levels,
                                                                   median_weight):
    from sktagembed.forecasting._losses import ForecastLoss

    rng = np.random.default_rng(0)
    target = rng.normal(size=(6, 3, 2))
    weight = rng.choice([0.0, 1.0, 2.5], size=(6, 3, 2))
    scale = rng.uniform(0.5, 2, size=(6, 1, 2))
    shape = target.shape + (() if levels is None else (len(levels),))
    prediction = rng.normal(size=shape)
    loss = ForecastLoss(levels, median_weight=median_weight)(
        torch.tensor(prediction, dtype=torch.float32),
        {"target": torch.tensor(target, dtype=torch.float32),
         "weight": torch.tensor(weight, dtype=torch.float32),
         "scale": torch.tensor(scale, dtype=torch.float32)})
    # By hand, value by value.
    total = 0.0
    for index in np.ndindex(target.shape):
        if levels is None:
            error = ((prediction[index] - target[index]) / scale[index[0], 0,
                                                                 index[2]]) ** 2
        else:
            residual = (target[index] - prediction[index]) / scale[index[0], 0,
                                                                   index[2]]
            # Each level's pinball loss, the median's weighing median_weight.
            error = np.average([max(q * r, (q - 1) * r)
                                for q, r in zip(levels, residual, strict=True)],
                               weights=[median_weight if q == 0.5 else 1.0
                                        for q in levels])
        total += weight[index] * error
    assert loss.item() == pytest.approx(total / weight.sum(), rel=1e-5)


# -- quantiles ------------------------------------------------------------------


def test_quantiles_never_cross_and_predict_gives_the_median():
    model, X, _ = fitted(quantiles=[0.9, 0.1, 0.25])
    assert model.quantile_levels_ == [0.1, 0.25, 0.9]
    q = model.predict_quantiles(X)
    assert q.shape == (len(X), HORIZON, 3)
    assert (np.diff(q, axis=-1) >= 0).all()
    median = model.predict(X)
    assert median.shape == (len(X), HORIZON)
    assert ((q[..., 1] <= median) & (median <= q[..., 2])).all()


def test_a_heavier_median_trains_a_different_model_and_one_changes_nothing():
    plain, X, _ = fitted()
    same, _, _ = fitted(median_weight=1.0)
    np.testing.assert_array_equal(same.predict_quantiles(X),
                                  plain.predict_quantiles(X))
    heavier, _, _ = fitted(median_weight=8.0)
    assert not np.allclose(heavier.predict(X), plain.predict(X))
    assert (np.diff(heavier.predict_quantiles(X), axis=-1) >= 0).all()


def test_median_weight_is_checked_and_warns_without_quantiles():
    for bad in (0.0, -1.0, "4"):
        with pytest.raises((ValueError, TypeError), match="median_weight"):
            fitted(median_weight=bad)
    with pytest.warns(IgnoredParameterWarning, match="median_weight"):
        fitted(quantiles=None, median_weight=4.0)


def test_the_median_alone_trains_with_the_absolute_error():
    model, X, y = fitted(quantiles=[0.5])
    q = model.predict_quantiles(X)
    assert q.shape == (len(X), HORIZON, 1)
    np.testing.assert_array_equal(q[..., 0], model.predict(X))
    # The training loss is the pinball loss at 0.5: half the absolute error.
    loss = model.net_.criterion_
    target = torch.randn(4, HORIZON, 1)
    prediction = torch.randn(4, HORIZON, 1)
    truth = {"target": target, "weight": torch.ones_like(target),
             "scale": torch.ones(4, 1, 1)}
    torch.testing.assert_close(loss(prediction, truth),
                               0.5 * (prediction - target).abs().mean())


def test_the_default_forecasts_the_deciles_and_predicts_their_median():
    model, X, _ = fitted()
    assert model.quantile_levels_ == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    levels = model.predict_quantiles(X)
    assert levels.shape == (len(X), HORIZON, 9)
    np.testing.assert_array_equal(model.predict(X), levels[:, :, 4])
    assert (np.diff(levels, axis=2) >= 0).all()


def test_point_models_have_no_quantiles_to_predict():
    model, X, _ = fitted(quantiles=None)
    with pytest.raises(ValueError, match="quantiles=None"):
        model.predict_quantiles(X)


@pytest.mark.parametrize("bad", [[0.0, 0.5], [1.2], "0.5", []])
def test_bad_quantile_levels_are_named(bad):
    X, y = make_forecast_frame(priced_frame(), "price", HORIZON)
    with pytest.raises(ValueError, match="quantiles"):
        TimeXerRegressor(**SMALL, quantiles=bad).fit(X, y)


def test_the_interval_covers_about_its_share_of_noise():
    # y is the endogenous series' own white noise: the 10-90% interval of a
    # trained model should hold roughly 80% of held-out values.
    rng = np.random.default_rng(0)
    n_rows = 1500
    df = pd.DataFrame({"x": rng.normal(size=n_rows), "y": rng.normal(size=n_rows)})
    X, y = make_forecast_frame(df, "y", 1)
    model = TimeXerRegressor(**{**SMALL, "max_epochs": 6, "lr": 3e-3},
                             quantiles=[0.1, 0.9]).fit(X[:1000], y[:1000])
    q = model.predict_quantiles(X)[1000:, 0]
    truth = y.to_numpy()[1000:]
    coverage = np.mean((q[:, 0] <= truth) & (truth <= q[:, 1]))
    assert 0.65 < coverage < 0.92


# -- forecasts past the end of the data -------------------------------------------


def test_forecast_starts_after_the_last_known_target_with_the_horizon_covariates():
    model, X, _ = fitted(quantiles=[0.1, 0.9])
    history = priced_frame()
    future = history.iloc[-HORIZON:].copy()
    future.index = future.index + pd.Timedelta(hours=HORIZON)
    future["price"] = np.nan
    frame = pd.concat([history, future])
    table = model.forecast(frame)
    assert table.columns.tolist() == ["timestamp", "step", "prediction", "0.1",
                                      "0.9"]
    assert table["step"].tolist() == [1, 2, 3]
    expected = history.index[-1] + pd.to_timedelta([1, 2, 3], unit="h")
    assert table["timestamp"].tolist() == expected.tolist()
    # It is the forecast made at the origin row.
    origin = len(history) - 1
    np.testing.assert_allclose(table["prediction"], model.predict(frame)[origin],
                               rtol=1e-5)
    np.testing.assert_allclose(table[["0.1", "0.9"]],
                               model.predict_quantiles(frame)[origin], rtol=1e-5)


def test_forecast_names_the_series_column_and_times_of_missing_covariates():
    model, _, _ = fitted()
    history = priced_frame()
    with pytest.raises(ValueError, match="needs 3 rows holding the future"):
        model.forecast(history)
    future = history.iloc[-HORIZON:].copy()
    future.index = future.index + pd.Timedelta(hours=HORIZON)
    future["price"] = np.nan
    future.iloc[1, future.columns.get_loc("forecast")] = np.nan
    with pytest.raises(ValueError, match=r"'forecast' is missing at "
                                         r"\['2024-01-07 17:00:00'\]"):
        model.forecast(pd.concat([history, future]))


def test_a_series_that_never_has_a_covariate_forecasts_with_it_masked():
    # Two sources joined as one panel: "b" has no day-ahead forecast at all.
    frames = {symbol: priced_frame(120, seed).assign(symbol=symbol)
              for seed, symbol in enumerate(["a", "b"])}
    frames["b"]["forecast"] = np.nan
    panel = pd.concat(frames.values())
    X, y = make_forecast_frame(panel, "price", HORIZON, group_column="symbol",
                               future_covariates=["forecast"])
    model = TimeXerRegressor(**SMALL, group_column="symbol",
                             future_covariates=["forecast"]).fit(X, y)
    future = {}
    for symbol, frame in frames.items():
        rows = frame.iloc[-HORIZON:].copy()
        rows.index = rows.index + pd.Timedelta(hours=HORIZON)
        rows["price"] = np.nan
        future[symbol] = pd.concat([frame, rows])
    table = model.forecast(future["b"])
    assert len(table) == HORIZON and np.isfinite(table["prediction"]).all()
    # A series that has the covariate still needs it over the horizon.
    future["a"].iloc[-1, future["a"].columns.get_loc("forecast")] = np.nan
    with pytest.raises(ValueError, match="Series 'a': future covariate 'forecast'"):
        model.forecast(future["a"])


def test_forecast_of_a_panel_has_one_block_per_series():
    frames = []
    for seed, symbol in enumerate(["b", "a", "c"]):
        frame = priced_frame(60 + 10 * seed, seed).assign(symbol=symbol)
        frames.append(frame)
    panel = pd.concat(frames)
    X, y = make_forecast_frame(panel, "price", HORIZON, group_column="symbol")
    model = TimeXerRegressor(**SMALL, group_column="symbol").fit(X, y)
    table = model.forecast(panel)
    assert table.columns.tolist() == ["symbol", "timestamp", "step", "prediction",
                                      *(f"0.{k}" for k in range(1, 10))]
    assert table["symbol"].tolist() == ["b"] * 3 + ["a"] * 3 + ["c"] * 3
    last = panel.groupby("symbol", sort=False).apply(lambda f: f.index[-1])
    for symbol, block in table.groupby("symbol", sort=False):
        assert block["timestamp"].iloc[0] == last[symbol] + pd.Timedelta(hours=1)


# -- what the target is ---------------------------------------------------------


def test_target_scaling_follows_what_y_is():
    model, _, _ = fitted()
    assert model.target_scaling_ == "window"  # y is the price's own future
    X, y = make_forecast_frame(priced_frame(), "price", HORIZON)
    other = TimeXerRegressor(**SMALL).fit(X, 1000 * X[["load"]].to_numpy() + 5e3)
    assert other.target_scaling_ == "series"
    assert abs(other.predict(X).mean() - 5e3) < 500  # in the units of y


def test_target_of_a_column_that_is_not_endogenous_warns_and_names_it():
    # y is the price's future, but the price is not the last column, so the
    # default endogenous column is "load": a likely mistake, worth a warning.
    X, y = make_forecast_frame(priced_frame(), "price", HORIZON)
    X = X[["price", "forecast", "load"]]
    with pytest.warns(UserWarning, match="endogenous='price'"):
        model = TimeXerRegressor(**SMALL).fit(X, y)
    assert model.target_scaling_ == "series"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        named = TimeXerRegressor(**SMALL, endogenous="price").fit(X, y)
        explicit = TimeXerRegressor(**SMALL, target_scaling="series").fit(X, y)
    assert not [w for w in caught if "endogenous=" in str(w.message)]
    assert named.target_scaling_ == "window"
    assert explicit.target_scaling_ == "series"
