"""SeriesIndex: rows grouped into series, and the chronological validation split."""

import numpy as np
import pytest

from sktagembed.forecasting._series import SeriesIndex


def naive_split(groups, rows, fraction):
    """The last ``ceil(fraction * n)`` rows of each series, series by series."""
    train, valid = [], []
    for group in dict.fromkeys(groups[rows]):
        members = [r for r in rows if groups[r] == group]  # time order
        n_valid = int(np.ceil(fraction * len(members)))
        if n_valid >= len(members):
            train += members
        else:
            train += members[:-n_valid]
            valid += members[-n_valid:]
    return np.sort(train), np.sort(valid)


@pytest.mark.parametrize("interleaved", [False, True])
@pytest.mark.parametrize("fraction", [0.1, 0.25, 0.5])
def test_split_last_matches_the_naive_split(interleaved, fraction):
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 30, size=25)
    groups = np.repeat(np.arange(25), lengths)
    if interleaved:
        groups = groups[rng.permutation(len(groups))]
    series = SeriesIndex.from_groups(groups, len(groups))
    rows = np.sort(rng.choice(len(groups), size=len(groups) * 3 // 4,
                              replace=False))
    train, valid = series.split_last(rows, fraction)
    expected_train, expected_valid = naive_split(groups, rows, fraction)
    np.testing.assert_array_equal(train, expected_train)
    np.testing.assert_array_equal(valid, expected_valid)


def test_validation_is_the_chronologically_last_fraction():
    series = SeriesIndex.from_groups(np.repeat([0, 1], 50), 100)
    train, valid = series.split_last(np.arange(100), 0.2)
    np.testing.assert_array_equal(valid, np.r_[40:50, 90:100])
    np.testing.assert_array_equal(train, np.r_[0:40, 50:90])


def test_interleaved_rows_are_stored_series_by_series_in_time_order():
    groups = np.array(["b", "a", "b", "a", "a"])
    series = SeriesIndex.from_groups(groups, 5)
    data = np.arange(5)
    np.testing.assert_array_equal(series.sorted(data), [0, 2, 1, 3, 4])
    np.testing.assert_array_equal(series.start, [0, 2, 0, 2, 2])
    np.testing.assert_array_equal(series.full_window_ends(2), [2, 3, 4])
