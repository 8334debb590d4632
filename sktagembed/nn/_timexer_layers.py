"""The layers TimeXer is built of: attention, the encoder layer, tag tokens."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ._base import TagEmbedding

ACTIVATIONS = {"gelu": F.gelu, "relu": F.relu}
TAG_COMBINES = ("add", "concat")


def sinusoidal_positions(length: int, d_model: int) -> Tensor:
    """The fixed sine/cosine position table of the Transformer, ``(length, d)``."""
    position = torch.arange(length, dtype=torch.float32).unsqueeze(1)
    exponent = torch.arange(0, d_model, 2, dtype=torch.float32) / d_model
    frequency = torch.exp(-math.log(10000.0) * exponent)
    table = torch.zeros(length, d_model)
    table[:, 0::2] = torch.sin(position * frequency)
    table[:, 1::2] = torch.cos(position * frequency[: d_model // 2])
    return table


class MultiHeadAttention(nn.Module):
    """Scaled dot-product attention with query/key/value/output projections.

    The key and value projections (and the query's too, for self-attention)
    run as one matrix product: fewer, larger products are markedly faster
    for the small token counts of TimeXer. With ``record_weights`` set (for
    inspection, in eval mode) the attention weights of the last call are kept
    in ``weights`` ``(batch, heads, n_queries, n_keys)``.
    """

    record_weights: bool = False

    def __init__(self, d_model: int, n_heads: int, dropout: float,
                 self_attention: bool) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.self_attention = self_attention
        if self_attention:
            self.in_projection = nn.Linear(d_model, 3 * d_model)
        else:
            self.query = nn.Linear(d_model, d_model)
            self.key_value = nn.Linear(d_model, 2 * d_model)
        self.out = nn.Linear(d_model, d_model)
        self.dropout = dropout

    def forward(self, queries: Tensor, keys: Tensor) -> Tensor:
        batch, n_queries, d_model = queries.shape
        n_keys = keys.shape[1]
        head = d_model // self.n_heads

        def split(x: Tensor, length: int) -> Tensor:
            return x.view(batch, length, self.n_heads, head).transpose(1, 2)

        if self.self_attention:
            q, k, v = self.in_projection(queries).chunk(3, dim=-1)
        else:
            q = self.query(queries)
            k, v = self.key_value(keys).chunk(2, dim=-1)
        q, k, v = split(q, n_queries), split(k, n_keys), split(v, n_keys)
        if self.record_weights:
            self.weights = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(head),
                                         dim=-1).detach()
        attended = F.scaled_dot_product_attention(
            q, k, v, dropout_p=self.dropout if self.training else 0.0,
        )
        return self.out(attended.transpose(1, 2).reshape(batch, n_queries, d_model))


class TimeXerLayer(nn.Module):
    """Self-attention over patches + global token, global-to-exogenous
    cross-attention, then a feed-forward block; post-norm residuals."""

    def __init__(self, d_model: int, n_heads: int, d_ff: int, dropout: float,
                 activation: str) -> None:
        super().__init__()
        self.self_attention = MultiHeadAttention(d_model, n_heads, dropout, True)
        self.cross_attention = MultiHeadAttention(d_model, n_heads, dropout, False)
        self.feed_forward_in = nn.Linear(d_model, d_ff)
        self.feed_forward_out = nn.Linear(d_ff, d_model)
        self.norm_self = nn.LayerNorm(d_model)
        self.norm_cross = nn.LayerNorm(d_model)
        self.norm_out = nn.LayerNorm(d_model)
        self.dropout = nn.Dropout(dropout)
        self.activation = ACTIVATIONS[activation]

    def forward(self, tokens: Tensor, exogenous: Tensor, n_endogenous: int
                ) -> Tensor:
        # tokens: (batch * n_endogenous, n_patches + 1, d); the last is global.
        tokens = self.norm_self(
            tokens + self.dropout(self.self_attention(tokens, tokens))
        )
        global_token = tokens[:, -1:, :]
        # All endogenous variables' global tokens of one sample attend together
        # to that sample's exogenous tokens.
        queries = global_token.reshape(exogenous.shape[0], n_endogenous, -1)
        attended = self.dropout(self.cross_attention(queries, exogenous))
        global_token = self.norm_cross(
            global_token + attended.reshape(global_token.shape)
        )
        tokens = torch.cat([tokens[:, :-1, :], global_token], dim=1)
        hidden = self.dropout(self.activation(self.feed_forward_in(tokens)))
        return self.norm_out(tokens + self.dropout(self.feed_forward_out(hidden)))


class TagTokens(nn.Module):
    """A tag embedding joined to tokens: added after a projection to
    ``d_model`` (``combine="add"``) or concatenated, then projected back."""

    def __init__(self, embedding: TagEmbedding, d_model: int, combine: str):
        super().__init__()
        self.embedding = embedding
        self.combine = combine
        if combine == "add":
            self.projection = nn.Linear(embedding.output_dim, d_model)
        else:
            self.projection = nn.Linear(d_model + embedding.output_dim, d_model)

    def forward(self, tokens: Tensor, tags) -> Tensor:
        """``tokens (..., n, d_model)``; ``tags`` gives one tag row per token
        group, broadcast over the ``n`` tokens of a group."""
        return self.join(tokens, self.embedding(tags))

    def join(self, tokens: Tensor, embedded: Tensor) -> Tensor:
        """``tokens (..., n, d_model)`` joined with their groups' embedded
        tags ``(..., d_tag)``, computed once by the caller."""
        embedded = embedded.unsqueeze(-2)  # (..., 1, d_tag)
        if self.combine == "add":
            return tokens + self.projection(embedded)
        embedded = embedded.expand(*tokens.shape[:-1], embedded.shape[-1])
        return self.projection(torch.cat([tokens, embedded], dim=-1))


class TagSkip(nn.Module):
    """Linear skip weights read from tag embeddings.

    A variable with tag embedding ``e`` reads its window ``x`` (``length``
    steps) through the weights ``W(e) = B_0 + sum_k e_k B_k`` of shape
    ``(horizon, length)``: what is learned for a kind of variable carries to
    every variable of that kind, a new one included. The maps start at zero.
    """

    def __init__(self, tag_dim: int, length: int, horizon: int):
        super().__init__()
        self.length, self.horizon = length, horizon
        self.weights = nn.Linear(tag_dim, horizon * length)
        nn.init.zeros_(self.weights.weight)
        nn.init.zeros_(self.weights.bias)

    def per_variable(self, x: Tensor, embedded: Tensor,
                     gain: Tensor | None = None) -> Tensor:
        """``x (batch, length, n_vars)`` with one embedding per variable,
        ``embedded (n_vars, tag_dim)``: the sum over the variables,
        ``(batch, horizon)``; with ``gain (batch, n_vars)``, each window's
        variables weighted by it."""
        weight = self.weights(embedded).view(-1, self.horizon, self.length)
        if gain is None:
            return torch.einsum("blj,jhl->bh", x, weight)
        return torch.einsum("blj,jhl,bj->bh", x, weight, gain)

    def per_window(self, x: Tensor, embedded: Tensor) -> Tensor:
        """``x (batch, length, n_vars)`` with one embedding per window,
        ``embedded (batch, tag_dim)``: each variable's own forecast,
        ``(batch, n_vars, horizon)``."""
        weight = self.weights(embedded).view(-1, self.horizon, self.length)
        return torch.einsum("blv,bhl->bvh", x, weight)


