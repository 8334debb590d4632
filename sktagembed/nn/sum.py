"""Bag-of-tags embeddings: ``sum`` and ``linear``."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from .._utils.params import check_option
from ._bags import TagBags, TagBatch, bag_sum, bag_weight_sum
from ._base import TagEmbedding, normal_table

POOLINGS = ("sum", "mean")


class SumTagEmbedding(TagEmbedding):
    """Sum (or mean) of the active tags' embeddings: ``X E``.

    Parameters
    ----------
    num_tags : int
        Number of tags ``K``.
    embedding_dim : int
        Embedding size ``d``.
    pooling : {"sum", "mean"}, default="sum"
        ``"mean"`` divides by the row's total tag weight (rows with no tag
        stay zero).

    Attributes
    ----------
    weight : Parameter of shape (K, d)
        The tag table ``E``, initialised ``N(0, 1/d)``.

    Examples
    --------
    >>> import torch
    >>> from sktagembed.nn import SumTagEmbedding
    >>> module = SumTagEmbedding(num_tags=5, embedding_dim=3)
    >>> module(torch.tensor([[1.0, 0, 1, 0, 0]])).shape
    torch.Size([1, 3])
    """

    def __init__(self, num_tags: int, embedding_dim: int, pooling: str = "sum"):
        super().__init__(num_tags, embedding_dim)
        check_option(pooling, "pooling", POOLINGS)
        self.pooling = pooling
        self.weight = normal_table(num_tags, embedding_dim)

    def forward(self, tags: TagBatch) -> Tensor:
        tags = self.check_tags(tags)
        out = bag_sum(self.weight, tags)
        if self.pooling == "mean":
            total = bag_weight_sum(tags, out.dtype)
            out = out / torch.where(total > 0, total, 1.0)
        return out


class LinearTagEmbedding(TagEmbedding):
    """A full linear map of the tag vector: ``X W^T + b``.

    Parameters
    ----------
    num_tags : int
        Number of tags ``K``.
    embedding_dim : int
        Output size ``d``.
    bias : bool, default=True
        Learn the offset ``b``.

    Attributes
    ----------
    weight : Parameter of shape (K, d)
        ``W^T``, stored tag-major so both input layouts read it as a table;
        initialised like :class:`torch.nn.Linear`, ``U(-1/sqrt(K), 1/sqrt(K))``.
    bias : Parameter of shape (d,) or None
        ``b``, initialised the same way.

    Examples
    --------
    >>> import torch
    >>> from sktagembed.nn import LinearTagEmbedding
    >>> LinearTagEmbedding(4, 2)(torch.zeros(3, 4)).shape
    torch.Size([3, 2])
    """

    def __init__(self, num_tags: int, embedding_dim: int, bias: bool = True):
        super().__init__(num_tags, embedding_dim)
        bound = 1 / math.sqrt(num_tags)
        # Stored as W^T (K x d) so both layouts read it as a tag table.
        self.weight = nn.Parameter(
            torch.empty(num_tags, embedding_dim).uniform_(-bound, bound)
        )
        self.bias = (
            nn.Parameter(torch.empty(embedding_dim).uniform_(-bound, bound))
            if bias else None
        )

    def forward(self, tags: TagBatch) -> Tensor:
        tags = self.check_tags(tags)
        if self.bias is not None and not isinstance(tags, TagBags):
            # One fused pass instead of a matmul followed by a bias add.
            return torch.addmm(self.bias, tags.to(self.weight.dtype), self.weight)
        out = bag_sum(self.weight, tags)
        return out if self.bias is None else out + self.bias
