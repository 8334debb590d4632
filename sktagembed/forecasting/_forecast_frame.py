"""Forecasting tables: targets shifted without leakage, calendar features,
and the tidy table of forecasts past the end of the data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._utils.params import is_integer
from ..exceptions import InputValueError

CALENDAR_FEATURES = ("hour", "day_of_week", "day_of_month", "day_of_year")
#: Where ``make_forecast_frame`` notes the series-id column it left in ``X``.
GROUP_ATTR = "sktagembed_group_column"


def calendar_features(index: pd.DatetimeIndex) -> np.ndarray:
    """Hour, day of week, day of month, day of year, each scaled to [-0.5, 0.5]."""
    return np.column_stack([
        index.hour / 23.0 - 0.5,
        index.day_of_week / 6.0 - 0.5,
        (index.day - 1) / 30.0 - 0.5,
        (index.day_of_year - 1) / 365.0 - 0.5,
    ]).astype(np.float32)


def make_forecast_frame(df: pd.DataFrame, target: str, horizon: int = 1, *,
                        all_steps: bool = True, group_column: str | None = None,
                        future_covariates=None):
    """Build ``(X, y)`` for forecasting ``target`` ``horizon`` steps ahead.

    ``X`` is ``df`` with ``target`` moved to the last column (the default
    endogenous column). ``y`` at row ``t`` holds the target at ``t+1 ..
    t+horizon`` (``all_steps=True``) or only at ``t+horizon``; values come
    from later rows of the same series only, so nothing leaks from the future
    into ``X``. The rows at the end of each series whose future is unknown
    are dropped, except with ``future_covariates``: then every row is kept,
    as the known-future covariates of the rows before it need it. Unknown
    targets of the rows that are kept are NaN (a row with none known is a
    context row, never trained on). Rows past the last known target, with
    the covariates filled in and the target NaN, are how the horizon's
    covariates reach :meth:`TimeXerRegressor.forecast`.

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
        It stays in ``X``: give the regressor the same ``group_column``.
    future_covariates : list of str, default=None
        Columns known over the horizon (as for :class:`TimeXerRegressor`);
        they keep the rows they are needed in.

    Returns
    -------
    X : DataFrame
        The rows that have a target (all of them with ``dropna=False``).
    y : Series (one step) or DataFrame (columns ``target+1`` ...)
        The target's next ``horizon`` values of each row, from the same series.

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
    for name in [] if future_covariates is None else list(future_covariates):
        if name not in df.columns or name == target:
            raise InputValueError(
                f"future covariate {name!r} is not a column of df other than the "
                "target."
            )
    if not is_integer(horizon) or horizon < 1:
        raise InputValueError(f"horizon must be a positive integer, got {horizon!r}.")
    grouped = df.groupby(group_column, sort=False)[target] if group_column else None
    steps = range(1, horizon + 1) if all_steps else [horizon]
    future = pd.DataFrame({
        f"{target}+{k}": (grouped.shift(-k) if grouped is not None
                          else df[target].shift(-k))
        for k in steps
    }, index=df.index)
    # Rows are dropped only at the end of a series, where the future is
    # unknown: a row inside a series stays (its unknown targets are NaN), so
    # that no row goes missing from the middle of a series. With future
    # covariates every row is kept: its covariates are needed.
    complete = future.notna().all(axis=1)
    if future_covariates:
        known = np.ones(len(df), dtype=bool)
    else:
        later = complete.iloc[::-1]
        later = (later.groupby(df[group_column].iloc[::-1], sort=False).cummax()
                 if group_column else later.cummax())
        known = later.iloc[::-1].to_numpy()
    columns = [c for c in df.columns if c != target] + [target]
    X = df.loc[known, columns]
    y = future.loc[known]
    if group_column is not None:
        # Lets the regressor refuse to read the ids as an exogenous variable.
        X.attrs[GROUP_ATTR] = group_column
    return X, (y.iloc[:, 0] if y.shape[1] == 1 else y)


