"""Attention pooling over the active tags: ``attention`` and ``multihead``."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from .._utils.params import check_int
from ..exceptions import InputValueError
from ._bags import TagBags, TagBatch, compact
from ._base import TagEmbedding, normal_table
from ._segment import check_non_negative, softmax_pool, softmax_weights


class AttentionTagEmbedding(TagEmbedding):
    """Weighted mean of the active tags' embeddings, weights from a scorer.

    A small MLP scores each tag embedding; a softmax over the row's ACTIVE
    tags only (inactive tags are masked out with ``-inf``, not multiplied by
    zero) gives the weights of a convex combination of the active embeddings.
    A non-negative tag weight ``w`` adds ``log(w)`` to the tag's score. Rows
    with no active tag give zeros.

    Parameters
    ----------
    num_tags : int
        Number of tags ``K``.
    embedding_dim : int
        Embedding size ``d``.
    hidden_dim : int, default=32
        Hidden width of the scoring MLP ``Linear(d, h) -> tanh -> Linear(h, 1)``.

    Attributes
    ----------
    weight : Parameter of shape (K, d)
        The tag table ``E``, initialised ``N(0, 1/d)``.
    scorer : nn.Sequential
        The scoring MLP (PyTorch's default ``Linear`` initialisation).

    Notes
    -----
    A tag's score does not depend on the row, so the scorer runs once per
    forward over the ``K`` table rows, and the pooling is computed as
    ``X (a * E) / X a`` with ``a = exp(score - max score)``: tags with
    ``x = 0`` add exactly nothing, which is the ``-inf`` mask. When the
    scores spread too far for that shared shift, an exact per-row softmax
    (segment max over row ids) is used instead.

    Examples
    --------
    >>> import torch
    >>> from sktagembed.nn import AttentionTagEmbedding
    >>> module = AttentionTagEmbedding(4, 3)
    >>> with torch.no_grad():
    ...     weights = module.attention_weights(torch.tensor([[1.0, 0, 1, 0]]))
    >>> round(float(weights.sum()), 5), float(weights[0, 1])
    (1.0, 0.0)
    """

    def __init__(self, num_tags: int, embedding_dim: int, hidden_dim: int = 32):
        super().__init__(num_tags, embedding_dim)
        check_int(hidden_dim, "hidden_dim")
        self.hidden_dim = int(hidden_dim)
        self.weight = normal_table(num_tags, embedding_dim)
        self.scorer = nn.Sequential(
            nn.Linear(embedding_dim, hidden_dim),
            nn.Tanh(),
            # No output bias: a softmax ignores a shift shared by all tags.
            nn.Linear(hidden_dim, 1, bias=False),
        )

    def tag_scores(self) -> Tensor:
        """Score of every tag, shape ``(K, 1)``: computed once per batch."""
        return self.scorer(self.weight)

    def attention_weights(self, tags: TagBatch) -> Tensor:
        """Weight of each tag in each row's pooling.

        Weights are non-negative, sum to 1 over a row's active tags and are
        exactly 0 elsewhere.

        Parameters
        ----------
        tags : Tensor or TagBags
            A batch of tag rows.

        Returns
        -------
        Tensor
            ``(n, K)`` for a dense batch, ``(nnz,)`` (one per entry of
            ``indices``) for :class:`TagBags`.
        """
        tags = self.check_tags(tags)
        check_non_negative(tags)
        return softmax_weights(self.tag_scores(), tags).squeeze(-1)

    def forward(self, tags: TagBatch) -> Tensor:
        tags = self.check_tags(tags)
        check_non_negative(tags)
        table = self.weight
        if isinstance(tags, TagBags):  # score only the tags the batch holds
            unique, tags = compact(tags)
            table = table[unique]
        values = table.unsqueeze(1)  # (K, 1, d): one head
        return softmax_pool(self.scorer(table), values, tags).squeeze(1)


class MultiHeadTagEmbedding(TagEmbedding):
    """``H`` attention-pooling heads, each with its own tag table; concatenated.

    Head ``h`` has a table ``E_h`` (``K x d/H``) and a learned query ``q_h``.
    Its weights are a softmax over the row's active tags of
    ``<E_h[j], q_h> / sqrt(d/H)`` (plus ``log(w)`` for weighted tags), and its
    output the weighted sum of the active ``E_h[j]``. Rows with no active tag
    give zeros.

    Parameters
    ----------
    num_tags : int
        Number of tags ``K``.
    embedding_dim : int
        Output size ``d``; must be divisible by ``n_heads``.
    n_heads : int, default=4
        Number of heads ``H``.

    Attributes
    ----------
    weight : Parameter of shape (K, H, d/H)
        The head tables ``E_h``, initialised ``N(0, H/d)``.
    query : Parameter of shape (H, d/H)
        The head queries ``q_h``, initialised ``N(0, 1)``.

    Examples
    --------
    >>> import torch
    >>> from sktagembed.nn import MultiHeadTagEmbedding
    >>> MultiHeadTagEmbedding(5, 8, n_heads=2)(torch.ones(3, 5)).shape
    torch.Size([3, 8])
    """

    def __init__(self, num_tags: int, embedding_dim: int, n_heads: int = 4):
        super().__init__(num_tags, embedding_dim)
        check_int(n_heads, "n_heads")
        if embedding_dim % n_heads:
            raise InputValueError(
                f"embedding_dim={embedding_dim} must be divisible by "
                f"n_heads={n_heads}."
            )
        self.n_heads = int(n_heads)
        self.head_dim = embedding_dim // n_heads
        self.weight = normal_table(num_tags, n_heads, self.head_dim)
        self.query = nn.Parameter(torch.randn(n_heads, self.head_dim))

    def tag_scores(self) -> Tensor:
        """Score of every tag under every head, shape ``(K, H)``."""
        return torch.einsum("khd,hd->kh", self.weight, self.query) / math.sqrt(
            self.head_dim
        )

    def attention_weights(self, tags: TagBatch) -> Tensor:
        """Per-head pooling weights.

        Parameters
        ----------
        tags : Tensor or TagBags
            A batch of tag rows.

        Returns
        -------
        Tensor
            ``(n, K, H)`` for a dense batch, ``(nnz, H)`` for :class:`TagBags`.
        """
        tags = self.check_tags(tags)
        check_non_negative(tags)
        return softmax_weights(self.tag_scores(), tags)

    def forward(self, tags: TagBatch) -> Tensor:
        tags = self.check_tags(tags)
        check_non_negative(tags)
        table = self.weight
        if isinstance(tags, TagBags):  # score only the tags the batch holds
            unique, tags = compact(tags)
            table = table[unique]
        scores = torch.einsum("khd,hd->kh", table, self.query) / math.sqrt(
            self.head_dim)
        pooled = softmax_pool(scores, table, tags)
        return pooled.reshape(pooled.shape[0], self.embedding_dim)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, n_heads={self.n_heads}"
