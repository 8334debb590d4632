"""Which column of a time-series table is what, and reading tables by it.

:class:`ColumnLayout` is learned in ``fit`` from the training table and the
estimator's parameters (endogenous column, mode, group column, known-future
covariates, calendar, feature tags); ``read`` then turns any table with those
columns into the float32 array the windows are gathered from. Missing values
stay NaN (the model masks them); infinity and values too large for float32
training are errors naming the column and row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from torch import Tensor

from .._utils.checks import first_flagged_cell
from .._utils.params import is_integer
from ..exceptions import InputTypeError, InputValueError
from ._forecast_frame import CALENDAR_FEATURES, GROUP_ATTR, calendar_features
from ._series import SeriesIndex
from ._tag_tables import (
    TagMatrix,
    feature_tag_matrix,
    read_feature_tags,
    resolve_column,
)
from ._targets import series_statistics
from ._time_index import check_regular_steps

#: Largest magnitude accepted in X and y: squares of larger float32 values
#: (in the per-window normalisation and the loss) can overflow to inf.
MAX_MAGNITUDE = 1e15


class ColumnLayout:
    """Column roles learned at fit.

    Parameters
    ----------
    columns : list of str
        The feature columns, in the order of the data array.
    endogenous : list of str
        The endogenous (patched) columns.
    exogenous : list of str
        Exogenous columns read over the look-back window only.
    calendar : bool
        Whether calendar features follow the columns in the data array.
    tag_names : list of str or None
        Tags of the exogenous and future columns.
    tag_matrix : ndarray or csr_matrix or None
        Tag rows of the exogenous, then the future columns (token order).
    future : list of str, default=()
        Known-future covariates, read over the look-back and the horizon.
    tag_schema : TagSchema, optional
        The schema the tag matrix was read with (the tag vocabulary), to read
        the tags of other columns in it.
    """

    def __init__(self, columns: list[str], endogenous: list[str],
                 exogenous: list[str], calendar: bool,
                 tag_names: list[str] | None, tag_matrix: TagMatrix | None,
                 future: list[str] = (), tag_schema=None):
        self.columns = columns
        self.endogenous = endogenous
        self.exogenous = exogenous
        self.future = list(future)
        self.calendar = calendar
        self.tag_names = tag_names
        self.tag_matrix = tag_matrix
        self.tag_schema = tag_schema

    @property
    def n_calendar(self) -> int:
        return len(CALENDAR_FEATURES) if self.calendar else 0

    @property
    def tagged(self) -> list[str]:
        """The columns with a variate token that tags join, in token order."""
        return self.exogenous + self.future

    @classmethod
    def from_training_frame(cls, X, *, endogenous, mode: str,
                            group_column: str | None, calendar: bool | str,
                            feature_tags: pd.DataFrame | None,
                            future_covariates=None) -> ColumnLayout:
        columns = column_names(X)
        marked = getattr(X, "attrs", {}).get(GROUP_ATTR)
        if marked is not None and group_column is None and str(marked) in columns:
            raise InputValueError(
                f"X holds the series ids of make_forecast_frame(group_column="
                f"{marked!r}); pass group_column={marked!r} to the regressor too, "
                "or the ids would be read as an exogenous variable and windows "
                "would cross series."
            )
        if group_column is not None:
            columns = [c for c in columns
                       if c != resolve_group_column(group_column, columns)]
        if not columns:
            raise InputValueError(
                f"Found array with 0 feature(s) (shape={np.shape(X)}) while a "
                "minimum of 1 is required: X has no feature columns."
            )
        future = _resolve_future(future_covariates, columns)
        if mode == "M":
            if endogenous is not None:
                raise InputValueError(
                    f"endogenous={endogenous!r} has no effect in mode='M', where "
                    "every column is endogenous; leave it None or use mode='MS'."
                )
            if future:
                raise InputValueError(
                    "future_covariates needs mode='MS': in mode='M' every column "
                    "is forecast, so none is known in advance."
                )
            endo, exo = list(columns), list(columns)
        else:
            name = _resolve_endogenous(endogenous, [c for c in columns
                                                    if c not in future], columns)
            endo = [name]
            exo = [c for c in columns if c != name and c not in future]
        dated = _has_datetime_index(X)
        if calendar == "auto":
            calendar = dated
        elif calendar and not dated:
            raise InputValueError("calendar=True needs X with a DatetimeIndex.")
        if not exo and not future and not calendar:
            raise InputValueError(
                "TimeXer needs at least one exogenous column (or calendar=True); "
                f"X has n_features={len(columns)}, only the endogenous column "
                f"{endo[0]!r}."
            )
        tag_names = tag_matrix = schema = None
        if feature_tags is not None:
            schema, tag_matrix = read_feature_tags(feature_tags, exo + future)
            tag_names = list(schema.tag_names_)
        return cls(columns, endo, exo, bool(calendar), tag_names, tag_matrix,
                   future, schema)

    def with_exogenous(self, names: list[str], feature_tags
                       ) -> tuple[ColumnLayout, list[int]]:
        """This layout reading the exogenous columns a prediction table has.

        ``names`` are the table's feature columns: the endogenous and future
        ones of this layout, and any exogenous columns, known or new, with a
        row in ``feature_tags``. Returns the layout of the table and, for
        each of its exogenous columns, the position of that column among this
        layout's (-1 for a new one).
        """
        if self.tag_schema is None or len(self.endogenous) != 1:
            new = [c for c in names if c not in self.columns]
            raise InputValueError(
                f"Column {(new or names)[0]!r} of X was not seen in fit, "
                "and only a model with feature_tags in mode='MS' reads columns "
                f"other than those it was fitted on ({self.columns}). Give X "
                "exactly those columns, or fit with feature_tags describing "
                "every column you will forecast with."
            )
        required = self.endogenous + self.future
        missing = [c for c in required if c not in names]
        if missing:
            raise InputValueError(
                f"X lacks the columns {missing}: the endogenous column and the "
                "future covariates must be there; exogenous ones may be "
                "added or left out."
            )
        exogenous = [c for c in names if c not in required]
        unknown = [c for c in exogenous if c not in self.exogenous
                   and c.split("__", 1)[-1] not in set(map(str, feature_tags.index))]
        if unknown:
            raise InputValueError(
                f"Column {unknown[0]!r} of X was not seen in fit and "
                "feature_tags has no row for it; add a row with its tags to "
                "feature_tags (new columns are read through their tags), or "
                "drop it from X."
            )
        matrix = feature_tag_matrix(feature_tags, exogenous + self.future,
                                    self.tag_schema)
        layout = ColumnLayout([c for c in names if c in set(exogenous + required)],
                              list(self.endogenous), exogenous, self.calendar,
                              self.tag_names, matrix, self.future, self.tag_schema)
        known = [self.exogenous.index(c) if c in self.exogenous else -1
                 for c in exogenous]
        return layout, known

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
            groups = np.asarray(X[resolve_group_column(group_column, names)])
        if self.calendar and not _has_datetime_index(X):
            raise InputValueError(
                "This model reads calendar tokens (calendar=True, or 'auto' "
                "fitted on X with a DatetimeIndex), so X needs a DatetimeIndex "
                f"too; got {type(getattr(X, 'index', X)).__name__}."
            )
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
        _check_values(data, self.columns)
        series = SeriesIndex.from_groups(groups, n_rows)
        check_regular_steps(getattr(X, "index", None), series)
        return data, series

    def positions(self, role: str) -> list[int]:
        """Positions in the data array of the columns of ``role``."""
        position = {name: i for i, name in enumerate(self.columns)}
        return [position[c] for c in getattr(self, role)]

    def level_statistics(self, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation of each endogenous, exogenous and
        future column of ``data`` (in that order; missing values left out),
        as float32 arrays; 0 and 1 for a column without values or spread."""
        # Every column as one series' "target" of one step, read in chunks.
        location, scale = series_statistics(
            data, np.zeros(len(data), dtype=np.intp), 1, data.shape[1])
        positions = [*self.positions("endogenous"), *self.positions("exogenous"),
                     *self.positions("future")]
        return location[-1, positions], scale[-1, positions]

    def column_index(self, device) -> dict[str, Tensor | slice]:
        """Positions of each role's columns in the data: a slice where they
        are adjacent (the usual case), else an index tensor."""
        index = {}
        for role in ("endogenous", "exogenous"):
            positions = self.positions(role)
            first = positions[0] if positions else 0
            if positions == list(range(first, first + len(positions))):
                index[role] = slice(first, first + len(positions))
            else:
                index[role] = torch.tensor(positions, device=device)
        return index

    def split(self, windows: Tensor, future: Tensor | None,
              index: dict[str, Tensor | slice]) -> dict:
        """Model inputs from gathered windows ``(batch, lookback, n_columns)``
        and the future covariates' ``(batch, lookback + horizon, n_future)``;
        ``index`` comes from :meth:`column_index`."""

        def take(columns: Tensor | slice) -> Tensor:
            if isinstance(columns, slice):  # a view: no copy of the windows
                return windows[:, :, columns]
            return windows.index_select(2, columns)

        inputs = {"endogenous": take(index["endogenous"]),
                  "exogenous": take(index["exogenous"])}
        if self.calendar:
            inputs["calendar"] = windows[:, :, len(self.columns):]
        if future is not None:
            inputs["future"] = future
        return inputs


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


