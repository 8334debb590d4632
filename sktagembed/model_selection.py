"""Cross-validating forecasters on time-ordered rows, on full windows only.

A forecaster that reads a look-back window cannot forecast the first rows of
a test fold the way it forecasts later rows: their windows reach back into
rows the fold does not hold, and ``predict`` pads them. Scores of such rows
are not what the model does in use. Two pieces fix it:

- :class:`ContextTimeSeriesSplit` hands every test fold the rows before it
  as context (``lookback - 1`` of them), and leaves out of each training
  fold the rows whose targets (``horizon`` steps ahead) reach into the test
  fold's targets; given ``time_column``, it splits a long table by its time
  stamps, whatever the order of its rows;
- :func:`full_window_scorer` (and :meth:`TimeXerRegressor.score`) scores only
  the rows whose whole window is in the data it was given, and whose target is
  known.

Together, each original test row is scored once, with its real history, and
no padded window is.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.metrics import check_scoring
from sklearn.model_selection import TimeSeriesSplit

from ._utils.params import check_int
from .exceptions import InputValueError
from .forecasting._forecast_frame import GROUP_ATTR
from .forecasting._long_format import long_targets

__all__ = ["ContextTimeSeriesSplit", "full_window_scorer"]


class ContextTimeSeriesSplit(TimeSeriesSplit):
    """:class:`~sklearn.model_selection.TimeSeriesSplit` whose test folds
    start with ``context`` rows of history, and whose training folds hold no
    target that reaches into the test fold.

    The context rows come just before the fold (they may also be training
    rows of it); with ``context = lookback - 1`` and a full-window scorer,
    exactly the fold's own rows are scored.

    The target of row ``t`` holds the series' values at ``t + 1 .. t +
    horizon``. The last ``horizon - 1`` rows before a test fold would train
    on values that are the targets of the fold's first rows, so each
    training fold leaves them out (as ``gap=horizon - 1`` would, whatever
    ``gap`` is). In a panel this is done series by series: each series gives
    its test fold ``context`` rows of its own and loses the ``horizon - 1``
    training rows before its own first test row.

    Parameters
    ----------
    n_splits : int, default=5
        Number of splits, as for ``TimeSeriesSplit``.
    context : int
        Rows of history given with each test fold: the forecaster's
        ``lookback - 1``.
    horizon : int, default=None
        Steps each row's target looks ahead: the forecaster's horizon. None
        reads it from ``y`` in :meth:`split`: its number of columns (as
        :func:`~sktagembed.make_forecast_frame` builds it), 1 for a 1-D
        ``y``. Give it whenever ``y`` is 1-D but looks more than one step
        ahead (``make_forecast_frame(..., all_steps=False)``); in mode
        ``"M"``, where ``y`` holds a block of steps per column, reading it
        from ``y`` leaves out more rows than needed, never fewer.
    max_train_size, test_size, gap : int, optional
        As for :class:`~sklearn.model_selection.TimeSeriesSplit`;
        ``max_train_size`` bounds the rows before the ones left out. With
        ``time_column`` they count time steps, not rows.
    time_column : str, default=None
        A long table's time column (the forecaster's ``time_column``, e.g.
        ``"ds"``). The folds are then blocks of its distinct time stamps,
        the same for every series: a training fold holds every row before
        its test fold's first time, a test fold every row of its times and
        of the ``context`` times before them, whatever the order of the
        table's rows (series after series, interleaved, or shuffled).
        Without ``y`` (a long table whose targets are read from its own
        rows), no training row is left out: a training fold's last rows
        have no known target in it and are not trained on; with ``y``
        (or ``horizon``), the training rows of the ``horizon - 1`` times
        before the fold are left out, as without ``time_column``. None:
        rows are in time order (see Notes).

    Notes
    -----
    Without ``time_column``, rows are in time order, the series of a panel
    interleaved, as :class:`~sktagembed.TimeXerRegressor` takes them in the
    wide form. The series ids come from ``groups`` (with metadata routing
    on, the splitter requests them), else from the series-id column that
    ``make_forecast_frame(group_column=...)`` marked in ``X``; without
    either, the rows are one series. A long table held series after series
    is not in time order: give ``time_column``.

    In a long table, a row's target is read from the rows after it, so the
    forecasts made at a test fold's last ``horizon`` times, whose targets
    lie in the next fold, are not scored.

    Examples
    --------
    >>> import numpy as np
    >>> from sktagembed.model_selection import ContextTimeSeriesSplit
    >>> splitter = ContextTimeSeriesSplit(2, context=3, horizon=1, test_size=4)
    >>> [test.tolist() for _, test in splitter.split(np.zeros((12, 1)))]
    [[1, 2, 3, 4, 5, 6, 7], [5, 6, 7, 8, 9, 10, 11]]
    >>> splitter = ContextTimeSeriesSplit(2, context=3, horizon=3, test_size=4)
    >>> [train.tolist() for train, _ in splitter.split(np.zeros((12, 1)))]
    [[0, 1], [0, 1, 2, 3, 4, 5]]

    A long table of two series, one after the other, split by its times:

    >>> import pandas as pd
    >>> table = pd.DataFrame({"unique_id": ["a"] * 6 + ["b"] * 6,
    ...                       "ds": list(range(6)) * 2, "y": np.arange(12.0)})
    >>> splitter = ContextTimeSeriesSplit(2, context=1, test_size=2,
    ...                                   time_column="ds")
    >>> for train, test in splitter.split(table):
    ...     print(sorted(set(table.ds[train])), sorted(set(table.ds[test])))
    [0, 1] [1, 2, 3]
    [0, 1, 2, 3] [3, 4, 5]
    """

    # As scikit-learn's group splitters: routed ``groups`` reach ``split``.
    __metadata_request__split = {"groups": True}

    def __init__(self, n_splits=5, *, context, horizon=None,
                 max_train_size=None, test_size=None, gap=0, time_column=None):
        super().__init__(n_splits, max_train_size=max_train_size,
                         test_size=test_size, gap=gap)
        self.context = context
        self.horizon = horizon
        self.time_column = time_column

    def split(self, X, y=None, groups=None):
        """Training and test rows of each fold.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows in time order, or a DataFrame holding ``time_column``.
        y : array-like of shape (n_samples,) or (n_samples, n_steps), optional
            Targets; their width gives ``horizon`` when it is None.
        groups : array-like of shape (n_samples,), optional
            Series id of each row of a panel.

        Yields
        ------
        train, test : ndarray of int
            Training rows (without those whose target reaches into the
            test fold) and test rows (the fold, after its context rows).
        """
        check_int(self.context, "context", minimum=0)
        if self.time_column is not None:
            yield from self._split_by_time(X, y)
            return
        horizon = self._horizon(y)
        series = _series_codes(X, groups)
        position = _positions(series)
        for train, test in super().split(X, y):
            first = _first_positions(series, position, test)
            # A training row may stay if its target, at most horizon steps
            # ahead, ends before its series' first test row's target begins.
            limit = first[series[train]]
            keep = train[position[train] <= limit - horizon]
            if len(keep) == 0:
                raise InputValueError(
                    f"a training fold of {len(train)} rows keeps none once the "
                    f"{horizon - 1} rows a series before its test rows (whose "
                    f"targets reach into them, horizon={horizon}) are left "
                    "out; use fewer n_splits or a smaller test_size."
                )
            before = first[series] - self.context
            context = np.flatnonzero((position >= before) & (position < first[series]))
            yield keep, np.union1d(context, test)

    def _split_by_time(self, X, y):
        """The folds of a long table: blocks of its distinct time stamps."""
        times = _time_codes(X, self.time_column)
        left_out = 0
        if y is not None or self.horizon is not None:
            left_out = self._horizon(y) - 1
        n_times = int(times.max()) + 1 if len(times) else 0
        for train_times, test_times in super().split(np.zeros((n_times, 1))):
            first = int(test_times[0])
            keep = np.flatnonzero((times >= train_times[0])
                                  & (times <= train_times[-1])
                                  & (times < first - left_out))
            if len(keep) == 0:
                raise InputValueError(
                    f"a training fold of times {train_times[0]} .. "
                    f"{train_times[-1]} keeps no row once the {left_out} "
                    "times before its test fold (whose targets reach into "
                    "it) are left out; use fewer n_splits or a smaller "
                    "test_size."
                )
            test = np.flatnonzero((times >= first - self.context)
                                  & (times <= test_times[-1]))
            yield keep, test

    def _horizon(self, y) -> int:
        if self.horizon is not None:
            check_int(self.horizon, "horizon")
            return self.horizon
        if y is None:
            raise InputValueError(
                "horizon=None reads the forecaster's horizon from y's width, "
                "but split got no y; pass horizon=."
            )
        shape = np.shape(y)
        return shape[1] if len(shape) == 2 else 1


def _series_codes(X, groups) -> np.ndarray:
    """An integer series code for each row (all 0 for a single series)."""
    if groups is None:
        column = getattr(X, "attrs", {}).get(GROUP_ATTR)
        if column is not None and column in getattr(X, "columns", ()):
            groups = X[column]
    if groups is None:
        return np.zeros(len(X), dtype=np.int64)
    groups = np.asarray(groups)
    if groups.shape != (len(X),):
        raise InputValueError(
            f"groups must hold one series id per row of X ({len(X)}), got "
            f"shape {groups.shape}."
        )
    return pd.factorize(groups)[0].astype(np.int64)


def _time_codes(X, time_column: str) -> np.ndarray:
    """The rank of each row's time stamp among the table's distinct ones."""
    columns = getattr(X, "columns", None)
    if columns is None or time_column not in columns:
        raise InputValueError(
            f"time_column={time_column!r} is not a column of X"
            + ("" if columns is None else f" (columns: {list(columns)[:10]})")
            + "; split a long table given as a DataFrame, or leave "
            "time_column=None for rows in time order."
        )
    times = X[time_column]
    if times.isna().any():
        raise InputValueError(
            f"Column {time_column!r} has a missing time stamp at row "
            f"{int(np.flatnonzero(times.isna().to_numpy())[0])}."
        )
    try:
        return pd.factorize(times, sort=True)[0].astype(np.int64)
    except TypeError as error:
        raise InputValueError(
            f"Column {time_column!r} mixes time stamps that cannot be "
            f"ordered: {error}."
        ) from None


def _positions(series: np.ndarray) -> np.ndarray:
    """Each row's position within its own series."""
    return pd.Series(series).groupby(series).cumcount().to_numpy()


