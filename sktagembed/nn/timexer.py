"""TimeXer (Wang et al., NeurIPS 2024) in pure torch, with tag-aware exogenous tokens.

TimeXer forecasts an endogenous series from its own past and from exogenous
series. The endogenous series is cut into non-overlapping patches, each
embedded as a token, plus one learnable *global* token per endogenous
variable. Each exogenous series is embedded as a single *variate* token from its
whole look-back window (the inverted embedding of iTransformer). Every encoder
layer runs self-attention over the patch tokens and the global token, then
cross-attention from the global token to the exogenous variate tokens, then a
position-wise feed-forward block; a flatten head maps the final tokens to the
forecast.

Plain TimeXer's variate tokens carry no identity: a token says what a series
did, not what the series *is*. With a tag table for the exogenous variables,
each variate token here also gets the variable's learned tag embedding,
projected to ``d_model`` and added to the token.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .._params import check_fraction, check_int, check_option
from ..exceptions import InputValueError
from ._base import TagEmbedding

ACTIVATIONS = {"gelu": F.gelu, "relu": F.relu}


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
    for the small token counts of TimeXer.
    """

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
        attended = F.scaled_dot_product_attention(
            split(q, n_queries), split(k, n_keys), split(v, n_keys),
            dropout_p=self.dropout if self.training else 0.0,
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


class TimeXer(nn.Module):
    """The TimeXer forecaster, optionally with tag-embedded exogenous tokens.

    Parameters
    ----------
    lookback : int
        Length ``L`` of the input window.
    horizon : int
        Number of forecast steps per endogenous variable.
    n_endogenous : int
        Endogenous variables (1 in the MS setting, all in the M setting).
    n_exogenous : int
        Exogenous variate tokens taken from the input window (in the M setting
        every variable is also exogenous).
    n_calendar : int, default=0
        Calendar features given separately, each an extra variate token.
    patch_len : int, default=16
        Patch length; must divide ``lookback``.
    d_model, n_heads, e_layers, d_ff : int
        Transformer width, heads, encoder layers and feed-forward width.
    dropout : float, default=0.1
    activation : {"gelu", "relu"}, default="gelu"
    use_norm : bool, default=True
        Normalise each window by its own mean and standard deviation and
        de-normalise the forecast with the endogenous statistics.
    tag_embedding : TagEmbedding, optional
        Module embedding the exogenous variables' tags.
    tag_matrix : Tensor of shape (n_exogenous, n_tags), optional
        Tag rows of the exogenous variables, in token order.

    Examples
    --------
    >>> import torch
    >>> from sktagembed.nn import TimeXer
    >>> model = TimeXer(lookback=32, horizon=4, n_endogenous=1, n_exogenous=3,
    ...                 patch_len=8, d_model=16, n_heads=2, e_layers=1, d_ff=32)
    >>> endogenous, exogenous = torch.randn(5, 32, 1), torch.randn(5, 32, 3)
    >>> model(endogenous, exogenous).shape
    torch.Size([5, 4, 1])
    """

    def __init__(
        self,
        lookback: int,
        horizon: int,
        n_endogenous: int,
        n_exogenous: int,
        n_calendar: int = 0,
        *,
        patch_len: int = 16,
        d_model: int = 128,
        n_heads: int = 8,
        e_layers: int = 1,
        d_ff: int = 256,
        dropout: float = 0.1,
        activation: str = "gelu",
        use_norm: bool = True,
        tag_embedding: TagEmbedding | None = None,
        tag_matrix: Tensor | None = None,
    ) -> None:
        super().__init__()
        for name, value in (("lookback", lookback), ("horizon", horizon),
                            ("n_endogenous", n_endogenous), ("patch_len", patch_len),
                            ("d_model", d_model), ("n_heads", n_heads),
                            ("e_layers", e_layers), ("d_ff", d_ff)):
            check_int(value, name)
        check_fraction(dropout, "dropout")
        if lookback % patch_len:
            raise InputValueError(
                f"lookback={lookback} must be divisible by patch_len={patch_len}."
            )
        if d_model % n_heads:
            raise InputValueError(
                f"d_model={d_model} must be divisible by n_heads={n_heads}."
            )
        check_option(activation, "activation", sorted(ACTIVATIONS))
        if n_exogenous + n_calendar < 1:
            raise InputValueError(
                "TimeXer needs at least one exogenous or calendar token."
            )
        if (tag_embedding is None) != (tag_matrix is None):
            raise InputValueError("tag_embedding and tag_matrix go together.")
        if tag_matrix is not None and tag_matrix.shape[0] != n_exogenous:
            raise InputValueError(
                f"tag_matrix has {tag_matrix.shape[0]} rows but there are "
                f"{n_exogenous} exogenous variables."
            )
        self.lookback, self.horizon = lookback, horizon
        self.n_endogenous, self.n_exogenous = n_endogenous, n_exogenous
        self.n_calendar = n_calendar
        self.patch_len = patch_len
        self.n_patches = lookback // patch_len
        self.use_norm = use_norm

        self.patch_embedding = nn.Linear(patch_len, d_model, bias=False)
        self.register_buffer(
            "positions", sinusoidal_positions(self.n_patches, d_model), persistent=False
        )
        self.global_tokens = nn.Parameter(torch.randn(1, n_endogenous, 1, d_model))
        self.variate_embedding = nn.Linear(lookback, d_model)
        self.embedding_dropout = nn.Dropout(dropout)
        self.layers = nn.ModuleList(
            TimeXerLayer(d_model, n_heads, d_ff, dropout, activation)
            for _ in range(e_layers)
        )
        self.final_norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model * (self.n_patches + 1), horizon)
        self.head_dropout = nn.Dropout(dropout)

        self.tag_embedding = tag_embedding
        if tag_embedding is not None:
            self.register_buffer("tag_matrix", tag_matrix.to(torch.float32))
            self.tag_projection = nn.Linear(tag_embedding.output_dim, d_model)

    @property
    def n_tokens(self) -> int:
        """Endogenous tokens per variable: the patches plus the global token."""
        return self.n_patches + 1

    def exogenous_tag_tokens(self) -> Tensor | None:
        """Tag embedding of each exogenous variable in ``d_model``, or None."""
        if self.tag_embedding is None:
            return None
        return self.tag_projection(self.tag_embedding(self.tag_matrix))

    def forward(self, endogenous: Tensor, exogenous: Tensor,
                calendar: Tensor | None = None) -> Tensor:
        """Forecast ``horizon`` steps of every endogenous variable.

        Parameters
        ----------
        endogenous : Tensor of shape (batch, lookback, n_endogenous)
        exogenous : Tensor of shape (batch, lookback, n_exogenous)
        calendar : Tensor of shape (batch, lookback, n_calendar), optional

        Returns
        -------
        Tensor of shape (batch, horizon, n_endogenous)
        """
        batch = endogenous.shape[0]
        if self.use_norm:
            endogenous, mean, std = _normalise(endogenous)
            exogenous = _normalise(exogenous)[0]

        # Endogenous: patches (batch * n_endo, n_patches, patch_len) -> tokens.
        patches = endogenous.transpose(1, 2).reshape(
            batch * self.n_endogenous, self.n_patches, self.patch_len
        )
        tokens = self.patch_embedding(patches) + self.positions
        global_tokens = self.global_tokens.expand(batch, -1, -1, -1).reshape(
            batch * self.n_endogenous, 1, -1
        )
        tokens = self.embedding_dropout(torch.cat([tokens, global_tokens], dim=1))

        # Exogenous: one variate token per series (and per calendar feature).
        series = exogenous
        if calendar is not None:
            series = torch.cat([exogenous, calendar], dim=2)
        # The inverted embedding reads each series along time. A batched
        # W @ series does it in the (batch, time, variable) layout of the
        # input, without the transposed copy of Linear(series.transpose(1, 2)).
        embedding = self.variate_embedding
        weight = embedding.weight.expand(batch, -1, -1)
        variates = torch.bmm(weight, series).transpose(1, 2) + embedding.bias
        tag_tokens = self.exogenous_tag_tokens()
        if tag_tokens is not None:
            calendar_pad = variates.new_zeros(self.n_calendar, variates.shape[-1])
            variates = variates + torch.cat([tag_tokens, calendar_pad], dim=0)
        variates = self.embedding_dropout(variates)

        for layer in self.layers:
            tokens = layer(tokens, variates, self.n_endogenous)
        tokens = self.final_norm(tokens)

        flat = tokens.reshape(batch, self.n_endogenous, -1)
        forecast = self.head_dropout(self.head(flat)).transpose(1, 2)
        if self.use_norm:
            forecast = forecast * std + mean
        return forecast


def _normalise(x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Per-window, per-variable standardisation over the time axis."""
    mean = x.mean(dim=1, keepdim=True).detach()
    centred = x - mean
    with torch.no_grad():
        # Two passes over the centred values rather than Tensor.var, whose
        # reduction over the middle axis is several times slower on CPU.
        std = torch.sqrt(centred.square().mean(dim=1, keepdim=True) + 1e-5)
    if centred.requires_grad:
        return centred / std, mean, std
    # Windows hold no gradient (the usual case): divide in place, sparing a
    # copy of the whole batch of windows.
    return centred.div_(std), mean, std
