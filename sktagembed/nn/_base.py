"""The interface every tag-embedding module implements."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from .._utils.params import check_int
from ._bags import TagBatch, check_tags


class TagEmbedding(nn.Module):
    """Base class of the nine tag-embedding methods.

    A subclass maps a batch of tag rows (dense ``(n, K)`` tensor or
    :class:`~sktagembed.nn.TagBags`) to an ``(n, output_dim)`` tensor. It must
    be vectorised over rows and tags, accept both input layouts, and give a
    finite output for rows with no active tag.

    Parameters
    ----------
    num_tags : int
        Number of distinct tags ``K``.
    embedding_dim : int
        Size ``d`` of one tag embedding.
    """

    #: ``output_dim == output_factor * embedding_dim``.
    output_factor: int = 1

    def __init__(self, num_tags: int, embedding_dim: int) -> None:
        super().__init__()
        check_int(num_tags, "num_tags")
        check_int(embedding_dim, "embedding_dim")
        self.num_tags = int(num_tags)
        self.embedding_dim = int(embedding_dim)

    @property
    def output_dim(self) -> int:
        return self.output_factor * self.embedding_dim

    def forward(self, tags: TagBatch) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def check_tags(self, tags: object) -> TagBatch:
        """Validate a batch against this module (``num_tags`` columns).

        Parameters
        ----------
        tags : Tensor, TagBags or array-like
            A dense ``(n, num_tags)`` batch, a sparse tensor or bags.

        Returns
        -------
        Tensor or TagBags
            The batch, dense as a float tensor or sparse as bags.
        """
        return check_tags(tags, self.num_tags)

    def extra_repr(self) -> str:
        return f"num_tags={self.num_tags}, embedding_dim={self.embedding_dim}"


def normal_table(*shape: int) -> nn.Parameter:
    """A tag table drawn from ``N(0, 1/d)``, ``d`` its last dimension, so a
    bag of a few tags has entries of order one."""
    return nn.Parameter(torch.randn(*shape) / math.sqrt(shape[-1]))
