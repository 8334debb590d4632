"""Softmax pooling over the active tags of each row, for both layouts."""

from __future__ import annotations

import torch
from torch import Tensor

from ._bags import TagBags, TagBatch


def masked_softmax_pool(scores: Tensor, values: Tensor, tags: TagBatch) -> Tensor:
    """Attention-pool per-tag ``values`` over each row's active tags.

    Parameters
    ----------
    scores : Tensor of shape (K, H)
        Score of each tag under each of ``H`` heads.
    values : Tensor of shape (K, H, D)
        Value of each tag under each head.
    tags : dense (n, K) tensor or TagBags
        Active tags (non-zero entries) and their non-negative weights; a
        weight ``w`` adds ``log(w)`` to the tag's score.

    Returns
    -------
    Tensor of shape (n, H, D)
        Rows with no active tag are zeros.
    """
    weights = softmax_weights(scores, tags)
    if isinstance(tags, TagBags):
        rows = tags.row_ids()
        pooled = weights.unsqueeze(-1) * values[tags.indices]
        out = values.new_zeros((tags.num_rows, *values.shape[1:]))
        return out.index_add_(0, rows, pooled)
    return torch.einsum("nkh,khd->nhd", weights, values)


def softmax_weights(scores: Tensor, tags: TagBatch) -> Tensor:
    """Softmax of ``scores`` over each row's active tags, per head.

    Returns ``(n, K, H)`` for dense input and ``(nnz, H)`` for TagBags;
    inactive tags get exactly zero and empty rows all zeros (never NaN).
    """
    if isinstance(tags, TagBags):
        return _sparse_softmax(scores, tags)
    dense = tags.to(scores.dtype)
    logits = scores.unsqueeze(0) + torch.log(dense).unsqueeze(-1)  # -inf off
    # An empty row has only -inf logits; shifting by a finite max keeps it 0.
    row_max = logits.detach().amax(dim=1, keepdim=True)
    row_max = torch.where(torch.isfinite(row_max), row_max, 0.0)
    exp = torch.exp(logits - row_max)
    total = exp.sum(dim=1, keepdim=True)
    return exp / torch.where(total > 0, total, 1.0)


def _sparse_softmax(scores: Tensor, tags: TagBags) -> Tensor:
    rows = tags.row_ids()
    logits = scores[tags.indices] + torch.log(tags.weights(scores.dtype)).unsqueeze(1)
    n_heads = scores.shape[1]
    row_max = logits.new_full((tags.num_rows, n_heads), float("-inf"))
    row_max = row_max.scatter_reduce(
        0, rows.unsqueeze(1).expand_as(logits), logits.detach(), reduce="amax"
    )
    shift = row_max[rows]
    shift = torch.where(torch.isfinite(shift), shift, 0.0)
    exp = torch.exp(logits - shift)
    total = logits.new_zeros((tags.num_rows, n_heads)).index_add_(0, rows, exp)
    total = total[rows]
    return exp / torch.where(total > 0, total, 1.0)
