"""Second-order tag interactions: ``interaction`` and ``bilinear``."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ._bags import TagBatch, bag_sum
from ._base import TagEmbedding, normal_table


class InteractionTagEmbedding(TagEmbedding):
    """Bag of tags plus the sum of pairwise products of active tags.

    Output ``[X E, sum_{j<k} x_j x_k E_j * E_k]`` (``2 * embedding_dim``
    columns). The pair sum is computed with the factorisation-machine identity
    ``0.5 * ((X E)^2 - (X * X)(E * E))``, exact for weighted rows too, in time
    linear in the number of active tags.

    Parameters
    ----------
    num_tags : int
        Number of tags ``K``.
    embedding_dim : int
        Embedding size ``d``.

    Attributes
    ----------
    weight : Parameter of shape (K, d)
        The tag table ``E``, initialised ``N(0, 1/d)``.

    Examples
    --------
    >>> import torch
    >>> from sktagembed.nn import InteractionTagEmbedding
    >>> InteractionTagEmbedding(4, 3)(torch.ones(2, 4)).shape
    torch.Size([2, 6])
    """

    output_factor = 2

    def __init__(self, num_tags: int, embedding_dim: int):
        super().__init__(num_tags, embedding_dim)
        self.weight = normal_table(num_tags, embedding_dim)

    def forward(self, tags: TagBatch) -> Tensor:
        tags = self.check_tags(tags)
        pooled = bag_sum(self.weight, tags)
        squares = bag_sum(self.weight * self.weight, tags, squared_weights=True)
        return torch.cat([pooled, 0.5 * (pooled * pooled - squares)], dim=1)


class BilinearTagEmbedding(TagEmbedding):
    """Bag of tags plus a FiBiNET-style bilinear pair interaction.

    Output ``[X E, sum_{j<k} x_j x_k 0.5 ((E_j W) * E_k + (E_k W) * E_j)]``
    with one shared ``d x d`` matrix ``W``. The pair term is symmetrised so
    that the output does not depend on the order of the tags (columns). With
    ``P = E W`` it equals ``0.5 * ((X P) * (X E) - (X * X)(P * E))``, so no
    pair is ever enumerated.

    Parameters
    ----------
    num_tags : int
        Number of tags ``K``.
    embedding_dim : int
        Embedding size ``d``.

    Attributes
    ----------
    weight : Parameter of shape (K, d)
        The tag table ``E``, initialised ``N(0, 1/d)``.
    bilinear : Parameter of shape (d, d)
        The shared ``W``, initialised ``I + N(0, 1/d^2)`` so that the pair
        part starts close to the ``interaction`` method's.

    Examples
    --------
    >>> import torch
    >>> from sktagembed.nn import BilinearTagEmbedding
    >>> BilinearTagEmbedding(4, 3)(torch.ones(2, 4)).shape
    torch.Size([2, 6])
    """

    output_factor = 2

    def __init__(self, num_tags: int, embedding_dim: int):
        super().__init__(num_tags, embedding_dim)
        self.weight = normal_table(num_tags, embedding_dim)
        self.bilinear = nn.Parameter(
            torch.eye(embedding_dim)
            + torch.randn(embedding_dim, embedding_dim) / embedding_dim
        )

    def forward(self, tags: TagBatch) -> Tensor:
        tags = self.check_tags(tags)
        projected = self.weight @ self.bilinear
        # One bag over [E, P] gives X E and X P together; (X * X)(P * E) needs
        # squared weights, so it is a second bag.
        pooled = bag_sum(torch.cat([self.weight, projected], dim=1), tags)
        pooled_e, pooled_p = pooled.split(self.embedding_dim, dim=1)
        squares = bag_sum(projected * self.weight, tags, squared_weights=True)
        return torch.cat([pooled_e, 0.5 * (pooled_p * pooled_e - squares)], dim=1)
