"""Which column of a time-series table is what, and reading tables by it.

:class:`ColumnLayout` is learned in ``fit`` from the training table and the
estimator's parameters (endogenous column, mode, group column, calendar,
feature tags); ``read`` then turns any table with those columns into the
float32 array the windows are gathered from.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from torch import Tensor

from ._checks import first_flagged_cell
from ._forecast_frame import CALENDAR_FEATURES, calendar_features
from ._params import is_integer
from ._series import SeriesIndex
from .exceptions import InputTypeError, InputValueError
from .tags import TagSchema

#: Largest magnitude accepted in X and y: squares of larger float32 values
#: (in the per-window normalisation and the MSE loss) can overflow to inf.
MAX_MAGNITUDE = 1e15


class ColumnLayout:
    """Column roles learned at fit: endogenous, exogenous, calendar, tags.

    Parameters
    ----------
    columns : list of str
        The feature columns, in the order of the data array.
    endogenous, exogenous : list of str
        The endogenous (patched) and exogenous (variate-token) columns.
    calendar : bool
        Whether calendar features follow the columns in the data array.
    tag_names : list of str or None
        Tags of the exogenous columns.
    tag_matrix : ndarray of shape (n_exogenous, n_tags) or None
        Tag rows of the exogenous columns, in token order.
    """

    def __init__(self, columns: list[str], endogenous: list[str],
                 exogenous: list[str], calendar: bool,
                 tag_names: list[str] | None, tag_matrix: np.ndarray | None):
        self.columns = columns
        self.endogenous = endogenous
        self.exogenous = exogenous
        self.calendar = calendar
        self.tag_names = tag_names
        self.tag_matrix = tag_matrix

    @property
    def n_calendar(self) -> int:
        return len(CALENDAR_FEATURES) if self.calendar else 0

    @classmethod
    def from_training_frame(cls, X, *, endogenous, mode: str,
                            group_column: str | None, calendar: bool,
                            feature_tags: pd.DataFrame | None) -> ColumnLayout:
        columns = column_names(X)
        if group_column is not None:
            if group_column not in columns:
                raise InputValueError(
                    f"group_column={group_column!r} is not a column of X."
                )
            columns = [c for c in columns if c != group_column]
        if not columns:
            raise InputValueError(
                f"Found array with 0 feature(s) (shape={np.shape(X)}) while a "
                "minimum of 1 is required: X has no feature columns."
            )
        if mode == "M":
            if endogenous is not None:
                raise InputValueError(
                    f"endogenous={endogenous!r} has no effect in mode='M', where "
                    "every column is endogenous; leave it None or use mode='MS'."
                )
            endo, exo = list(columns), list(columns)
        else:
            name = _resolve_endogenous(endogenous, columns)
            endo, exo = [name], [c for c in columns if c != name]
        if calendar and not isinstance(getattr(X, "index", None), pd.DatetimeIndex):
            raise InputValueError("calendar=True needs X with a DatetimeIndex.")
        tag_names = tag_matrix = None
        if feature_tags is not None:
            tag_names, tag_matrix = read_feature_tags(feature_tags, exo)
        if not exo and not calendar:
            raise InputValueError(
                "TimeXer needs at least one exogenous column (or calendar=True); "
                f"X has n_features={len(columns)}, only the endogenous column "
                f"{endo[0]!r}."
            )
        return cls(columns, endo, exo, bool(calendar), tag_names, tag_matrix)

    def read(self, X, groups, group_column: str | None
             ) -> tuple[np.ndarray, SeriesIndex]:
        """Validated float32 data: the feature columns in order, then calendar.

        A C-ordered float32 array without calendar features is used as it is,
        without a copy; anything else is copied once.
        """
        names = column_names(X)
        if len(X) == 0:
            raise InputValueError("X has 0 rows.")
        if group_column is not None:
            if groups is not None:
                raise InputValueError(
                    "Give series ids by groups or group_column, not both."
                )
            groups = np.asarray(X[group_column])
        missing = [c for c in self.columns if c not in names]
        if missing:
            raise InputValueError(f"X lacks the columns seen in fit: {missing}.")
        if isinstance(X, pd.DataFrame):
            positions = [names.index(c) for c in self.columns]
            for position in positions:
                dtype = X.dtypes.iloc[position]
                if not pd.api.types.is_numeric_dtype(dtype):
                    raise InputValueError(
                        f"Column {names[position]!r} of X is not numeric "
                        f"(dtype {dtype})."
                    )
            values = X.iloc[:, positions].to_numpy(dtype=np.float32,
                                                   na_value=np.nan)
        else:
            values = X
        n_rows = values.shape[0]
        data = values
        if self.calendar or data.dtype != np.float32 or not data.flags.c_contiguous:
            data = np.empty((n_rows, len(self.columns) + self.n_calendar),
                            dtype=np.float32)
            data[:, : len(self.columns)] = values
            if self.calendar:
                data[:, len(self.columns):] = calendar_features(X.index)
        if not data.flags.writeable:
            data = data.copy()  # torch.from_numpy wants writable memory
        _check_finite(data, self.columns)
        return data, SeriesIndex.from_groups(groups, n_rows)

    def split(self, windows: Tensor, index: dict[str, Tensor | slice]) -> dict:
        """Model inputs from gathered windows ``(batch, lookback, n_columns)``;
        ``index`` comes from :meth:`column_index`."""

        def take(columns: Tensor | slice) -> Tensor:
            if isinstance(columns, slice):  # a view: no copy of the windows
                return windows[:, :, columns]
            return windows.index_select(2, columns)

        inputs = {"endogenous": take(index["endogenous"]),
                  "exogenous": take(index["exogenous"])}
        if self.calendar:
            inputs["calendar"] = windows[:, :, len(self.columns):]
        return inputs

    def column_index(self, device) -> dict[str, Tensor | slice]:
        """Positions of the endogenous and exogenous columns in the data: a
        slice where they are adjacent (the usual case), else an index."""
        position = {name: i for i, name in enumerate(self.columns)}
        index = {}
        for role, columns in (("endogenous", self.endogenous),
                              ("exogenous", self.exogenous)):
            positions = [position[c] for c in columns]
            first = positions[0] if positions else 0
            if positions == list(range(first, first + len(positions))):
                index[role] = slice(first, first + len(positions))
            else:
                index[role] = torch.tensor(positions, device=device)
        return index


def as_time_table(X):
    """``X`` as a DataFrame or a 2-D numeric ndarray, or a clear error.

    Array-likes are converted once (object arrays of numbers included);
    sparse, complex, non-numeric and non-2-D input is rejected.
    """
    if sp.issparse(X):
        raise InputTypeError(
            "X must be a DataFrame or a dense 2-D array, got a sparse matrix; "
            "pass X.toarray()."
        )
    if isinstance(X, pd.DataFrame):
        for name, dtype in X.dtypes.items():
            if isinstance(dtype, np.dtype) and dtype.kind == "c":
                raise InputValueError(
                    f"Complex data not supported: column {str(name)!r} of X is "
                    f"{dtype}."
                )
        return X
    array = np.asarray(X)
    if array.ndim != 2:
        raise InputValueError(
            f"X must be 2-D (n_steps, n_vars), got shape {array.shape}. Reshape "
            "your data with X.reshape(-1, 1) if it is a single series."
        )
    if array.dtype.kind == "c":
        raise InputValueError("Complex data not supported: X is complex.")
    if array.dtype == object:
        try:
            array = array.astype(np.float64)
        except TypeError as exc:
            raise InputTypeError(f"X must be numeric: {exc}") from exc
        except ValueError as exc:
            raise InputValueError(f"X must be numeric: {exc}") from exc
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise InputValueError(f"X must be numeric, got dtype {array.dtype}.")
    return array


def column_names(X) -> list[str]:
    """The column names of a table from :func:`as_time_table` (``x0, x1,
    ...`` for an array)."""
    if isinstance(X, pd.DataFrame):
        return [str(c) for c in X.columns]
    return [f"x{i}" for i in range(X.shape[1])]


def read_feature_tags(feature_tags, exogenous: list[str]
                      ) -> tuple[list[str], np.ndarray]:
    """Tag names and the ``(n_exogenous, n_tags)`` tag matrix of the
    exogenous columns, from a tag table indexed by column name."""
    if not isinstance(feature_tags, pd.DataFrame):
        raise InputTypeError(
            "feature_tags must be a DataFrame indexed by exogenous column name, "
            f"got {type(feature_tags).__name__}."
        )
    index = feature_tags.index.map(str)
    missing = [c for c in exogenous if c not in set(index)]
    if missing:
        raise InputValueError(
            f"feature_tags has no row for the exogenous columns {missing}; its "
            "rows must be named like the columns of X."
        )
    repeated = sorted(set(index[index.duplicated()]) & set(exogenous))
    if repeated:
        raise InputValueError(
            f"feature_tags has more than one row for the exogenous columns "
            f"{repeated}; give each column one row of tags."
        )
    schema = TagSchema()
    matrix = schema.fit_transform(feature_tags.set_axis(index).loc[exogenous])
    if not isinstance(matrix, np.ndarray):
        matrix = matrix.toarray()
    return list(schema.tag_names_), matrix.astype(np.float32)


def _resolve_endogenous(endogenous, columns: list[str]) -> str:
    if endogenous is None:
        return columns[-1]
    if is_integer(endogenous):
        if not -len(columns) <= endogenous < len(columns):
            raise InputValueError(
                f"endogenous={endogenous} is out of range for {len(columns)} columns."
            )
        return columns[endogenous]
    if str(endogenous) not in columns:
        raise InputValueError(
            f"endogenous={endogenous!r} is not a column of X; columns are "
            f"{columns}."
        )
    return str(endogenous)


def _check_finite(data: np.ndarray, columns: list[str],
                  chunk_rows: int = 1 << 16) -> None:
    """Reject NaN or infinity, naming the column; memory bounded by the chunk."""
    for start in range(0, data.shape[0], chunk_rows):
        block = data[start:start + chunk_rows]
        finite = np.isfinite(block)
        if not finite.all():
            row, column = first_flagged_cell(~finite)
            row += start
            name = columns[column] if column < len(columns) else "calendar"
            raise InputValueError(
                f"Column {name!r} of X contains {data[row, column]} at row {row}; "
                "X must be finite (no NaN or infinity: fill or drop missing "
                "values first)."
            )
        huge = np.abs(block) > MAX_MAGNITUDE
        if huge.any():
            row, column = first_flagged_cell(huge)
            row += start
            name = columns[column] if column < len(columns) else "calendar"
            raise InputValueError(
                f"Column {name!r} of X contains {data[row, column]:.4g} at row "
                f"{row}; values beyond {MAX_MAGNITUDE:.0e} overflow float32 "
                "training (squared in the normalisation): rescale the column."
            )
