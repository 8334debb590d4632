"""Time steps of a table's DatetimeIndex: checking them, and filling gaps.

Windows are rows: a series whose timestamps skip or repeat a step would have
its windows silently stretched or squeezed. With a DatetimeIndex, every
series must advance by one step per row; :func:`fill_time_gaps` makes it so,
inserting NaN rows that the forecaster then masks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..exceptions import InputValueError
from ._series import SeriesIndex


def time_step(index: pd.DatetimeIndex, series: SeriesIndex):
    """The step between rows: the index's frequency, or the one inferred
    from the longest series; None when it cannot be told."""
    if index.freq is not None:
        return index.freq
    code = int(np.argmax(np.bincount(series.codes)))
    stamps = index[np.flatnonzero(series.codes == code)]
    if len(stamps) < 3:
        return None
    frequency = _infer_frequency(stamps)
    if frequency is not None:
        return pd.tseries.frequencies.to_offset(frequency)
    # An irregular series: its most common step, if most steps are it.
    steps = np.diff(stamps.to_numpy())  # timedelta64, any resolution
    values, counts = np.unique(steps[steps > np.timedelta64(0)],
                               return_counts=True)
    if len(values) and counts.max() >= 0.5 * len(steps):
        return pd.tseries.frequencies.to_offset(pd.Timedelta(values[np.argmax(counts)]))
    return None


def check_regular_steps(index, series: SeriesIndex) -> None:
    """Every row of a series one step after the one before it: a repeated,
    skipped or out-of-order timestamp is an error naming the series and the
    timestamp."""
    if not isinstance(index, pd.DatetimeIndex) or len(index) < 3:
        return
    step = time_step(index, series)
    if step is None:
        return
    stamps = pd.DatetimeIndex(series.sorted(np.asarray(index)))
    start = series.sorted(series.start)
    within = np.flatnonzero(start[1:] == start[:-1])  # row i -> i + 1, same series
    if len(within) == 0:
        return
    before, after = stamps[within], stamps[within + 1]
    bad = np.flatnonzero(np.asarray(after != before + step))
    if len(bad) == 0:
        return
    first = within[bad[0]]
    row = first if series.order is None else series.order[first]
    label = series.labels[series.codes[row]]
    name = "" if label is None else f" of series {label!r}"
    previous, following = stamps[first], stamps[first + 1]
    if following == previous:
        what = f"repeats the timestamp {previous}"
    elif following < previous:
        what = f"goes back in time from {previous} to {following}"
    else:
        what = f"skips from {previous} to {following}"
    raise InputValueError(
        f"The DatetimeIndex{name} {what}, but its step is {step.freqstr}: each "
        "row must be one step after the one before. Drop repeated rows, sort "
        "by time, or insert the missing rows as NaN with "
        "sktagembed.fill_time_gaps (the model masks them)."
    )


def fill_time_gaps(df: pd.DataFrame, freq=None, *,
                   group_column: str | None = None) -> pd.DataFrame:
    """Insert the missing time steps of each series as rows of NaN.

    ``TimeXerRegressor`` reads a series row by row, and with a DatetimeIndex
    it refuses a series that skips a step. This puts every series on a
    regular grid from its first to its last timestamp; the new rows hold NaN
    (missing values, which the model masks) and, in a panel, the series id.

    Parameters
    ----------
    df : DataFrame
        Rows with a DatetimeIndex, in time order within each series; no
        timestamp repeated within a series.
    freq : str or offset, optional
        The step; inferred from the longest series by default.
    group_column : str, optional
        Series-id column of a panel.

    Returns
    -------
    DataFrame
        ``df`` with the missing rows inserted, series after series.

    Examples
    --------
    >>> import pandas as pd
    >>> from sktagembed import fill_time_gaps
    >>> df = pd.DataFrame({"load": [1.0, 2.0, 4.0]}, index=pd.to_datetime(
    ...     ["2024-01-01 00:00", "2024-01-01 01:00", "2024-01-01 03:00"]))
    >>> fill_time_gaps(df, "h")["load"].tolist()
    [1.0, 2.0, nan, 4.0]
    """
    if not isinstance(df.index, pd.DatetimeIndex):
        raise InputValueError("fill_time_gaps needs a DataFrame with a DatetimeIndex.")
    groups = None if group_column is None else df[group_column].to_numpy()
    series = SeriesIndex.from_groups(groups, len(df))
    step = (pd.tseries.frequencies.to_offset(freq) if freq is not None
            else time_step(df.index, series))
    if step is None:
        raise InputValueError(
            "fill_time_gaps could not infer the time step; pass freq='h' (or "
            "the step of your data)."
        )
    if group_column is None:
        return _regular(df, step)
    parts = []
    for label, part in df.groupby(group_column, sort=False):
        regular = _regular(part, step)
        regular[group_column] = label
        parts.append(regular)
    return pd.concat(parts)


def _regular(df: pd.DataFrame, step) -> pd.DataFrame:
    if df.index.has_duplicates:
        repeated = df.index[df.index.duplicated()][0]
        raise InputValueError(
            f"The timestamp {repeated} appears twice; drop repeated rows before "
            "filling gaps."
        )
    grid = pd.date_range(df.index.min(), df.index.max(), freq=step, name=df.index.name)
    missing = df.index.difference(grid)
    if len(missing):
        raise InputValueError(
            f"The timestamp {missing[0]} is off the step {step.freqstr}; resample "
            "the data to a regular step first."
        )
    return df.reindex(grid)


def _infer_frequency(stamps: pd.DatetimeIndex):
    try:  # pandas 3.1+ warns unless it may return an offset
        with pd.option_context("future.infer_freq_returns_offset", True):
            return pd.infer_freq(stamps)
    except pd.errors.OptionError:
        return pd.infer_freq(stamps)
