"""Scoring forecasters on full windows only."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import mean_squared_error, r2_score
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit, cross_val_score

from sktagembed import TimeXerRegressor, make_forecast_frame
from sktagembed.exceptions import InputValueError
from sktagembed.model_selection import ContextTimeSeriesSplit, full_window_scorer

SMALL = {"lookback": 8, "patch_len": 4, "d_model": 8, "n_heads": 2, "d_ff": 16,
         "max_epochs": 1, "batch_size": 32, "random_state": 0}


def frame(n_rows=200):
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=n_rows),
                       "y": np.sin(np.arange(n_rows) / 3) + rng.normal(size=n_rows)})
    return make_forecast_frame(df, "y", 2)


def test_context_split_prepends_the_rows_before_each_fold():
    X = np.zeros((30, 1))
    plain = list(TimeSeriesSplit(3, test_size=5).split(X))
    with_context = list(ContextTimeSeriesSplit(3, context=4, horizon=1,
                                               test_size=5).split(X))
    for (train, test), (train2, test2) in zip(plain, with_context, strict=True):
        np.testing.assert_array_equal(train, train2)
        np.testing.assert_array_equal(test2, np.r_[test[0] - 4:test[0], test])


def target_steps(rows, series, position, horizon):
    """The (series, step) pairs that the targets of ``rows`` hold, with the
    target of row t built from the future: its series' steps t+1 .. t+h."""
    return {(series[r], position[r] + k) for r in rows
            for k in range(1, horizon + 1)}


def panel(n_series, n_steps, horizon):
    """Interleaved series (rows in time order) and a target from the future,
    y[t] = series[t+1 .. t+h], built by make_forecast_frame."""
    ids = np.tile(np.arange(n_series), n_steps)
    df = pd.DataFrame({"id": ids, "y": np.arange(len(ids), dtype=float)})
    X, y = make_forecast_frame(df, "y", horizon, group_column="id")
    position = X.groupby("id").cumcount().to_numpy()
    return X, y, X["id"].to_numpy(), position


@pytest.mark.parametrize("n_series", [1, 3])
@pytest.mark.parametrize("horizon", [1, 4, 24])
def test_no_training_target_reaches_a_test_target(n_series, horizon):
    X, y, series, position = panel(n_series, 120, horizon)
    assert np.reshape(y, (len(X), -1)).shape == (len(X), horizon)
    splitter = ContextTimeSeriesSplit(4, context=7, horizon=horizon,
                                      test_size=15 * n_series)
    plain = TimeSeriesSplit(4, test_size=15 * n_series)
    for (train, test), (plain_train, plain_test) in zip(
            splitter.split(X, y, groups=series), plain.split(X), strict=True):
        tested = target_steps(plain_test, series, position, horizon)
        assert not target_steps(train, series, position, horizon) & tested
        # Only the rows that would overlap are left out: h - 1 per series.
        assert len(train) == len(plain_train) - (horizon - 1) * n_series
        # Each series' test rows come with 7 rows of its own history.
        context = np.setdiff1d(test, plain_test)
        assert np.bincount(series[context], minlength=n_series).tolist() == [
            7] * n_series
        assert set(plain_test) <= set(test)


@pytest.mark.parametrize("n_series", [1, 3])
def test_the_plain_split_overlaps_targets_a_positive_control(n_series):
    # gap=0, as the split was: the last training rows' targets hold the
    # first test rows' target steps.
    X, y, series, position = panel(n_series, 120, 4)
    for train, test in TimeSeriesSplit(4, test_size=15 * n_series).split(X):
        overlap = (target_steps(train, series, position, 4)
                   & target_steps(test, series, position, 4))
        assert len(overlap) == 3 * n_series  # steps 2..4 of each series' first


def test_the_panel_split_reads_the_series_from_groups_or_the_marked_column():
    X, y, series, _ = panel(3, 60, 4)
    splitter = ContextTimeSeriesSplit(2, context=2, test_size=30)
    by_groups = list(splitter.split(X.drop(columns="id"), y, groups=series))
    by_column = list(splitter.split(X, y))
    for (a, b), (c, d) in zip(by_groups, by_column, strict=True):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)
    # Read as one series, the purge would leave out 3 rows, not 3 a series.
    as_one = list(splitter.split(X.drop(columns="id"), y))
    assert len(as_one[0][0]) == len(by_groups[0][0]) + 6


