"""Turning user input into a validated tag matrix and tag names.

This is the one place where user tag data is checked. Everything downstream
(torch modules, estimators) receives a float32 ``(n, K)`` matrix, dense or
CSR, whose columns are the tags named in ``TagSchema.tag_names_``.

Accepted layouts
----------------
- a tag matrix: boolean / 0-1 columns of a DataFrame (nullable ``boolean``
  and ``"TRUE"``/``"FALSE"`` strings included), a 2-D numpy array, or a scipy
  sparse matrix. With ``weighted=True`` any finite non-negative value that
  float32 holds is a tag weight.
- categorical columns (``object``/``category``/``string`` dtype): each
  column's categories become tags named ``"{column}={value}"``.
- label-list columns: values that are lists, tuples, sets or arrays of
  labels, or strings split on ``separator``; each label is a tag named by the
  label itself.

A DataFrame may mix these kinds of columns; the tags are the union, in column
order.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._utils.checks import check_unique_columns, first_flagged_cell
from ..exceptions import InputTypeError, InputValueError

#: Up to this many tags a dense input gives a dense tag matrix.
DENSE_MAX_TAGS = 4096
#: Largest tag weight: the tag matrix is float32.
FLOAT32_MAX = float(np.finfo(np.float32).max)

_TRUE_STRINGS = {"true"}
_FALSE_STRINGS = {"false"}
_LIST_TYPES = (list, tuple, set, frozenset, np.ndarray)

TagMatrix = np.ndarray | sp.csr_matrix


class NonBinaryTagError(InputValueError):
    """A tag column holds a value other than 0/1 while ``weighted=False``."""

    def __init__(self, column: str, value, row: int):
        self.column, self.value, self.row = column, _plain(value), row
        super().__init__(
            f"Column {column!r} contains the value {self.value} at row {row}; "
            "tag columns must be 0/1 or boolean (pass weighted=True for tag "
            "weights)."
        )


class TagSchema:
    """Learns how to read tag input, then turns such input into a tag matrix.

    Parameters
    ----------
    handle_unknown : {"ignore", "error"}, default="ignore"
        Categories or labels met in ``transform`` that ``fit`` did not see.
    weighted : bool, default=False
        Read tag-matrix values as non-negative weights instead of 0/1.
    separator : str or None, default=None
        Split string columns on this separator into label lists.

    Attributes
    ----------
    tag_names_ : list of str
        The ``K`` tags, in the order of the matrix columns.
    n_features_in_ : int
        Number of input columns.
    feature_names_in_ : ndarray of str or None
        Input column names of a DataFrame.
    input_kind_ : {"matrix", "columns"}
        ``"matrix"`` when every column is a tag, else ``"columns"``.
    """

    def __init__(self, *, handle_unknown: str = "ignore", weighted: bool = False,
                 separator: str | None = None) -> None:
        self.handle_unknown = handle_unknown
        self.weighted = weighted
        self.separator = separator

    # -- fit -----------------------------------------------------------------

    def fit(self, X) -> TagSchema:
        self.fit_transform(X)
        return self

    def fit_transform(self, X) -> TagMatrix:
        """Learn the tags of ``X`` and return its tag matrix (checked once)."""
        if self.handle_unknown not in ("ignore", "error"):
            raise InputValueError(
                "handle_unknown must be 'ignore' or 'error', got "
                f"{self.handle_unknown!r}."
            )
        if self.separator is not None and not (
            isinstance(self.separator, str) and self.separator
        ):
            raise InputValueError(
                f"separator must be a non-empty string or None, got "
                f"{self.separator!r}."
            )
        X = as_tag_table(X)
        if X.shape[0] == 0:
            raise InputValueError(
                f"Found array with 0 sample(s) (shape={X.shape}) while a minimum "
                "of 1 is required: X needs at least one row of tags."
            )
        if X.shape[1] == 0:
            raise InputValueError(
                f"Found array with 0 feature(s) (shape={X.shape}) while a minimum "
                "of 1 is required: X needs at least one tag column."
            )
        self._sparse_input = sp.issparse(X)
        if isinstance(X, pd.DataFrame):
            self._columns = [str(c) for c in X.columns]
            check_unique_columns(self._columns)
            self.feature_names_in_ = (
                np.asarray(X.columns, dtype=object)
                if all(isinstance(c, str) for c in X.columns) else None
            )
            self._plan = [
                self._fit_column(name, X.iloc[:, i])
                for i, name in enumerate(self._columns)
            ]
        else:
            self._columns = [f"tag_{i}" for i in range(X.shape[1])]
            self.feature_names_in_ = None
            self._plan = [("tag", name, None) for name in self._columns]
        self.n_features_in_ = X.shape[1]
        kinds = {kind for kind, _, _ in self._plan}
        self.input_kind_ = "matrix" if kinds == {"tag"} else "columns"
        names: list[str] = []
        for kind, column, vocabulary in self._plan:
            if kind == "tag":
                names.append(column)
            elif kind == "categorical":
                names.extend(f"{column}={value}" for value in vocabulary)
            else:
                names.extend(str(label) for label in vocabulary)
        if not names:
            raise InputValueError(
                f"X has no tags: its label columns {self._columns} hold not a "
                "single label."
            )
        duplicated = pd.Index(names)[pd.Index(names).duplicated()]
        if len(duplicated):
            raise InputValueError(
                f"The tags {sorted(set(duplicated))} come from more than one "
                "column; rename the columns or labels so each tag is unique."
            )
        self.tag_names_ = names
        return self.transform(X)

    def _fit_column(self, name: str, column: pd.Series):
        _check_no_missing(name, column)
        if _is_label_column(column, self.separator):
            labels = _explode_labels(name, column, self.separator)
            vocabulary = sorted(pd.unique(labels.dropna()), key=str)
            return ("labels", name, vocabulary)
        _check_hashable(name, column)
        if _is_tag_column(column):
            return ("tag", name, None)
        if _is_categorical(column):
            _check_not_half_boolean(name, column)
            values = column.astype(object)
            vocabulary = sorted(pd.unique(values), key=str)
            return ("categorical", name, vocabulary)
        raise InputTypeError(
            f"Column {name!r} has dtype {column.dtype}, which is neither a tag "
            "column (boolean or 0/1), categorical, nor a label-list column."
        )

    # -- transform -------------------------------------------------------------

    def transform(self, X) -> TagMatrix:
        X = as_tag_table(X)
        self._check_columns(X)
        n_rows = X.shape[0]
        if sp.issparse(X):
            return self._sparse_matrix(X)
        if isinstance(X, np.ndarray):
            return self._dense_matrix(X, self._columns)
        frame = self._reorder(X)
        if self.input_kind_ == "matrix":
            return self._dense_frame_matrix(frame)
        blocks = []
        for i, (kind, column, vocabulary) in enumerate(self._plan):
            series = frame.iloc[:, i]
            _check_no_missing(column, series)
            if kind == "tag":
                values = _tag_values(column, series)
                blocks.append(self._checked(values.reshape(-1, 1), [column]))
            elif kind == "categorical":
                try:
                    blocks.append(
                        self._one_hot(column, series.astype(object), vocabulary))
                except TypeError:
                    _check_hashable(column, series)  # names the value
                    raise
            else:
                labels = _explode_labels(column, series, self.separator)
                blocks.append(self._multi_hot(column, labels, vocabulary, n_rows))
        matrix = sp.hstack([sp.csr_matrix(b) for b in blocks], format="csr",
                           dtype=np.float32)
        if len(self.tag_names_) <= DENSE_MAX_TAGS:
            return matrix.toarray()
        return matrix

    def _check_columns(self, X) -> None:
        if X.shape[1] != self.n_features_in_ and not isinstance(X, pd.DataFrame):
            raise InputValueError(
                f"X has {X.shape[1]} columns, but the tags were fitted on "
                f"{self.n_features_in_} columns."
            )
        if isinstance(X, pd.DataFrame):
            names = [str(c) for c in X.columns]
            missing = [c for c in self._columns if c not in names]
            extra = [c for c in names if c not in self._columns]
            if missing or extra:
                parts = []
                if missing:
                    parts.append(f"missing columns {missing}")
                if extra:
                    parts.append(f"unexpected columns {extra}")
                raise InputValueError(
                    "X does not have the columns seen in fit: " + "; ".join(parts)
                    + "."
                )

    def _reorder(self, frame: pd.DataFrame) -> pd.DataFrame:
        names = [str(c) for c in frame.columns]
        if names == self._columns:
            return frame
        position = {name: i for i, name in enumerate(names)}
        return frame.iloc[:, [position[c] for c in self._columns]]

    def _dense_frame_matrix(self, frame: pd.DataFrame) -> np.ndarray:
        dtypes = frame.dtypes
        if all(dtype == np.bool_ for dtype in dtypes):
            values = frame.to_numpy(dtype=np.float32)
            # A fresh conversion that pandas marks read-only: it shares no
            # memory with the frame, so it may be handed on as writable.
            values.flags.writeable = True
            return values
        columns = [
            _tag_values(name, frame.iloc[:, i]) for i, name in enumerate(self._columns)
        ]
        return self._checked(np.column_stack(columns), self._columns)

    def _dense_matrix(self, array: np.ndarray, names: Sequence[str]) -> np.ndarray:
        if array.dtype == np.bool_:
            return array.astype(np.float32)
        _reject_complex(array)
        if array.dtype == object:
            try:
                array = array.astype(np.float64)
            except TypeError as exc:
                raise InputTypeError(
                    f"X holds a value that is not a number ({exc}); a tag matrix "
                    "must be boolean or 0/1."
                ) from exc
            except ValueError as exc:
                raise InputValueError(
                    f"X holds a value that is not a number ({exc}); a tag matrix "
                    "must be boolean or 0/1."
                ) from exc
        if not np.issubdtype(array.dtype, np.number):
            raise InputTypeError(
                f"X has dtype {array.dtype}; expected boolean or numeric."
            )
        return self._checked(array, names)

    def _checked(self, values: np.ndarray, names: Sequence[str]) -> np.ndarray:
        """Check tag values column by column; return them as float32."""
        values = np.asarray(values)
        finite = np.isfinite(values)
        if not finite.all():
            row, column = first_flagged_cell(~finite)
            raise InputValueError(
                f"Column {names[column]!r} contains {values[row, column]!r} at row "
                f"{row}; tag values must be finite (no NaN or infinity)."
            )
        if self.weighted:
            bad = values < 0
            if bad.any():
                row, column = first_flagged_cell(bad)
                raise InputValueError(
                    f"Negative values in data: column {names[column]!r} contains "
                    f"the value {_plain(values[row, column])} at row {row}; tag "
                    "weights must be non-negative."
                )
        else:
            bad = (values != 0) & (values != 1)
            if bad.any():
                row, column = first_flagged_cell(bad)
                raise NonBinaryTagError(names[column], values[row, column], row)
        huge = np.abs(values) > FLOAT32_MAX  # only weights can get here
        if huge.any():
            row, column = first_flagged_cell(huge)
            raise InputValueError(
                f"Column {names[column]!r} contains the value "
                f"{_plain(values[row, column])} at row {row}; tag weights must "
                f"fit in float32 (at most {FLOAT32_MAX:.4g})."
            )
        return values.astype(np.float32, copy=False)

    def _sparse_matrix(self, matrix) -> sp.csr_matrix:
        matrix = sp.csr_matrix(matrix)
        data = matrix.data
        _reject_complex(data)
        if data.dtype == np.bool_:
            data = data.astype(np.float32)
        if not np.issubdtype(data.dtype, np.number):
            raise InputTypeError(
                f"X has dtype {data.dtype}; expected boolean or numeric."
            )
        bad = ~np.isfinite(data)
        if self.weighted:
            bad |= (data < 0) | (data > FLOAT32_MAX)
        else:
            bad |= (data != 0) & (data != 1)
        if bad.any():
            entry = int(np.flatnonzero(bad)[0])
            row = int(np.searchsorted(matrix.indptr, entry, side="right") - 1)
            column = self._columns[matrix.indices[entry]]
            value = data[entry]
            if not np.isfinite(value):
                prefix, rule = "C", "tag values must be finite (no NaN or infinity)"
            elif self.weighted and value < 0:
                prefix, rule = "Negative values in data: c", "weights must be >= 0"
            elif self.weighted:
                prefix, rule = "C", (f"weights must fit in float32 (at most "
                                     f"{FLOAT32_MAX:.4g})")
            else:
                raise NonBinaryTagError(column, value, row)
            raise InputValueError(
                f"{prefix}olumn {column!r} contains the value {_plain(value)} at "
                f"row {row}; {rule}."
            )
        out = sp.csr_matrix(
            (data.astype(np.float32), matrix.indices, matrix.indptr),
            shape=matrix.shape,
        )
        out.sort_indices()
        return out

    def _one_hot(self, column: str, values: pd.Series, vocabulary) -> sp.csr_matrix:
        codes = _codes(values, vocabulary)
        self._check_unknown(column, values[codes < 0])
        rows = np.flatnonzero(codes >= 0)
        return sp.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, codes[rows])),
            shape=(len(values), len(vocabulary)),
        )

    def _multi_hot(self, column: str, labels: pd.Series, vocabulary,
                   n_rows: int) -> sp.csr_matrix:
        labels = labels.dropna()
        codes = _codes(labels, vocabulary)
        self._check_unknown(column, labels[codes < 0])
        known = codes >= 0
        rows = labels.index.to_numpy()[known]
        matrix = sp.csr_matrix(
            (np.ones(known.sum(), dtype=np.float32), (rows, codes[known])),
            shape=(n_rows, len(vocabulary)),
        )
        matrix.data[:] = 1.0  # a label repeated in one row is still one tag
        return matrix

    def _check_unknown(self, column: str, unknown: pd.Series) -> None:
        if self.handle_unknown == "error" and len(unknown):
            values = sorted({str(v) for v in unknown})[:10]
            raise InputValueError(
                f"Column {column!r} contains values not seen in fit: {values}; "
                "pass handle_unknown='ignore' to give them no tag."
            )


# -- helpers -------------------------------------------------------------------


def as_tag_table(X):
    """``X`` as a DataFrame, a 2-D ndarray or a CSR matrix.

    A Series or a sequence of label lists becomes a one-column DataFrame;
    anything that is not 2-D raises a ``ValueError``.
    """
    if sp.issparse(X):
        if X.ndim != 2:
            raise InputValueError(f"Expected a 2-D sparse matrix, got {X.ndim} dims.")
        return sp.csr_matrix(X)
    if isinstance(X, pd.Series):
        return X.to_frame(name=str(X.name) if X.name is not None else "labels")
    if isinstance(X, pd.DataFrame):
        return X
    if isinstance(X, Sequence) and not isinstance(X, str) and len(X) and all(
        isinstance(row, _LIST_TYPES) and not _is_row_of_numbers(row) for row in X
    ):
        return pd.DataFrame({"labels": pd.Series(list(X), dtype=object)})
    try:
        array = np.asarray(X)
    except ValueError as exc:  # a ragged nested sequence
        raise InputValueError(f"X is not a 2-D tag matrix: {exc}") from exc
    if array.ndim != 2:
        raise InputValueError(
            f"Expected a 2-D tag matrix, got an array of shape {array.shape}. "
            "Reshape your data with X.reshape(-1, 1) if it is a single tag "
            "column, or pass label lists as a pandas Series."
        )
    return array


def _is_row_of_numbers(row) -> bool:
    values = list(row)
    return bool(values) and all(
        isinstance(v, (numbers.Number, np.bool_)) for v in values
    )


def _check_no_missing(name: str, column: pd.Series) -> None:
    missing = column.isna()
    if missing.any():
        row = column.index[np.flatnonzero(missing.to_numpy())[0]]
        raise InputValueError(
            f"Column {name!r} has a missing value (row {row!r}); tags must not "
            "be missing."
        )


def _check_hashable(name: str, column: pd.Series) -> None:
    """Reject values that cannot be categories: a dict, or a label list in a
    column whose first entry is not one."""
    if column.dtype != object:
        return
    try:
        pd.unique(column)
    except TypeError:
        for row, value in enumerate(column):
            try:
                hash(value)
            except TypeError:
                raise InputTypeError(
                    f"Column {name!r} contains {value!r} at row {row}, which "
                    "cannot be a category; a label-list column needs a list of "
                    "labels in every row."
                ) from None
        raise


def _is_tag_column(column: pd.Series) -> bool:
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return True
    if pd.api.types.is_numeric_dtype(dtype) and not isinstance(
        dtype, pd.CategoricalDtype
    ):
        return True
    if dtype == np.dtype(object) or pd.api.types.is_string_dtype(dtype):
        return _is_boolean_like(column)
    return False


def _is_boolean_like(column: pd.Series) -> bool:
    values = pd.unique(column)
    return len(values) > 0 and all(_is_boolean_value(value) for value in values)


def _check_not_half_boolean(name: str, column: pd.Series) -> None:
    """Reject a column of true/false values with a stray other value."""
    values = pd.unique(column)
    flags = [_is_boolean_value(value) for value in values]
    if any(flags) and not all(flags):
        stray = next(v for v, flag in zip(values, flags, strict=True) if not flag)
        raise InputValueError(
            f"Column {name!r} holds true/false values and also {stray!r}; "
            "tag columns must be 0/1 or boolean."
        )


def _is_boolean_value(value) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return True
    return isinstance(value, str) and value.strip().lower() in (
        _TRUE_STRINGS | _FALSE_STRINGS
    )


def _is_categorical(column: pd.Series) -> bool:
    dtype = column.dtype
    return (
        isinstance(dtype, pd.CategoricalDtype)
        or dtype == np.dtype(object)
        or pd.api.types.is_string_dtype(dtype)
    )


def _is_label_column(column: pd.Series, separator: str | None) -> bool:
    if column.dtype != object and not pd.api.types.is_string_dtype(column.dtype):
        return False
    values = column.dropna()
    if len(values) == 0:
        return False
    first = values.iloc[0]
    if isinstance(first, _LIST_TYPES):
        return True
    return separator is not None and isinstance(first, str) and not _is_boolean_like(
        column
    )


def _explode_labels(name: str, column: pd.Series, separator: str | None) -> pd.Series:
    """One label per entry, indexed by row position."""
    column = column.reset_index(drop=True)
    values = []
    for value in column:
        if isinstance(value, _LIST_TYPES):
            values.append(list(value))
        elif isinstance(value, str) and separator is not None:
            values.append([part.strip() for part in value.split(separator)
                           if part.strip()])
        else:
            raise InputValueError(
                f"Column {name!r} mixes label lists with the value {value!r}; "
                "every entry must be a list of labels"
                + (f" or a string split on {separator!r}." if separator else ".")
            )
    exploded = pd.Series(values, dtype=object).explode()
    exploded = exploded.dropna()
    return exploded.map(str)


def _tag_values(name: str, column: pd.Series) -> np.ndarray:
    """A tag column as a 1-D float array, strings ``"true"``/``"false"`` read."""
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return column.to_numpy(dtype=np.float32)
    if pd.api.types.is_numeric_dtype(dtype):
        _reject_complex(column.dtype.type(0) if hasattr(dtype, "type") else 0)
        return column.to_numpy(dtype=np.float64, na_value=np.nan)
    lowered = column.astype(str).str.strip().str.lower()
    out = np.full(len(column), np.nan, dtype=np.float32)
    out[lowered.isin(_TRUE_STRINGS).to_numpy()] = 1.0
    out[lowered.isin(_FALSE_STRINGS).to_numpy()] = 0.0
    unreadable = np.flatnonzero(np.isnan(out))
    if len(unreadable):
        row = int(unreadable[0])
        raise InputValueError(
            f"Column {name!r} contains the value {column.iloc[row]!r} at row "
            f"{row}; tag columns must be 0/1 or boolean."
        )
    return out


def _reject_complex(values) -> None:
    if np.iscomplexobj(values):
        raise InputValueError("Complex data not supported: tag values must be real.")


def _codes(values: pd.Series, vocabulary) -> np.ndarray:
    """Position of each value in ``vocabulary``; -1 for unknown values."""
    return pd.Index(vocabulary, dtype=object).get_indexer(values.astype(object))


def _plain(value) -> str:
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)