def forecast_table(point: np.ndarray, quantiles: np.ndarray | None,
                   levels: list[float] | None, labels: np.ndarray,
                   origins: pd.Index, variables: list[str],
                   group_name: str | None, frequency) -> pd.DataFrame:
    """The tidy table of forecasts past the end of the data.

    Parameters
    ----------
    point : ndarray of shape (n_series, n_variables * horizon)
        Variable-major point forecasts (medians) from each series' origin.
    quantiles : ndarray of shape (n_series, n_variables * horizon, n_levels)
        The forecasts at ``levels``, or None.
    levels : list of float or None
        Quantile levels; their columns are named ``str(level)``.
    labels : ndarray
        Series ids.
    origins : Index
        Index value (timestamp) of each series' origin row.
    variables : list of str
        The forecast variables (one in the MS setting).
    group_name : str or None
        Name of the series-id column; None for a single series.
    frequency : pandas offset or None
        Step between rows, for timestamps; None gives step numbers only.
    """
    n_series, width = point.shape
    horizon = width // len(variables)
    steps = np.tile(np.arange(1, horizon + 1), n_series * len(variables))
    series = np.repeat(np.arange(n_series), width)
    table = {}
    if group_name is not None:
        table[group_name] = np.asarray(labels, dtype=object)[series]
    if len(variables) > 1:
        table["variable"] = np.tile(np.repeat(np.asarray(variables, dtype=object),
                                              horizon), n_series)
    if frequency is not None:
        origin = pd.DatetimeIndex(origins[series])
        stamps = origin.copy()
        for step in range(1, horizon + 1):  # calendar offsets do not multiply
            at = steps == step
            stamps = stamps.where(~at, origin + step * frequency)
        table["timestamp"] = stamps
    table["step"] = steps
    table["prediction"] = point.reshape(-1)
    if quantiles is not None:
        for i, level in enumerate(levels):
            table[str(level)] = quantiles[:, :, i].reshape(-1)
    return pd.DataFrame(table)


def check_forecast_rows(data: np.ndarray, series, origins: np.ndarray, layout,
                        horizon: int, index: pd.Index) -> None:
    """Every series needs an origin (a row with a known endogenous value) and,
    with known-future covariates, the ``horizon`` rows after it with every
    covariate the series has (one missing in all of its rows is left to the
    model's mask); an error names the series, the column and the timestamps."""
    empty = np.flatnonzero(origins < 0)
    if len(empty):
        names = [str(series.labels[i]) for i in empty[:10]]
        raise InputValueError(
            f"The series {names} have no row with a known endogenous value to "
            "forecast from."
        )
    if not layout.future:
        return
    position = series.position[origins]
    stop = series.stop[origins]
    short = np.flatnonzero(position + horizon >= stop)
    for code in short[:1]:
        raise InputValueError(
            f"Series{_series_name(series, code)} has {stop[code] - position[code] - 1}"
            f" rows after its last known target (at {index[origins[code]]}), but "
            f"the forecast needs {horizon} rows holding the future covariates "
            f"{layout.future}."
        )
    after = position[:, None] + np.arange(1, horizon + 1)  # (n_series, horizon)
    known = np.isfinite(series.sorted(data)[:, layout.positions("future")])
    holes = ~known[after]
    # A series that never has a covariate (a panel joined from sources with
    # different columns) forecasts with it masked, as it was trained.
    counts = np.vstack([np.zeros((1, known.shape[1]), dtype=np.intp),
                        np.cumsum(known, axis=0)])
    absent = counts[series.stop[origins]] == counts[series.start[origins]]
    holes &= ~absent[:, None, :]
    if holes.any():
        code, _, column = np.argwhere(holes)[0]
        rows = series.order[after[code]] if series.order is not None else after[code]
        missing = rows[holes[code, :, column]]
        raise InputValueError(
            f"Series{_series_name(series, code)}: future covariate "
            f"{layout.future[column]!r} is missing at "
            f"{[str(index[r]) for r in missing[:5]]}, in the horizon after its "
            f"last known target (at {index[origins[code]]})."
        )


def _series_name(series, code: int) -> str:
    label = series.labels[code]
    return "" if label is None else f" {label!r}"
