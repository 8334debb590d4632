"""Sparse tag batches and the segment operations the methods share.

A batch of tag rows arrives either dense, as an ``(n, K)`` float tensor whose
non-zero entries are tag weights, or sparse, as :class:`TagBags`: the
``indices``/``offsets``/``per_sample_weights`` triple that
:class:`torch.nn.EmbeddingBag` takes. The sparse path never builds an
``(n, K)`` tensor, so ``K`` can be in the millions.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor

from ..exceptions import InputTypeError, InputValueError


class TagBags(NamedTuple):
    """A sparse batch of tag rows in :class:`torch.nn.EmbeddingBag` layout.

    Parameters
    ----------
    indices : Tensor of shape (nnz,), int64
        Tag indices of all rows, row after row.
    offsets : Tensor of shape (n,), int64
        Start of each row in ``indices``; ``offsets[0] == 0``. A row whose
        start equals the next row's start has no active tag.
    per_sample_weights : Tensor of shape (nnz,), float, optional
        Weight of each entry; ``None`` means every weight is 1.
    """

    indices: Tensor
    offsets: Tensor
    per_sample_weights: Tensor | None = None

    @property
    def num_rows(self) -> int:
        return int(self.offsets.shape[0])

    def weights(self, dtype: torch.dtype = torch.float32) -> Tensor:
        """Per-entry weights, materialising ones when none were given.

        Parameters
        ----------
        dtype : torch.dtype, default=torch.float32
            Type of the returned weights.

        Returns
        -------
        Tensor of shape (nnz,)
            The weight of each entry of ``indices``.
        """
        if self.per_sample_weights is None:
            return torch.ones(self.indices.shape[0], dtype=dtype,
                              device=self.indices.device)
        return self.per_sample_weights.to(dtype)

    def row_ids(self) -> Tensor:
        """Row index of each entry, shape ``(nnz,)``."""
        return row_ids_from_offsets(self.offsets, self.indices.shape[0])

    def to(self, device: torch.device | str) -> TagBags:
        weights = self.per_sample_weights
        return TagBags(
            self.indices.to(device),
            self.offsets.to(device),
            None if weights is None else weights.to(device),
        )


TagBags.indices.__doc__ = "Tag indices of all rows, row after row."
TagBags.offsets.__doc__ = "Start of each row in ``indices``."
TagBags.per_sample_weights.__doc__ = "Weight of each entry, or None (all 1)."


TagBatch = Tensor | TagBags


def row_ids_from_offsets(offsets: Tensor, nnz: int) -> Tensor:
    """Row index of each of ``nnz`` entries given EmbeddingBag ``offsets``."""
    counts = torch.diff(
        offsets, append=torch.tensor([nnz], dtype=offsets.dtype,
                                     device=offsets.device)
    )
    return torch.repeat_interleave(
        torch.arange(offsets.shape[0], device=offsets.device), counts,
        output_size=nnz,
    )


def dense_to_bags(dense: Tensor) -> TagBags:
    """Convert a dense ``(n, K)`` batch to :class:`TagBags` (row-major order)."""
    rows, cols = torch.nonzero(dense, as_tuple=True)
    counts = torch.bincount(rows, minlength=dense.shape[0])
    offsets = torch.cumsum(counts, 0) - counts
    return TagBags(cols, offsets, dense[rows, cols])


def sparse_to_bags(sparse: Tensor) -> TagBags:
    """Convert a sparse ``(n, K)`` tensor (COO or CSR) to :class:`TagBags`.

    This is how a sparse tag matrix reaches the modules: build a torch sparse
    tensor from it (for a SciPy CSR matrix, its ``indptr``, ``indices`` and
    ``data``) and convert that. Stored zeros stay entries of weight 0.

    Parameters
    ----------
    sparse : Tensor of shape (n, K)
        A torch sparse COO or CSR tensor of tag values.

    Returns
    -------
    TagBags
        The active tags of each row, with their values as weights.

    Examples
    --------
    >>> import torch
    >>> from sktagembed.nn import sparse_to_bags
    >>> dense = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 0.0], [0.0, 2.0, 0.0]])
    >>> bags = sparse_to_bags(dense.to_sparse())
    >>> bags.indices.tolist(), bags.offsets.tolist()
    ([0, 2, 1], [0, 2, 2])
    """
    if not isinstance(sparse, Tensor) or sparse.layout not in (
        torch.sparse_coo, torch.sparse_csr
    ) or sparse.ndim != 2:
        raise InputTypeError(
            "sparse_to_bags needs a 2-D torch sparse COO or CSR tensor, got "
            f"{_describe(sparse)}."
        )
    if sparse.layout == torch.sparse_csr:
        return TagBags(sparse.col_indices(), sparse.crow_indices()[:-1],
                       sparse.values())
    sparse = sparse.coalesce()  # row-major order, no repeated entries
    rows, columns = sparse.indices()
    counts = torch.bincount(rows, minlength=sparse.shape[0])
    return TagBags(columns, torch.cumsum(counts, 0) - counts, sparse.values())


def compact(tags: TagBags) -> tuple[Tensor, TagBags]:
    """The tags a sparse batch uses, and the batch re-indexed into them.

    Methods whose per-tag work (a score, a table row) is the same in every
    row compute it for ``unique`` only, ``len(unique) <= nnz`` however large
    ``K`` is: ``tags`` is the same batch as ``remapped`` over ``table[unique]``.
    """
    unique, inverse = torch.unique(tags.indices, return_inverse=True)
    return unique, TagBags(inverse, tags.offsets, tags.per_sample_weights)


def bag_sum(table: Tensor, tags: TagBatch, *, squared_weights: bool = False
            ) -> Tensor:
    """Weighted sum of ``table`` rows per tag row: ``X @ table``.

    With ``squared_weights=True`` the weights are squared first
    (``(X * X) @ table``), as the factorisation-machine identity needs.
    """
    if isinstance(tags, TagBags):
        weights = tags.per_sample_weights
        if weights is not None:
            weights = weights.to(table.dtype)
            if squared_weights:
                weights = weights * weights
        return F.embedding_bag(
            tags.indices, table, tags.offsets, mode="sum",
            per_sample_weights=weights,
        )
    dense = tags.to(table.dtype)
    if squared_weights:
        dense = dense * dense
    return dense @ table


def bag_weight_sum(tags: TagBatch, dtype: torch.dtype = torch.float32
                   ) -> Tensor:
    """Sum of the tag weights of each row, shape ``(n, 1)``."""
    if isinstance(tags, TagBags):
        out = torch.zeros(tags.num_rows, dtype=dtype, device=tags.indices.device)
        out.index_add_(0, tags.row_ids(), tags.weights(dtype))
        return out.unsqueeze(1)
    return tags.to(dtype).sum(dim=1, keepdim=True)


def check_tags(tags: object, num_tags: int) -> TagBatch:
    """Validate a tag batch against a module with ``num_tags`` tags.

    Raises a ``TypeError``/``ValueError`` naming the fault instead of letting
    a shape or index error surface from deep inside torch.
    """
    if isinstance(tags, TagBags):
        indices, offsets, weights = tags
        for name, tensor in (("indices", indices), ("offsets", offsets)):
            if not isinstance(tensor, Tensor) or tensor.ndim != 1 or (
                tensor.dtype not in (torch.int32, torch.int64)
            ):
                raise InputValueError(
                    f"TagBags.{name} must be a 1-D int32/int64 tensor, got "
                    f"{_describe(tensor)}."
                )
        if weights is not None and (
            not isinstance(weights, Tensor) or weights.shape != indices.shape
        ):
            raise InputValueError(
                "TagBags.per_sample_weights must be None or a tensor shaped "
                f"like indices {tuple(indices.shape)}, got {_describe(weights)}."
            )
        if offsets.numel() and int(offsets[0]) != 0:
            raise InputValueError(
                f"TagBags.offsets must start at 0, got {int(offsets[0])}."
            )
        if indices.numel():
            low, high = torch.aminmax(indices)
            if int(low) < 0 or int(high) >= num_tags:
                bad = int(low) if int(low) < 0 else int(high)
                raise InputValueError(
                    f"TagBags.indices holds the tag index {bad}, outside "
                    f"[0, {num_tags})."
                )
        return tags
    if not isinstance(tags, Tensor):
        raise InputTypeError(
            "tags must be a dense (n_rows, n_tags) tensor or TagBags, got "
            f"{type(tags).__name__}."
        )
    if tags.ndim != 2 or tags.shape[1] != num_tags:
        raise InputValueError(
            f"dense tags must have shape (n_rows, {num_tags}), got "
            f"{tuple(tags.shape)}."
        )
    return tags


def _describe(value: object) -> str:
    if isinstance(value, Tensor):
        layout = "" if value.layout == torch.strided else f", layout {value.layout}"
        return f"shape {tuple(value.shape)} and dtype {value.dtype}{layout}"
    return type(value).__name__
