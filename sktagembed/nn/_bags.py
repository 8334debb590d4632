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
        """Per-entry weights, materialising ones when none were given."""
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


def num_rows(tags: TagBatch) -> int:
    return tags.num_rows if isinstance(tags, TagBags) else int(tags.shape[0])
