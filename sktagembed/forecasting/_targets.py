"""What a forecaster's target is, and per-series statistics of it.

In TimeXer's MS setting ``y[t]`` holds the endogenous column's next steps,
and the forecast is de-normalised with the statistics of the endogenous
window (RevIN). That is right only when ``y`` is in the endogenous column's
units. :func:`is_endogenous_future` checks it on the training rows;
otherwise the forecaster de-normalises with each series' own target
statistics (``target_scaling="series"``), which are also what the loss is
scaled by.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..exceptions import InputValueError
from ._series import SeriesIndex

#: Share of the checkable values that must match for ``y`` to count as the
#: endogenous column's future.
MATCH_SHARE = 0.99


def _agreement(value: np.ndarray, truth: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """Along the first axis: how many pairs are both known (checked), and how
    many of those are equal up to float32 rounding (matched)."""
    both = np.isfinite(value) & np.isfinite(truth)
    close = np.abs(value - truth) <= 1e-4 * np.maximum(np.abs(truth), 1.0)
    return both.sum(axis=0), (close & both).sum(axis=0)


def _mostly_equal(checked: np.ndarray, matched: np.ndarray) -> np.ndarray:
    """Something could be checked, and at least ``MATCH_SHARE`` of it matched."""
    return (checked > 0) & (matched >= MATCH_SHARE * checked)


def is_endogenous_future(data: np.ndarray, series: SeriesIndex,
                         target: np.ndarray, endogenous: list[int]) -> bool:
    """Whether ``target[t, j * H + k]`` equals the endogenous column ``j`` at
    row ``t + k + 1`` of the same series, wherever both are known.

    ``data`` and ``target`` are by original row. False when nothing can be
    checked.
    """
    n_rows = target.shape[0]
    n_steps = target.shape[1] // len(endogenous)
    stored = series.sorted(data[:, endogenous])  # only these columns are copied
    position, stop = series.position, series.stop
    checked = matched = 0
    for j in range(len(endogenous)):
        for k in range(n_steps):
            later = position + k + 1
            inside = later < stop
            truth = np.full(n_rows, np.nan, dtype=np.float64)
            truth[inside] = stored[later[inside], j]
            counts = _agreement(target[:, j * n_steps + k], truth)
            checked, matched = checked + counts[0], matched + counts[1]
    return bool(_mostly_equal(checked, matched))


def warn_if_target_is_another_column(data: np.ndarray, series: SeriesIndex,
                                     target: np.ndarray, columns: list[str],
                                     endogenous: str, candidates: list[int]
                                     ) -> None:
    """Warn when ``y`` is not the endogenous column's future but is that of
    one of the ``candidates`` columns: the endogenous column was most likely
    left to its default (the last column) by mistake, and the forecaster
    would quietly fall back on ``target_scaling="series"``.

    ``y``'s first step is compared with each column's next value on at most
    about a million cells of evenly spaced rows, so that a long, wide table
    costs little.
    """
    if not candidates:
        return
    first_step = target[:, 0]
    rows = np.flatnonzero(np.isfinite(first_step))
    following = series.next_rows(rows)
    rows, following = rows[following >= 0], following[following >= 0]
    max_rows = max(100, 1_000_000 // len(candidates))
    if len(rows) > max_rows:
        keep = np.linspace(0, len(rows) - 1, max_rows).astype(np.int64)
        rows, following = rows[keep], following[keep]
    truth = data[np.ix_(following, candidates)].astype(np.float64)
    matches = _mostly_equal(*_agreement(first_step[rows, None], truth))
    if matches.any():
        name = columns[candidates[int(np.argmax(matches))]]
        warnings.warn(
            f"y holds the next values of column {name!r}, but the endogenous "
            f"column is {endogenous!r} (endogenous=None takes the last "
            f"column), so forecasts are de-normalised with y's own statistics "
            f"(target_scaling='series'). Pass endogenous={name!r} to forecast "
            f"{name!r} from its own history, or set target_scaling explicitly "
            "to keep this set-up.",
            UserWarning, stacklevel=3,
        )


def series_statistics(target: np.ndarray, codes: np.ndarray, n_series: int,
                      n_endogenous: int, chunk_rows: int = 1 << 16
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of each series' target values (all steps)
    per endogenous variable, ``(n_series + 1, n_endogenous)``; the last row is
    for all series together. A constant or unknown target gets scale 1.
    Memory is bounded by the chunk of rows read at a time."""
    count = np.zeros((n_series + 1, n_endogenous))
    total, squares = np.zeros_like(count), np.zeros_like(count)
    for start in range(0, len(target), chunk_rows):
        block = target[start:start + chunk_rows]
        block = block.reshape(len(block), n_endogenous, -1)
        known = np.isfinite(block)
        filled = np.where(known, block, 0.0)
        rows = codes[start:start + chunk_rows]
        for j in range(n_endogenous):
            for sums, values in ((count, known[:, j].sum(axis=1)),
                                 (total, filled[:, j].sum(axis=1)),
                                 (squares, np.square(filled[:, j]).sum(axis=1))):
                sums[:-1, j] += np.bincount(rows, weights=values,
                                            minlength=n_series)
    count[-1], total[-1], squares[-1] = (count[:-1].sum(0), total[:-1].sum(0),
                                         squares[:-1].sum(0))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
        std = np.sqrt(np.maximum(squares / count - mean ** 2, 0.0))
    mean = np.where(count > 0, mean, 0.0)
    std = np.where((count > 1) & (std > 1e-6 * np.maximum(np.abs(mean), 1.0)),
                   std, 1.0)
    # A series without a known value falls back on all series.
    empty = count == 0
    mean[:-1][empty[:-1]] = np.broadcast_to(mean[-1], mean[:-1].shape)[empty[:-1]]
    std[:-1][empty[:-1]] = np.broadcast_to(std[-1], std[:-1].shape)[empty[:-1]]
    return mean.astype(np.float32), std.astype(np.float32)


def check_sample_weight(sample_weight, n_rows: int) -> np.ndarray | None:
    """Sample weights as a float array: one finite, non-negative weight per
    row; None stays None."""
    if sample_weight is None:
        return None
    weight = np.asarray(sample_weight)
    if weight.ndim == 0:
        weight = np.full(n_rows, float(weight))
    if weight.ndim != 1 or weight.shape[0] != n_rows:
        raise InputValueError(
            f"sample_weight.shape == {weight.shape}, expected ({n_rows},): one "
            "weight per row of X."
        )
    try:
        weight = weight.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise InputValueError("sample_weight must be numeric.") from exc
    if not np.isfinite(weight).all() or (weight < 0).any():
        row = int(np.flatnonzero(~np.isfinite(weight) | (weight < 0))[0])
        raise InputValueError(
            f"sample_weight must be finite and non-negative, got "
            f"{weight[row]} at row {row}."
        )
    if n_rows and not weight.any():
        raise InputValueError(
            "Sample weights must contain at least one non-zero number: every "
            "weight is zero, so nothing would be trained on."
        )
    return weight