def test_horizon_comes_from_y_or_must_be_given():
    X = np.zeros((40, 1))
    splitter = ContextTimeSeriesSplit(2, context=0, test_size=10)
    train, _ = next(splitter.split(X, np.zeros((40, 5))))
    assert train.tolist() == list(range(16))  # 20 rows, the last 4 left out
    train, _ = next(splitter.split(X, np.zeros(40)))
    assert train.tolist() == list(range(20))
    with pytest.raises(InputValueError, match="pass horizon="):
        next(splitter.split(X))
    for bad in (0, 1.5, True):
        with pytest.raises(InputValueError, match="horizon must be"):
            next(ContextTimeSeriesSplit(2, context=0, horizon=bad).split(X))
    with pytest.raises(InputValueError, match="keeps none"):
        next(ContextTimeSeriesSplit(2, context=0, horizon=12,
                                    test_size=15).split(X))


def test_the_full_window_scorer_scores_each_test_row_once_with_its_history():
    X, y = frame()
    model = TimeXerRegressor(**SMALL).fit(X.iloc[:120], y.iloc[:120])
    splitter = ContextTimeSeriesSplit(2, context=SMALL["lookback"] - 1, horizon=2,
                                      test_size=40)
    scorer = full_window_scorer("neg_mean_squared_error")
    for (_, test), (_, plain_test) in zip(
            splitter.split(X), TimeSeriesSplit(2, test_size=40).split(X),
            strict=True):
        score = scorer(model, X.iloc[test], y.iloc[test])
        # The same as forecasting the plain fold's rows from the whole table.
        expected = mean_squared_error(y.to_numpy()[plain_test],
                                      model.predict(X)[plain_test])
        assert score == pytest.approx(-expected, rel=1e-5)
        # Plain scoring of the plain fold would count padded windows.
        padded = mean_squared_error(y.to_numpy()[plain_test],
                                    model.predict(X.iloc[plain_test]))
        assert padded != pytest.approx(expected, rel=1e-5)


def test_score_counts_full_windows_with_known_targets_only():
    X, y = frame()
    model = TimeXerRegressor(**SMALL).fit(X, y)
    rows = model.scored_rows(X, y)
    assert rows[0] == SMALL["lookback"] - 1 and len(rows) == len(X) - 7
    y_unknown = y.copy()
    y_unknown.iloc[50] = np.nan
    assert 50 not in model.scored_rows(X, y_unknown)
    expected = r2_score(y.to_numpy()[rows], model.predict(X)[rows])
    assert model.score(X, y) == pytest.approx(expected)


def test_cross_validation_and_search_use_full_windows():
    X, y = frame()
    cv = ContextTimeSeriesSplit(3, context=SMALL["lookback"] - 1, horizon=2)
    scores = cross_val_score(TimeXerRegressor(**SMALL), X, y, cv=cv,
                             scoring=full_window_scorer("neg_mean_absolute_error"))
    search = GridSearchCV(TimeXerRegressor(**SMALL), {"d_model": [8, 16]}, cv=cv)
    search.fit(X, y)  # default scoring: TimeXerRegressor.score, full windows
    # By hand: train on the plain fold's training rows less the last one
    # (horizon 2), forecast from the whole table, score the plain fold's rows.
    truth = y.to_numpy()
    for d_model, row in zip([8, 16], range(2), strict=True):
        mae, r2 = [], []
        for train, test in TimeSeriesSplit(3).split(X):
            fitted = TimeXerRegressor(**{**SMALL, "d_model": d_model}).fit(
                X.iloc[train[:-1]], y.iloc[train[:-1]])
            forecast = fitted.predict(X)[test]
            mae.append(np.abs(truth[test] - forecast).mean())
            r2.append(r2_score(truth[test], forecast))
        if d_model == 8:
            np.testing.assert_allclose(scores, -np.array(mae), rtol=1e-5)
        assert search.cv_results_["mean_test_score"][row] == pytest.approx(
            np.mean(r2), rel=1e-5)


def long_table(n_series=3, n_steps=60, seed=0):
    """A long table held series after series (each series' rows together, as
    NeuralForecast keeps them), hourly time stamps, a covariate."""
    rng = np.random.default_rng(seed)
    parts = [pd.DataFrame({"unique_id": f"s{i}",
                           "ds": pd.date_range("2024-01-01", periods=n_steps,
                                               freq="h"),
                           "y": np.sin(np.arange(n_steps) / 4 + i)
                           + 0.1 * rng.normal(size=n_steps),
                           "x": rng.normal(size=n_steps)})
             for i in range(n_series)]
    return pd.concat(parts, ignore_index=True)


def folds_as_steps(splitter, table):
    """Each fold as two sets of (series, time) pairs, whatever the row order."""
    keys = list(zip(table["unique_id"], table["ds"], strict=True))
    return [({keys[r] for r in train}, {keys[r] for r in test})
            for train, test in splitter.split(table)]


