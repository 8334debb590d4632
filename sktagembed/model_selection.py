"""Cross-validating forecasters on time-ordered rows, on full windows only.

A forecaster that reads a look-back window cannot forecast the first rows of
a test fold the way it forecasts later rows: their windows reach back into
rows the fold does not hold, and ``predict`` pads them. Scores of such rows
are not what the model does in use. Two pieces fix it:

- :class:`ContextTimeSeriesSplit` hands every test fold the rows before it
  as context (``lookback - 1`` of them);
- :func:`full_window_scorer` (and :meth:`TimeXerRegressor.score`) scores only
  the rows whose whole window is in the data it was given, and whose target is
  known.

Together, each original test row is scored once, with its real history, and
no padded window is.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.metrics import check_scoring
from sklearn.model_selection import TimeSeriesSplit

from ._utils.params import check_int

__all__ = ["ContextTimeSeriesSplit", "full_window_scorer"]


class ContextTimeSeriesSplit(TimeSeriesSplit):
    """:class:`~sklearn.model_selection.TimeSeriesSplit` whose test folds
    start with ``context`` rows of history.

    The context rows come just before the fold (they may also be training
    rows of it); with ``context = lookback - 1`` and a full-window scorer,
    exactly the fold's own rows are scored.

    Parameters
    ----------
    n_splits : int, default=5
        Number of splits, as for ``TimeSeriesSplit``.
    context : int
        Rows of history given with each test fold: the forecaster's
        ``lookback - 1``.
    max_train_size, test_size, gap : int, optional
        As for :class:`~sklearn.model_selection.TimeSeriesSplit`.

    Examples
    --------
    >>> import numpy as np
    >>> from sktagembed.model_selection import ContextTimeSeriesSplit
    >>> splitter = ContextTimeSeriesSplit(2, context=3, test_size=4)
    >>> [test.tolist() for _, test in splitter.split(np.zeros((12, 1)))]
    [[1, 2, 3, 4, 5, 6, 7], [5, 6, 7, 8, 9, 10, 11]]
    """

    def __init__(self, n_splits=5, *, context, max_train_size=None,
                 test_size=None, gap=0):
        super().__init__(n_splits, max_train_size=max_train_size,
                         test_size=test_size, gap=gap)
        self.context = context

    def split(self, X, y=None, groups=None):
        check_int(self.context, "context", minimum=0)
        for train, test in super().split(X, y, groups):
            first = max(test[0] - self.context, 0)
            yield train, np.r_[np.arange(first, test[0]), test]


def full_window_scorer(scoring="r2") -> Callable:
    """A scorer of a window forecaster that scores only full windows.

    The scorer calls ``predict`` on all the rows it is given (so the first
    ones serve as history), and scores the rows whose series has at least
    ``lookback`` rows up to them and whose target is known.

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

    def score(estimator, X, y, **kwargs):
        rows = estimator.scored_rows(X, y, groups=kwargs.get("groups"))
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
