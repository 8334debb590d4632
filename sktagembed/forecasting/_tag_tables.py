"""Tag tables of an estimator: tags of exogenous columns and of series.

A tag table is a DataFrame whose index names what is tagged (column names
for ``feature_tags``, series ids for ``series_tags``) and whose columns are
read like :class:`~sktagembed.TagEmbeddingTransformer` input. The rows are
aligned by name, and the tag matrix keeps the layout :class:`TagSchema` gives
(dense up to a few thousand tags, CSR above), so a vocabulary of any size
works.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch

from ..embedding._schema import TagSchema
from ..exceptions import InputTypeError, InputValueError

TagMatrix = np.ndarray | sp.csr_matrix


def resolve_column(name: str, columns: Sequence[str]) -> str | None:
    """``name`` among ``columns``, also when a ``ColumnTransformer`` with
    pandas output has prefixed it (``"num__load"`` for ``"load"``); None when
    absent or ambiguous."""
    if name in columns:
        return name
    prefixed = [c for c in columns if c.endswith(f"__{name}")]
    return prefixed[0] if len(prefixed) == 1 else None


def read_feature_tags(feature_tags, columns: Sequence[str]
                      ) -> tuple[TagSchema, TagMatrix]:
    """The tag schema fitted on the tagged ``columns`` and their ``(len(columns),
    n_tags)`` tag matrix, from a table indexed by column name."""
    schema = TagSchema()
    matrix = schema.fit_transform(_column_rows(feature_tags, columns))
    return schema, _float32(matrix)


def feature_tag_matrix(feature_tags, columns: Sequence[str],
                       schema: TagSchema) -> TagMatrix:
    """The tag rows of ``columns`` in the vocabulary of a fitted ``schema``
    (tags it never saw left out)."""
    return _float32(schema.transform(_column_rows(feature_tags, columns)))


def _column_rows(feature_tags, columns: Sequence[str]) -> pd.DataFrame:
    """The rows of a feature tag table for ``columns``, in their order."""
    table = _check_table(feature_tags, "feature_tags", "exogenous column name")
    index = table.index
    known = set(index)
    rows = []
    for column in columns:
        # A ColumnTransformer with pandas output names "load" "num__load".
        unprefixed = column.split("__", 1)[-1]
        rows.append(column if column in known else
                    unprefixed if unprefixed in known else None)
    missing = [c for c, r in zip(columns, rows, strict=True) if r is None]
    if missing:
        raise InputValueError(
            f"feature_tags has no row for the exogenous columns {missing}; its "
            "rows must be named like the columns of X (a ColumnTransformer's "
            "'name__' prefix is recognised)."
        )
    repeated = sorted(set(index[index.duplicated()]) & set(rows))
    if repeated:
        raise InputValueError(
            f"feature_tags has more than one row for the exogenous columns "
            f"{repeated}; give each column one row of tags."
        )
    return table.loc[rows]


def read_series_tags(series_tags) -> tuple[list[str], TagMatrix, pd.Index]:
    """Tag names, the tag matrix (one row per series of the table) and the
    series ids, from a table indexed by series id."""
    table = _check_table(series_tags, "series_tags", "series id")
    if table.index.duplicated().any():
        repeated = sorted(map(str, set(table.index[table.index.duplicated()])))
        raise InputValueError(
            f"series_tags has more than one row for the series {repeated[:10]}."
        )
    schema = TagSchema()
    matrix = schema.fit_transform(table)
    return list(schema.tag_names_), _float32(matrix), table.index


def series_rows(table_index: pd.Index, labels: np.ndarray) -> np.ndarray:
    """Row of each series id of ``labels`` in a series tag table; an error
    naming the ids the table lacks."""
    rows = table_index.get_indexer(pd.Index(labels))
    if (rows < 0).any():
        missing = [str(label) for label in np.asarray(labels)[rows < 0]]
        raise InputValueError(
            f"series_tags has no row for the series {missing[:10]}"
            + (" ..." if len(missing) > 10 else "")
            + "; give every series its tags (a new series with known tags "
            "can be forecast)."
        )
    return rows


def _check_table(table, name: str, indexed_by: str) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame):
        raise InputTypeError(
            f"{name} must be a DataFrame indexed by {indexed_by}, got "
            f"{type(table).__name__}."
        )
    if name == "feature_tags":
        table = table.set_axis(table.index.map(str))
    return table


def _float32(matrix: TagMatrix) -> TagMatrix:
    if sp.issparse(matrix):
        return sp.csr_matrix(matrix, dtype=np.float32)
    return np.asarray(matrix, dtype=np.float32)


class SeriesTagTable:
    """The fitted series tag table: tag names, tag matrix, series ids."""

    def __init__(self, tag_names, matrix, index):
        self.tag_names, self.matrix, self.index = tag_names, matrix, index

    @classmethod
    def read(cls, table) -> SeriesTagTable:
        return cls(*read_series_tags(table))

    def rows(self, labels: np.ndarray) -> np.ndarray:
        if len(labels) == 1 and labels[0] is None:
            raise InputValueError(
                "series_tags are looked up by series id: pass groups or "
                "group_column."
            )
        return series_rows(self.index, labels)

    def tensors(self):
        if sp.issparse(self.matrix):
            return (torch.from_numpy(self.matrix.indptr.astype(np.int64)),
                    torch.from_numpy(self.matrix.indices.astype(np.int64)),
                    torch.from_numpy(self.matrix.data),
                    self.matrix.shape[1])
        return torch.from_numpy(self.matrix)


def unique_row_share(table: SeriesTagTable, labels: np.ndarray) -> float:
    """The share of the series ``labels`` whose tag row no other of them
    has: 1 when the tags tell every series apart as its id would."""
    matrix = table.matrix[table.rows(labels)]
    if sp.issparse(matrix):
        matrix = sp.csr_matrix(matrix)
        matrix.sum_duplicates()
        matrix.sort_indices()
        keys = [(tuple(matrix.indices[start:end]), tuple(matrix.data[start:end]))
                for start, end in zip(matrix.indptr[:-1], matrix.indptr[1:],
                                      strict=True)]
    else:
        keys = [row.tobytes() for row in np.ascontiguousarray(matrix)]
    return float((~pd.Series(keys).duplicated(keep=False)).mean())


def as_tensor(matrix) -> torch.Tensor:
    """A tag matrix as a torch tensor: dense, or sparse COO for CSR."""
    if sp.issparse(matrix):
        coo = matrix.tocoo()
        return torch.sparse_coo_tensor(
            torch.from_numpy(np.stack([coo.row, coo.col]).astype(np.int64)),
            torch.from_numpy(coo.data), size=coo.shape,
            check_invariants=False).coalesce()
    return torch.from_numpy(matrix)