def resolve_group_column(group_column, columns: list[str]) -> str:
    found = resolve_column(str(group_column), columns)
    if found is None:
        raise InputValueError(f"group_column={group_column!r} is not a column of X.")
    return found


def _resolve_future(future_covariates, columns: list[str]) -> list[str]:
    if future_covariates is None:
        return []
    if isinstance(future_covariates, str):
        future_covariates = [future_covariates]
    resolved, unknown = [], []
    for name in future_covariates:
        found = resolve_column(str(name), columns)
        (unknown.append(name) if found is None else resolved.append(found))
    if unknown:
        raise InputValueError(
            f"future_covariates {unknown} are not columns of X; columns are "
            f"{columns}."
        )
    if len(set(resolved)) != len(resolved):
        raise InputValueError(f"future_covariates repeats a column: {resolved}.")
    return resolved


def _resolve_endogenous(endogenous, candidates: list[str],
                        columns: list[str]) -> str:
    if endogenous is None:
        if not candidates:
            raise InputValueError(
                "Every column of X is a future covariate; the endogenous "
                "(forecast) column must not be one."
            )
        return candidates[-1]
    if is_integer(endogenous):
        if not -len(columns) <= endogenous < len(columns):
            raise InputValueError(
                f"endogenous={endogenous} is out of range for {len(columns)} columns."
            )
        name = columns[endogenous]
    else:
        name = resolve_column(str(endogenous), columns)
        if name is None:
            raise InputValueError(
                f"endogenous={endogenous!r} is not a column of X; columns are "
                f"{columns}."
            )
    if name not in candidates:
        raise InputValueError(
            f"endogenous={endogenous!r} is also a future covariate; the forecast "
            "column cannot be known in advance."
        )
    return name


def _has_datetime_index(X) -> bool:
    return isinstance(getattr(X, "index", None), pd.DatetimeIndex)


def _check_values(data: np.ndarray, columns: list[str],
                  chunk_rows: int = 1 << 16) -> None:
    """Reject infinity and magnitudes float32 training cannot hold, naming
    the column and row; NaN (a missing value) is allowed. Memory is bounded
    by the chunk."""
    for start in range(0, data.shape[0], chunk_rows):
        block = data[start:start + chunk_rows]
        with np.errstate(invalid="ignore"):
            bad = np.abs(block) > MAX_MAGNITUDE  # inf too, NaN never
        if bad.any():
            row, column = first_flagged_cell(bad)
            value = data[row + start, column]
            name = columns[column] if column < len(columns) else "calendar"
            if np.isinf(value):
                raise InputValueError(
                    f"Column {name!r} of X contains {value} at row {row + start}; "
                    "X must not hold infinity (NaN marks a missing value)."
                )
            raise InputValueError(
                f"Column {name!r} of X contains {value:.4g} at row "
                f"{row + start}; values beyond {MAX_MAGNITUDE:.0e} overflow float32 "
                "training (squared in the normalisation): rescale the column."
            )
