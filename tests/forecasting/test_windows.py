"""Windows gathered batch by batch: the rows they read, and nothing after."""

import numpy as np
import pandas as pd
import pytest
import torch

from sktagembed.forecasting._layout import ColumnLayout
from sktagembed.forecasting._series import SeriesIndex
from sktagembed.forecasting._windows import WindowDataset, flatten_forecast


def naive_window(data, groups, row, lookback):
    """The window of ``row``: earlier rows of its series, left-padded."""
    same = [r for r in range(row + 1) if groups[r] == groups[row]]
    window = same[-lookback:]
    window = [window[0]] * (lookback - len(window)) + window
    return data[window]


def naive_future(data, groups, row, lookback, horizon):
    """Rows ``row - lookback + 1 .. row + horizon`` of the series: left-padded
    with its first row, NaN past its last."""
    same = [r for r in range(len(groups)) if groups[r] == groups[row]]
    at = same.index(row)
    out = []
    for k in range(at - lookback + 1, at + horizon + 1):
        out.append(data[same[max(k, 0)]] if k < len(same)
                   else np.full(data.shape[1], np.nan))
    return np.array(out)


def windows(data, groups, rows, lookback, layout, **options):
    series = SeriesIndex.from_groups(groups, len(data))
    return WindowDataset(torch.from_numpy(series.sorted(data)), series, rows,
                         lookback, layout, "cpu", **options)


@pytest.mark.parametrize("interleaved", [False, True])
@pytest.mark.parametrize("endogenous", ["c", "b"])  # adjacent or split exogenous
def test_window_gathering_matches_naive_windows(interleaved, endogenous):
    rng = np.random.default_rng(0)
    n_rows, lookback = 40, 6
    data = rng.normal(size=(n_rows, 3)).astype(np.float32)
    groups = (np.arange(n_rows) % 3 if interleaved
              else np.repeat([0, 1, 2], [10, 17, 13]))
    columns = ["a", "b", "c"]
    exogenous = [c for c in columns if c != endogenous]
    layout = ColumnLayout(columns, [endogenous], exogenous, False, None, None)
    dataset = windows(data, groups, np.arange(n_rows), lookback, layout)
    inputs, _ = dataset.batch(torch.arange(n_rows))
    gathered = torch.cat([inputs["exogenous"], inputs["endogenous"]], dim=2)
    order = [columns.index(c) for c in [*exogenous, endogenous]]
    for row in range(n_rows):
        expected = naive_window(data, groups, row, lookback)[:, order]
        np.testing.assert_array_equal(gathered[row].numpy(), expected)


@pytest.mark.parametrize("interleaved", [False, True])
def test_future_covariates_are_read_over_the_horizon_of_their_series(interleaved):
    rng = np.random.default_rng(1)
    n_rows, lookback, horizon = 45, 4, 3
    data = rng.normal(size=(n_rows, 4)).astype(np.float32)
    groups = (np.arange(n_rows) % 3 if interleaved
              else np.repeat([0, 1, 2], [10, 20, 15]))
    layout = ColumnLayout(["a", "f1", "b", "f2"], ["b"], ["a"], False, None, None,
                          future=["f1", "f2"])
    dataset = windows(data, groups, np.arange(n_rows), lookback, layout,
                      horizon=horizon)
    inputs, _ = dataset.batch(torch.arange(n_rows))
    assert inputs["future"].shape == (n_rows, lookback + horizon, 2)
    for row in range(n_rows):
        expected = naive_future(data, groups, row, lookback, horizon)[:, [1, 3]]
        np.testing.assert_array_equal(inputs["future"][row].numpy(), expected)
        # Every other column stops at the row itself.
        np.testing.assert_array_equal(
            inputs["exogenous"][row].numpy(),
            naive_window(data, groups, row, lookback)[:, [0]])


def test_windows_never_cross_a_series():
    # Every value of series g equals g: a window mixing series would show it.
    n_rows = 90
    groups = np.arange(n_rows) % 3
    X = pd.DataFrame({"a": groups.astype(float), "b": groups * 2.0,
                      "target": groups * 3.0})
    layout = ColumnLayout(list(X.columns), ["target"], ["a", "b"], False, None,
                          None)
    data, series = layout.read(X, groups, None)
    ends = series.full_window_ends(8)
    assert len(ends) == 3 * 23  # series of 30 rows: 30 - 8 + 1 full windows
    dataset = WindowDataset(torch.from_numpy(series.sorted(data)), series, ends,
                            8, layout, "cpu")
    inputs, _ = dataset.batch(torch.arange(len(ends)))
    for window, row in zip(inputs["exogenous"], ends, strict=True):
        assert torch.all(window[:, 0] == groups[row])


def test_targets_are_one_block_of_steps_per_variable_and_weighted():
    n_rows, steps = 20, 3
    layout = ColumnLayout(["a", "b"], ["a", "b"], ["a", "b"], False, None, None)
    y = torch.arange(n_rows * 2 * steps, dtype=torch.float32).reshape(n_rows, -1)
    y[5, 1] = float("nan")  # one unknown value
    weight = torch.linspace(0, 2, n_rows)
    rows = np.arange(4, n_rows)
    dataset = windows(np.zeros((n_rows, 2), np.float32), None, rows, 4, layout,
                      target=y, weight=weight)
    _, truth = dataset.batch(torch.arange(len(rows)))
    target = truth["target"]
    assert target.shape == (len(rows), steps, 2)  # the model's (batch, steps, var)
    for b, row in enumerate(rows):
        for step in range(steps):
            for var in range(2):
                value = y[row, var * steps + step]
                expected_weight = 0.0 if torch.isnan(value) else weight[row]
                assert truth["weight"][b, step, var] == expected_weight
                assert target[b, step, var] == (0.0 if torch.isnan(value)
                                                else value)
    known = torch.nan_to_num(y[rows])
    torch.testing.assert_close(flatten_forecast(target), known)
