"""Scoring forecasters on full windows only."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit, cross_val_score

from sktagembed import TimeXerRegressor, make_forecast_frame
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
    with_context = list(ContextTimeSeriesSplit(3, context=4, test_size=5).split(X))
    for (train, test), (train2, test2) in zip(plain, with_context, strict=True):
        np.testing.assert_array_equal(train, train2)
        np.testing.assert_array_equal(test2, np.r_[test[0] - 4:test[0], test])


def test_the_full_window_scorer_scores_each_test_row_once_with_its_history():
    X, y = frame()
    model = TimeXerRegressor(**SMALL).fit(X.iloc[:120], y.iloc[:120])
    splitter = ContextTimeSeriesSplit(2, context=SMALL["lookback"] - 1, test_size=40)
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
    from sklearn.metrics import r2_score
    expected = r2_score(y.to_numpy()[rows], model.predict(X)[rows])
    assert model.score(X, y) == pytest.approx(expected)


def test_cross_validation_and_search_use_full_windows():
    X, y = frame()
    cv = ContextTimeSeriesSplit(3, context=SMALL["lookback"] - 1)
    scores = cross_val_score(TimeXerRegressor(**SMALL), X, y, cv=cv,
                             scoring=full_window_scorer("neg_mean_absolute_error"))
    assert scores.shape == (3,) and np.isfinite(scores).all()
    search = GridSearchCV(TimeXerRegressor(**SMALL), {"d_model": [8, 16]}, cv=cv)
    search.fit(X, y)  # default scoring: TimeXerRegressor.score, full windows
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