def test_a_long_table_is_split_by_its_times_in_any_row_order():
    table = long_table()
    splitter = ContextTimeSeriesSplit(3, context=5, test_size=10, time_column="ds")
    times = np.sort(table["ds"].unique())
    folds = folds_as_steps(splitter, table)
    for k, (train, test) in enumerate(folds):
        first = times[30 + 10 * k]  # 60 steps, three folds of 10
        # Every series trains on every time before its fold's first time and
        # is tested on the fold's times and the 5 before them, all series alike.
        assert train == {(s, t) for s in ("s0", "s1", "s2") for t in times
                         if t < first}
        fold = times[30 + 10 * k - 5:40 + 10 * k]
        assert test == {(s, t) for s in ("s0", "s1", "s2") for t in fold}
    shuffled = table.sample(frac=1.0, random_state=0, ignore_index=True)
    interleaved = table.sort_values(["ds", "unique_id"], ignore_index=True)
    assert folds_as_steps(splitter, shuffled) == folds
    assert folds_as_steps(splitter, interleaved) == folds


def test_the_time_split_of_one_series_in_order_is_the_row_split():
    X, y = frame()
    X = X.assign(ds=pd.date_range("2024-01-01", periods=len(X), freq="D"))
    by_rows = ContextTimeSeriesSplit(3, context=7, test_size=30)
    by_time = ContextTimeSeriesSplit(3, context=7, test_size=30, time_column="ds")
    for (train, test), (train2, test2) in zip(by_rows.split(X, y),
                                              by_time.split(X, y), strict=True):
        # With y, the last horizon - 1 = 1 training row is left out in both.
        np.testing.assert_array_equal(train, train2)
        np.testing.assert_array_equal(test, test2)
    train, _ = next(by_time.split(X))  # a long table: targets from its rows
    assert train.tolist() == list(range(len(X) - 90))


def test_time_split_errors_name_the_time_column():
    table = long_table()
    with pytest.raises(InputValueError, match="'when' is not a column"):
        next(ContextTimeSeriesSplit(2, context=0, time_column="when").split(table))
    with pytest.raises(InputValueError, match="is not a column"):
        next(ContextTimeSeriesSplit(2, context=0, time_column="ds").split(
            np.zeros((10, 2))))
    table.loc[7, "ds"] = pd.NaT
    with pytest.raises(InputValueError, match="'ds' has a missing time stamp at "
                                              "row 7"):
        next(ContextTimeSeriesSplit(2, context=0, time_column="ds").split(table))


def test_cross_validation_of_a_long_table_does_not_depend_on_its_row_order():
    table = long_table(n_series=2, n_steps=80)
    model = TimeXerRegressor(**SMALL, horizon=2)
    cv = ContextTimeSeriesSplit(2, context=SMALL["lookback"] - 1, test_size=20,
                                time_column="ds")
    scoring = full_window_scorer("neg_mean_absolute_error")
    scores = cross_val_score(model, table, cv=cv, scoring=scoring)
    # cross_val_score turns a failed fold into NaN, which assert_allclose
    # would take as equal to NaN.
    assert np.isfinite(scores).all()
    shuffled = table.sample(frac=1.0, random_state=1, ignore_index=True)
    np.testing.assert_allclose(cross_val_score(model, shuffled, cv=cv,
                                               scoring=scoring), scores, rtol=1e-6)
    # By hand: fit on the times before the fold, score the fold's forecasts.
    times = np.sort(table["ds"].unique())
    for score, first in zip(scores, (40, 60), strict=True):
        fitted = TimeXerRegressor(**SMALL, horizon=2).fit(
            table[table["ds"] < times[first]])
        test = table[(table["ds"] >= times[first - SMALL["lookback"] + 1])
                     & (table["ds"] < times[first + 20 - 1] + pd.Timedelta("1h"))]
        assert score == pytest.approx(scoring(fitted, test, None), rel=1e-6)


def test_a_search_over_a_long_table_scores_it_by_time():
    table = long_table(n_series=2, n_steps=80)
    cv = ContextTimeSeriesSplit(2, context=SMALL["lookback"] - 1, test_size=20,
                                time_column="ds")
    search = GridSearchCV(TimeXerRegressor(**SMALL, horizon=2),
                          {"d_model": [8, 16]}, cv=cv).fit(table)
    # The default scoring is TimeXerRegressor.score on each fold's long table.
    for row, d_model in enumerate([8, 16]):
        expected = [TimeXerRegressor(**{**SMALL, "d_model": d_model}, horizon=2)
                    .fit(table.iloc[train]).score(table.iloc[test])
                    for train, test in cv.split(table)]
        assert search.cv_results_["mean_test_score"][row] == pytest.approx(
            np.mean(expected), rel=1e-5)
