"""What the target is, and its per-series statistics."""

import warnings

import numpy as np
import pandas as pd
import pytest

from sktagembed.forecasting._series import SeriesIndex
from sktagembed.forecasting._targets import (
    check_sample_weight,
    is_endogenous_future,
    series_statistics,
    warn_if_target_is_another_column,
)


def test_series_statistics_match_pandas_on_known_values():
    rng = np.random.default_rng(0)
    n_rows, n_endo, steps = 500, 2, 3
    codes = rng.integers(0, 4, size=n_rows)
    target = rng.normal(loc=codes[:, None], size=(n_rows, n_endo * steps))
    target[rng.random(target.shape) < 0.2] = np.nan
    mean, std = series_statistics(target, codes, 4, n_endo, chunk_rows=64)
    for j in range(n_endo):
        values = pd.DataFrame(target[:, j * steps:(j + 1) * steps])
        stacked = values.assign(code=codes).melt("code").dropna()
        by_series = stacked.groupby("code")["value"]
        np.testing.assert_allclose(mean[:4, j], by_series.mean(), rtol=1e-5)
        np.testing.assert_allclose(std[:4, j], by_series.std(ddof=0), rtol=1e-4)
        np.testing.assert_allclose(mean[4, j], stacked["value"].mean(), rtol=1e-5)


def test_a_series_without_known_targets_falls_back_on_all_series():
    target = np.array([[1.0], [3.0], [np.nan]])
    mean, std = series_statistics(target, np.array([0, 0, 1]), 2, 1)
    assert mean[1, 0] == mean[2, 0] == 2.0 and std[1, 0] == std[2, 0] == 1.0


def test_the_endogenous_future_is_recognised_in_panels_only_when_it_is_one():
    rng = np.random.default_rng(0)
    groups = np.repeat([0, 1], 20)[rng.permutation(40)]
    data = rng.normal(size=(40, 2)).astype(np.float32)
    series = SeriesIndex.from_groups(groups, 40)
    # y[t, k] = endogenous (column 1) at the (k+1)-th later row of t's series.
    stored = series.sorted(data)
    later = series.position[:, None] + np.arange(1, 3)
    inside = later < series.stop[:, None]
    y = np.where(inside, stored[np.minimum(later, 39), 1], np.nan)
    assert is_endogenous_future(data, series, y, [1])
    assert not is_endogenous_future(data, series, y * 2 + 1, [1])
    assert not is_endogenous_future(data, series, y, [0])


def test_a_target_that_is_another_columns_future_is_named_in_a_panel():
    rng = np.random.default_rng(1)
    groups = np.repeat([0, 1, 2], 30)[rng.permutation(90)]  # interleaved
    data = rng.normal(size=(90, 3)).astype(np.float32)
    series = SeriesIndex.from_groups(groups, 90)
    # Naive: y[t] = column "b" at the next row of t's series, by a loop.
    y = np.full((90, 2), np.nan)
    for group in range(3):
        rows = np.flatnonzero(groups == group)
        y[rows[:-1], 0] = data[rows[1:], 1]
    columns = ["a", "b", "c"]
    with pytest.warns(UserWarning, match="endogenous='b'"):
        warn_if_target_is_another_column(data, series, y, columns, "c", [0, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # Column "b" is not a candidate, or y is not its future.
        warn_if_target_is_another_column(data, series, y, columns, "c", [0])
        warn_if_target_is_another_column(data, series, y + 1, columns, "c", [0, 1])


@pytest.mark.parametrize("weight, match", [
    (np.ones(3), r"expected \(4,\)"), (np.array([1, -1, 1, 1]), "non-negative"),
    (np.zeros(4), "at least one non-zero"), (np.array([1, np.inf, 1, 1]), "finite"),
])
def test_bad_sample_weights_are_named(weight, match):
    with pytest.raises(ValueError, match=match):
        check_sample_weight(weight, 4)
