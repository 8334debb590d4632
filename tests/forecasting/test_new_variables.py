"""Columns a tagged forecaster never saw in fit, and columns taken away."""

import warnings

import numpy as np
import pandas as pd
import pytest

from sktagembed import TimeXerRegressor
from sktagembed.exceptions import UnseenTagWarning

KINDS = {"a0": "A", "a1": "A", "a2": "A", "a3": "A", "b0": "B", "b1": "B",
         "b2": "B"}
SEEN = ["a0", "a1", "b0", "b1", "target"]
SMALL = {"lookback": 8, "patch_len": 4, "d_model": 16, "n_heads": 2, "d_ff": 32,
         "random_state": 0}


def kinds_frame(n_rows=1500, seed=0):
    """The target is the mean of every kind-A column one step earlier; kind-B
    columns are noise."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({c: rng.normal(size=n_rows) for c in KINDS})
    y = X[[c for c, k in KINDS.items() if k == "A"]].mean(axis=1).to_numpy()
    y = y + 0.1 * rng.normal(size=n_rows)
    X["target"] = np.r_[0.0, y[:-1]]
    tags = pd.DataFrame({"kind": list(KINDS.values())}, index=list(KINDS))
    return X, y, tags


@pytest.fixture(scope="module")
def fitted():
    X, y, tags = kinds_frame()
    model = TimeXerRegressor(**SMALL, max_epochs=8, feature_tags=tags)
    return model.fit(X[SEEN].iloc[:1200], y[:1200]), X.iloc[1200:], y[1200:]


def mse(model, X, y):
    pred = model.predict(X)
    return float(np.mean((pred[8:] - y[8:]) ** 2))


def test_new_columns_of_a_known_kind_are_read_through_their_tags(fitted):
    model, X, y = fitted
    without = mse(model, X[SEEN], y)
    with_new = mse(model, X[[*KINDS, "target"]], y)
    # The new kind-A columns carry half of the target: read through their
    # tags, they cut the error several-fold.
    assert with_new < 0.4 * without
    assert list(model.feature_names_in_) == SEEN


def test_columns_are_read_by_name_in_any_order(fitted):
    model, X, _ = fitted
    np.testing.assert_allclose(model.predict(X[SEEN[::-1]]), model.predict(X[SEEN]),
                               rtol=1e-5, atol=1e-6)
    columns = ["b2", "target", "a3", "a0", "b1", "a1", "a2", "b0"]
    np.testing.assert_allclose(model.predict(X[columns]),
                               model.predict(X[[*KINDS, "target"]]),
                               rtol=1e-5, atol=1e-6)


def test_a_column_taken_away_is_left_out(fitted):
    model, X, y = fitted
    fewer = ["a0", "b0", "target"]
    pred = model.predict(X[fewer])
    assert pred.shape == (len(X),) and np.isfinite(pred).all()
    # The new column changes the forecasts; a noise column changes little.
    assert not np.allclose(pred, model.predict(X[SEEN]))
    assert model.score(X[fewer], y) < model.score(X[SEEN], y)


def test_forecast_and_score_take_new_columns(fitted):
    model, X, y = fitted
    table = model.forecast(X[[*KINDS, "target"]])
    assert table["prediction"].notna().all() and len(table) == 1
    assert model.score(X[[*KINDS, "target"]], y) > model.score(X[SEEN], y)


def test_a_new_column_without_a_tag_row_is_refused_with_the_fix(fitted):
    model, X, _ = fitted
    with pytest.raises(ValueError, match=r"Column 'extra' .*add a row with its "
                                         r"tags to feature_tags"):
        model.predict(X[SEEN].assign(extra=1.0))


def test_the_endogenous_column_cannot_be_left_out(fitted):
    model, X, _ = fitted
    with pytest.raises(ValueError, match=r"X lacks the columns \['target'\]"):
        model.predict(X[["a0", "a1"]])


def test_a_model_without_tags_names_the_new_column_and_the_fix():
    X, y, _ = kinds_frame(n_rows=200)
    model = TimeXerRegressor(**SMALL, max_epochs=1).fit(X[SEEN], y)
    with pytest.raises(ValueError, match=r"Column 'a2' of X was not seen in fit.*"
                                         r"fit with feature_tags"):
        model.predict(X[[*SEEN, "a2"]])
    with pytest.raises(ValueError, match=r"missing:\n- b1"):
        model.predict(X[["a0", "a1", "b0", "target"]])


def test_a_new_column_with_only_unseen_tags_warns():
    X, y, tags = kinds_frame(n_rows=200)
    tags.loc["b2", "kind"] = "C"
    model = TimeXerRegressor(**SMALL, max_epochs=1, feature_tags=tags)
    model.fit(X[SEEN], y)
    with pytest.warns(UnseenTagWarning, match=r"\['b2'\]"):
        model.predict(X[[*SEEN, "b2"]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.predict(X[[*SEEN, "a2"]])
