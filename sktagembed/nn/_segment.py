"""Softmax pooling over the active tags of each row, for both layouts.

In the methods here a tag's score depends on the tag only, not on the row.
The softmax of row ``i`` over its active tags, with tag weights ``x_ij``
entering as ``log(x_ij)`` (so inactive tags sit at ``-inf``), is therefore

    p_ij = x_ij exp(s_j - c) / sum_k x_ik exp(s_k - c)

for ANY shift ``c``. With one shift per head, ``c = max_j s_j``, the whole
pooling is two bags over per-tag tables, ``X (a * E)`` and ``X a`` with
``a = exp(s - c)``: one matmul (dense) or one ``embedding_bag`` (sparse), no
per-entry tensors. Inactive tags have ``x_ij = 0`` and contribute exactly
nothing, the same as masking their score with ``-inf``.

The global shift is safe while ``a`` stays far from float32 underflow; when
the scores of one head spread over more than :data:`MAX_SCORE_SPREAD` the
functions switch to the exact per-row (segment) softmax, which shifts every
row by its own maximum (``scatter_reduce(..., "amax")`` over row ids).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from ..exceptions import InputValueError
from ._bags import TagBags, TagBatch, bag_sum

#: Largest ``max(s) - min(s)`` (per head) for the global-shift fast path;
#: ``exp(-50)`` is about 2e-22, far above float32's smallest normal number.
MAX_SCORE_SPREAD = 50.0


def softmax_pool(scores: Tensor, values: Tensor, tags: TagBatch) -> Tensor:
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
    num_tags, num_heads, head_dim = values.shape
    if num_tags == 0:  # a batch without a single active tag
        n_rows = tags.num_rows if isinstance(tags, TagBags) else tags.shape[0]
        return values.new_zeros(n_rows, num_heads, head_dim)
    if _fast_path(scores):
        shifted = torch.exp(scores - scores.detach().amax(dim=0))  # (K, H)
        table = torch.cat(
            [(shifted.unsqueeze(-1) * values).reshape(num_tags, -1), shifted], dim=1
        )
        both = bag_sum(table, tags)
        numerator = both[:, : num_heads * head_dim].reshape(-1, num_heads, head_dim)
        total = both[:, num_heads * head_dim :].unsqueeze(-1)
        return numerator / torch.where(total > 0, total, 1.0)
    weights = _exact_softmax(scores, tags)
    if isinstance(tags, TagBags):
        heads = [
            F.embedding_bag(tags.indices, values[:, h].contiguous(), tags.offsets,
                            mode="sum", per_sample_weights=weights[:, h])
            for h in range(num_heads)
        ]
        return torch.stack(heads, dim=1)
    return torch.einsum("nkh,khd->nhd", weights, values)


def softmax_weights(scores: Tensor, tags: TagBatch) -> Tensor:
    """Softmax of ``scores`` over each row's active tags, per head.

    Returns ``(n, K, H)`` for dense input and ``(nnz, H)`` for TagBags;
    inactive tags get exactly zero and empty rows all zeros (never NaN).
    """
    if not _fast_path(scores):
        return _exact_softmax(scores, tags)
    shifted = torch.exp(scores - scores.detach().amax(dim=0))
    total = bag_sum(shifted, tags)
    total = torch.where(total > 0, total, 1.0)
    if isinstance(tags, TagBags):
        entry = tags.weights(scores.dtype).unsqueeze(1) * shifted[tags.indices]
        return entry / total[tags.row_ids()]
    dense = tags.to(scores.dtype)
    return dense.unsqueeze(-1) * shifted.unsqueeze(0) / total.unsqueeze(1)


def check_non_negative(tags: TagBatch) -> None:
    """Attention reads weights as ``log(w)``: negative ones are an error."""
    values = tags.per_sample_weights if isinstance(tags, TagBags) else tags
    if values is not None and values.numel() and bool((values < 0).any()):
        raise InputValueError(
            "attention pooling needs non-negative tag weights; the tag batch "
            "holds negative values."
        )


def _fast_path(scores: Tensor) -> bool:
    detached = scores.detach()
    spread = detached.amax(dim=0) - detached.amin(dim=0)
    return bool(torch.isfinite(spread).all()) and bool(
        (spread <= MAX_SCORE_SPREAD).all()
    )


def _exact_softmax(scores: Tensor, tags: TagBatch) -> Tensor:
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
