"""The interface every tag-embedding module implements."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from .._utils.params import check_int
from ..exceptions import InputValueError
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
    #: Parameters (or buffers) with one row per tag, along the first dimension.
    tag_tables: tuple[str, ...] = ("weight",)

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

    @torch.no_grad()
    def start_from(self, other: TagEmbedding, rows: Sequence[int]) -> None:
        """Take the learned values of ``other``, a module of the same method
        over another tag vocabulary.

        Tag ``i`` of this module takes row ``rows[i]`` of ``other``'s tag
        tables (:attr:`tag_tables`), or keeps its own values where
        ``rows[i]`` is ``-1`` (a tag ``other`` does not know); every other
        parameter is ``other``'s. Buffers built from the tags themselves
        (a hierarchy's ancestors) stay this module's.

        Parameters
        ----------
        other : TagEmbedding
            The module to copy, of this module's class and options.
        rows : sequence of int
            For each of this module's tags, its row in ``other`` or ``-1``.

        Examples
        --------
        >>> import torch
        >>> from sktagembed.nn import SumTagEmbedding
        >>> source, module = SumTagEmbedding(3, 2), SumTagEmbedding(2, 2)
        >>> module.start_from(source, [2, -1])
        >>> bool(torch.equal(module.weight[0], source.weight[2]))
        True
        """
        if type(other) is not type(self):
            raise InputValueError(
                f"Cannot start a {type(self).__name__} from a "
                f"{type(other).__name__}."
            )
        rows = torch.as_tensor(list(rows), dtype=torch.long)
        if rows.shape != (self.num_tags,) or bool((rows >= other.num_tags).any()):
            raise InputValueError(
                f"rows must give one row of the {other.num_tags} tags of the "
                f"source (or -1) for each of the {self.num_tags} tags."
            )
        known = torch.nonzero(rows >= 0).flatten()
        own, theirs = self._learned(), other._learned()
        for name, target in own.items():
            source = theirs.get(name)
            if source is None or (source.shape[1:] != target.shape[1:] if name in
                                  self.tag_tables else source.shape != target.shape):
                raise InputValueError(
                    f"The modules differ in {name!r} (options other than the tag "
                    "vocabulary changed): start from a module built with the "
                    "same options."
                )
            source = source.to(target.device, target.dtype)
            if name in self.tag_tables:
                target[known.to(target.device)] = source[rows[known].to(
                    source.device)]
            else:
                target.copy_(source)

    def _learned(self) -> dict[str, Tensor]:
        """The parameters and the tag-table buffers, by name."""
        tensors = dict(self.named_parameters())
        tensors.update((name, buffer) for name, buffer in self.named_buffers()
                       if name in self.tag_tables)
        return tensors


def normal_table(*shape: int) -> nn.Parameter:
    """A tag table drawn from ``N(0, 1/d)``, ``d`` its last dimension, so a
    bag of a few tags has entries of order one."""
    return nn.Parameter(torch.randn(*shape) / math.sqrt(shape[-1]))
