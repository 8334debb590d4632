"""Building forecasting tables: targets shifted without leakage, calendar features."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._params import is_integer
from .exceptions import InputValueError

CALENDAR_FEATURES = ("hour", "day_of_week", "day_of_month", "day_of_year")


def calendar_features(index: pd.DatetimeIndex) -> np.ndarray:
    """Hour, day of week, day of month, day of year, each scaled to [-0.5, 0.5]."""
    return np.column_stack([
        index.hour / 23.0 - 0.5,
        index.day_of_week / 6.0 - 0.5,
        (index.day - 1) / 30.0 - 0.5,
        (index.day_of_year - 1) / 365.0 - 0.5,
    ]).astype(np.float32)


def make_forecast_frame(df: pd.DataFrame, target: str, horizon: int = 1, *,
                        all_steps: bool = True, group_column: str | None = None):
    """Build ``(X, y)`` for forecasting ``target`` ``horizon`` steps ahead.

    ``X`` is ``df`` with ``target`` moved to the last column (the default
    endogenous column), keeping only rows whose future is known. ``y`` at row
    ``t`` holds the target at ``t+1 .. t+horizon`` (``all_steps=True``) or only
    at ``t+horizon``; values come from later rows of the same series only, so
    nothing leaks from the future into ``X``.

    Parameters
    ----------
    df : DataFrame
        Rows in time order (within each series).
    target : str
        Column to forecast.
    horizon : int, default=1
        Steps ahead.
    all_steps : bool, default=True
        ``y`` of shape ``(n, horizon)`` with every step, else ``(n,)``.
    group_column : str, default=None
        Series-id column of a panel; targets are shifted within each series.

    Returns
    -------
    X : DataFrame
    y : Series (one step) or DataFrame (columns ``target+1`` ...)

    Examples
    --------
    >>> import pandas as pd
    >>> from sktagembed import make_forecast_frame
    >>> df = pd.DataFrame({"load": [1, 2, 3, 4], "price": [10, 20, 30, 40]})
    >>> X, y = make_forecast_frame(df, "price", horizon=2)
    >>> y.to_numpy().tolist()
    [[20.0, 30.0], [30.0, 40.0]]
    """
    if target not in df.columns:
        raise InputValueError(f"target {target!r} is not a column of df.")
    if not is_integer(horizon) or horizon < 1:
        raise InputValueError(f"horizon must be a positive integer, got {horizon!r}.")
    grouped = df.groupby(group_column, sort=False)[target] if group_column else None
    steps = range(1, horizon + 1) if all_steps else [horizon]
    future = pd.DataFrame({
        f"{target}+{k}": (grouped.shift(-k) if grouped is not None
                          else df[target].shift(-k))
        for k in steps
    }, index=df.index)
    known = future.notna().all(axis=1).to_numpy()
    columns = [c for c in df.columns if c != target] + [target]
    X = df.loc[known, columns]
    y = future.loc[known]
    return X, (y.iloc[:, 0] if y.shape[1] == 1 else y)
