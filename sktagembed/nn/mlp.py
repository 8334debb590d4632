"""A two-layer perceptron over the tag vector."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from .._utils.params import check_fraction, check_int
from ._bags import TagBatch, bag_sum
from ._base import TagEmbedding


class MLPTagEmbedding(TagEmbedding):
    """``Linear(K, h) -> ReLU -> Dropout -> Linear(h, d)`` on the tag vector.

    The first layer reads the tags as a weighted bag of its weight columns, so
    the sparse path never builds an ``(n, K)`` tensor.

    Parameters
    ----------
    num_tags : int
        Number of tags ``K``.
    embedding_dim : int
        Output size ``d``.
    hidden_dim : int, default=32
        Hidden width ``h``.
    dropout : float, default=0.0
        Dropout probability between the layers (training only).

    Attributes
    ----------
    hidden_weight : Parameter of shape (K, h)
        The first layer's weight, transposed (tag-major), with
        ``hidden_bias`` initialised like :class:`torch.nn.Linear`.
    output : nn.Linear
        The second layer.

    Examples
    --------
    >>> import torch
    >>> from sktagembed.nn import MLPTagEmbedding
    >>> MLPTagEmbedding(4, 3, hidden_dim=8)(torch.ones(2, 4)).shape
    torch.Size([2, 3])
    """

    tag_tables = ("hidden_weight",)

    def __init__(self, num_tags: int, embedding_dim: int, hidden_dim: int = 32,
                 dropout: float = 0.0):
        super().__init__(num_tags, embedding_dim)
        check_int(hidden_dim, "hidden_dim")
        check_fraction(dropout, "dropout")
        self.hidden_dim = int(hidden_dim)
        bound = 1 / math.sqrt(num_tags)
        self.hidden_weight = nn.Parameter(
            torch.empty(num_tags, hidden_dim).uniform_(-bound, bound)
        )
        self.hidden_bias = nn.Parameter(torch.empty(hidden_dim).uniform_(-bound, bound))
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(hidden_dim, embedding_dim)

    def forward(self, tags: TagBatch) -> Tensor:
        tags = self.check_tags(tags)
        hidden = torch.relu(bag_sum(self.hidden_weight, tags) + self.hidden_bias)
        return self.output(self.dropout(hidden))