def _first_positions(series, position, test) -> np.ndarray:
    """Per series code, the position of its first test row (past the end
    of the series when it has none, so that none of its rows is left out)."""
    first = np.full(series.max() + 1, np.iinfo(np.int64).max // 2)
    np.minimum.at(first, series[test], position[test])
    return first


def full_window_scorer(scoring="r2") -> Callable:
    """A scorer of a window forecaster that scores only full windows.

    The scorer calls ``predict`` on all the rows it is given (so the first
    ones serve as history), and scores the rows whose series has at least
    ``lookback`` rows up to them and whose target is known. For a
    forecaster fitted on a long table, it takes a long table and ``y=None``:
    the targets are the target column's next values, row by row.

    Parameters
    ----------
    scoring : str or callable, default="r2"
        Any scikit-learn scoring (``"neg_mean_squared_error"``, ...).

    Returns
    -------
    scorer : callable ``(estimator, X, y) -> float``
        The scorer, counting only rows with a full window and a known target.

    Examples
    --------
    >>> from sklearn.model_selection import cross_val_score
    >>> from sktagembed.model_selection import (ContextTimeSeriesSplit,
    ...                                        full_window_scorer)
    >>> # cross_val_score(model, X, y, cv=ContextTimeSeriesSplit(
    >>> #     5, context=model.lookback - 1),
    >>> #     scoring=full_window_scorer("neg_mean_absolute_error"))
    """

    def score(estimator, X, y=None, **kwargs):
        rows = estimator.scored_rows(X, y, groups=kwargs.get("groups"))
        if y is None and getattr(estimator, "_long_table", None) is not None:
            y = long_targets(estimator, X)  # a long table's, row by row
        base = check_scoring(estimator, scoring=scoring)
        return base(_Fixed(estimator, X, rows, kwargs.get("groups")),
                    _take(X, rows), _take(y, rows))

    return score


class _Fixed:
    """Hands a scorer the predictions made on all rows, restricted to some."""

    _estimator_type = "regressor"

    def __init__(self, estimator, X, rows, groups):
        self.estimator, self.X, self.rows, self.groups = estimator, X, rows, groups

    def predict(self, X):
        return _take(self.estimator.predict(self.X, groups=self.groups), self.rows)

    def __sklearn_tags__(self):
        return self.estimator.__sklearn_tags__()


def _take(data, rows: np.ndarray):
    return data.iloc[rows] if hasattr(data, "iloc") else np.asarray(data)[rows]
