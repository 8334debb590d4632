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
projected to ``d_model`` and added to the token (or concatenated, then
projected); with tags of the forecast series itself, its endogenous tokens
get the series' tag embedding the same way.

Beyond the paper, for forecasting as practitioners use it:

- *known-future covariates*: a variable known over the horizon (a day-ahead
  forecast, the calendar) is one more variate token, embedded from its
  look-back **and** horizon values. It is still TimeXer's inverted embedding,
  one token per variable read by cross-attention from the global token; the
  token simply sees a longer window of a series that is known further.
- *missing values*: NaN in a window is left out of its mean and standard
  deviation, replaced by the window's mean (0 once normalised), and, with
  ``missing_embedding=True``, the model is told where values are missing (a
  linear embedding of each token's missing-value mask is added to it).
- *quantiles*: the head predicts several quantile levels that never cross
  (the median, plus sums of positive steps above and below it).
- *linear skip* (``linear_skip=True``): a linear map from the windows
  straight to the forecast, added to the head's output, as LSTNet's highway.
  Each endogenous variable's forecast reads its own look-back and the
  windows of every exogenous, future and calendar variable, normalised (the
  shapes TimeXer sees), and all but the calendar's again, standardised with
  fixed statistics (``level_location`` and ``level_scale``, the training
  data's), which keeps the levels that instance normalisation removes (a
  high-wind day looks like a low-wind one once each window is scaled by its
  own spread). Its weights start at zero, so training starts from plain
  TimeXer; off by default here.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .._utils.params import check_fraction, check_int, check_option
from ..exceptions import InputValueError
from ._bags import TagBags, dense_to_bags, sparse_to_bags
from ._base import TagEmbedding
from ._timexer_layers import (
    ACTIVATIONS,
    TAG_COMBINES,
    TagSkip,
    TagTokens,
    TimeXerLayer,
    sinusoidal_positions,
)


class TimeXer(nn.Module):
    """The TimeXer forecaster, with optional tags, future covariates,
    missing values and quantiles.

    Parameters
    ----------
    lookback : int
        Length ``L`` of the input window.
    horizon : int
        Number of forecast steps ``H`` per endogenous variable.
    n_endogenous : int
        Endogenous variables (1 in the MS setting, all in the M setting).
    n_exogenous : int
        Exogenous variate tokens read over the look-back window (in the M
        setting every variable is also exogenous).
    n_calendar : int, default=0
        Calendar features given separately, each an extra variate token.
    n_future : int, default=0
        Known-future covariates, each a variate token read over the look-back
        and the horizon (``L + H`` steps).
    n_quantiles : int, default=1
        Quantile levels per step, in increasing order of level; the median
        is the one at ``median_index``. 1 gives a point forecast.
    median_index : int, default=0
        Position of the median among the ``n_quantiles`` levels.
    patch_len : int, default=16
        Patch length; must divide ``lookback``.
    d_model, n_heads, e_layers, d_ff : int
        Transformer width, heads, encoder layers and feed-forward width.
    dropout : float, default=0.1
    activation : {"gelu", "relu"}, default="gelu"
    use_norm : bool, default=True
        Normalise each window by its own mean and standard deviation and
        de-normalise the forecast with the endogenous statistics (unless the
        forward pass is given the target's location and scale).
    missing_embedding : bool, default=False
        Tell the model where values are missing (NaN in the windows).
    tag_embedding : TagEmbedding, optional
        Module embedding the tags of the exogenous and future variables.
    tag_matrix : Tensor of shape (n_exogenous + n_future, n_tags), optional
        Their tag rows, in token order (exogenous, then future); dense or a
        sparse COO/CSR tensor (kept as bags, so ``n_tags`` may be large).
    series_tag_embedding : TagEmbedding, optional
        Module embedding the tags of each window's series; the forward pass
        then takes ``series_tags``.
    series_tag_dropout : float, default=0.0
        In training, the probability that a window's series reads as
        untagged (its series tag embedding zeroed), so that the model keeps
        a forecast that holds without the tags and leans on them only for
        what they share across series. In evaluation the forecast is then
        the one training expects: ``(1 - p)`` times the tagged forecast plus
        ``p`` times the untagged one.
    tag_combine : {"add", "concat"}, default="add"
        How tag embeddings join their tokens.
    linear_skip : bool, default=False
        Add a linear map from the windows to the forecast, initialised at
        zero: of the normalised windows, in the normalised units (before
        de-normalisation), plus one of the windows standardised with
        ``level_location`` and ``level_scale``, in the endogenous variables'
        units (scaled by their ``level_scale``; with ``target_location`` and
        ``target_scale`` given, in the target's standardised units).
    skip_variable_weights : bool, default=True
        With the linear skip: whether each exogenous and future variable
        has skip weights of its own besides those its tags make (with a tag
        embedding). ``False`` reads them through their tags alone, so that
        every variable of a kind shares its weights.
    level_location, level_scale : Tensor of shape (n_endogenous + n_exogenous \
+ n_future,), optional
        Fixed location and scale of each variable, endogenous, then
        exogenous, then future, as the training data's mean and standard
        deviation; the linear skip's level part reads ``(x - location) /
        scale`` (missing values as 0). Default 0 and 1. Only with
        ``linear_skip``.

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
        n_future: int = 0,
        n_quantiles: int = 1,
        median_index: int = 0,
        patch_len: int = 16,
        d_model: int = 128,
        n_heads: int = 8,
        e_layers: int = 1,
        d_ff: int = 256,
        dropout: float = 0.1,
        activation: str = "gelu",
        use_norm: bool = True,
        missing_embedding: bool = False,
        tag_embedding: TagEmbedding | None = None,
        tag_matrix: Tensor | None = None,
        series_tag_embedding: TagEmbedding | None = None,
        series_tag_dropout: float = 0.0,
        tag_combine: str = "add",
        linear_skip: bool = False,
        skip_variable_weights: bool = True,
        level_location: Tensor | None = None,
        level_scale: Tensor | None = None,
    ) -> None:
        super().__init__()
        for name, value in (("lookback", lookback), ("horizon", horizon),
                            ("n_endogenous", n_endogenous), ("patch_len", patch_len),
                            ("d_model", d_model), ("n_heads", n_heads),
                            ("e_layers", e_layers), ("d_ff", d_ff),
                            ("n_quantiles", n_quantiles)):
            check_int(value, name)
        for name, value in (("n_exogenous", n_exogenous), ("n_calendar", n_calendar),
                            ("n_future", n_future), ("median_index", median_index)):
            check_int(value, name, minimum=0)
        check_fraction(dropout, "dropout")
        check_fraction(series_tag_dropout, "series_tag_dropout")
        self.series_tag_dropout = series_tag_dropout
        check_option(activation, "activation", sorted(ACTIVATIONS))
        check_option(tag_combine, "tag_combine", TAG_COMBINES)
        if lookback % patch_len:
            raise InputValueError(
                f"lookback={lookback} must be divisible by patch_len={patch_len}."
            )
        if d_model % n_heads:
            raise InputValueError(
                f"d_model={d_model} must be divisible by n_heads={n_heads}."
            )
        if n_exogenous + n_calendar + n_future < 1:
            raise InputValueError(
                "TimeXer needs at least one exogenous, future or calendar token."
            )
        if median_index >= n_quantiles:
            raise InputValueError(
                f"median_index={median_index} must be below n_quantiles="
                f"{n_quantiles}."
            )
        if (tag_embedding is None) != (tag_matrix is None):
            raise InputValueError("tag_embedding and tag_matrix go together.")
        n_tagged = n_exogenous + n_future
        if tag_matrix is not None and tag_matrix.shape[0] != n_tagged:
            raise InputValueError(
                f"tag_matrix has {tag_matrix.shape[0]} rows but there are "
                f"{n_tagged} exogenous and future variables."
            )
        self.lookback, self.horizon = lookback, horizon
        self.n_endogenous, self.n_exogenous = n_endogenous, n_exogenous
        self.n_calendar, self.n_future = n_calendar, n_future
        self.n_quantiles, self.median_index = n_quantiles, median_index
        self.patch_len = patch_len
        self.n_patches = lookback // patch_len
        self.use_norm = use_norm
        self.missing_embedding = missing_embedding

        self.patch_embedding = nn.Linear(patch_len, d_model, bias=False)
        self.register_buffer(
            "positions", sinusoidal_positions(self.n_patches, d_model), persistent=False
        )
        self.global_tokens = nn.Parameter(torch.randn(1, n_endogenous, 1, d_model))
        self.variate_embedding = nn.Linear(lookback, d_model)
        self.future_embedding = (nn.Linear(lookback + horizon, d_model)
                                 if n_future else None)
        if missing_embedding:
            self.patch_missing = nn.Linear(patch_len, d_model, bias=False)
            self.variate_missing = nn.Linear(lookback, d_model, bias=False)
            self.future_missing = (nn.Linear(lookback + horizon, d_model, bias=False)
                                   if n_future else None)
        self.embedding_dropout = nn.Dropout(dropout)
        self.layers = nn.ModuleList(
            TimeXerLayer(d_model, n_heads, d_ff, dropout, activation)
            for _ in range(e_layers)
        )
        self.final_norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model * (self.n_patches + 1), horizon * n_quantiles)
        self.head_dropout = nn.Dropout(dropout)

        self.tag_embedding = tag_embedding
        self.feature_tags = None
        if tag_embedding is not None:
            self.feature_tags = TagTokens(tag_embedding, d_model, tag_combine)
            bags = (sparse_to_bags(tag_matrix) if tag_matrix.is_sparse
                    or tag_matrix.layout == torch.sparse_csr
                    else dense_to_bags(tag_matrix))
            self.register_buffer("tag_indices", bags.indices.long())
            self.register_buffer("tag_offsets", bags.offsets.long())
            self.register_buffer("tag_weights", bags.per_sample_weights.float())
        self.series_tags = (None if series_tag_embedding is None else
                            TagTokens(series_tag_embedding, d_model, tag_combine))
        self.linear_skip = bool(linear_skip)
        if not self.linear_skip and (level_location is not None
                                     or level_scale is not None):
            raise InputValueError("level_location and level_scale need "
                                  "linear_skip=True.")
        if not skip_variable_weights and tag_embedding is None:
            raise InputValueError("skip_variable_weights=False reads the "
                                  "variables through their tags: it needs a "
                                  "tag_embedding.")
        # Without weights of their own, tagged variables reach the skip only
        # through their tags; the calendar keeps its own weights.
        self.skip_variable_weights = bool(skip_variable_weights)
        if self.linear_skip:
            n_shared = lookback * n_calendar + (
                lookback * n_exogenous + (lookback + horizon) * n_future
                if self.skip_variable_weights else 0)
            self.skip_own = nn.Linear(lookback, horizon)
            self.skip_shared = nn.Linear(n_shared, horizon, bias=False)
            for parameter in (*self.skip_own.parameters(),
                              *self.skip_shared.parameters()):
                nn.init.zeros_(parameter)
            self._add_level_part(level_location, level_scale)
            self.skip_tags = self._tag_skip_parts(tag_embedding,
                                                  series_tag_embedding)

    def _tag_skip_parts(self, feature_embedding: TagEmbedding | None,
                        series_embedding: TagEmbedding | None) -> nn.ModuleDict:
        """The skip's weights read from tags: for each tagged variable (by
        its kind) and for each series (by its kind), in both the normalised
        and the level part."""
        lookback, horizon = self.lookback, self.horizon
        parts = {}
        for prefix in ("", "level_"):
            if feature_embedding is not None:
                dim = feature_embedding.output_dim
                if self.n_exogenous:
                    parts[f"{prefix}exogenous"] = TagSkip(dim, lookback, horizon)
                if self.n_future:
                    parts[f"{prefix}future"] = TagSkip(dim, lookback + horizon,
                                                       horizon)
            if series_embedding is not None:
                parts[f"{prefix}series"] = TagSkip(series_embedding.output_dim,
                                                   lookback, horizon)
        if feature_embedding is not None and series_embedding is not None:
            # How much each kind of variable weighs in each kind of series:
            # a gain 1 + e_variable . (M e_series) on the tag-made weights.
            parts["roles"] = nn.Linear(series_embedding.output_dim,
                                       feature_embedding.output_dim, bias=False)
            nn.init.zeros_(parts["roles"].weight)
        return nn.ModuleDict(parts)

    def _add_level_part(self, location: Tensor | None, scale: Tensor | None
                        ) -> None:
        """The skip's level part: zero weights and the fixed statistics."""
        n_level = (self.lookback * self.n_exogenous
                   + (self.lookback + self.horizon) * self.n_future
                   if self.skip_variable_weights else 0)
        self.skip_level_own = nn.Linear(self.lookback, self.horizon)
        self.skip_level_shared = nn.Linear(n_level, self.horizon, bias=False)
        for parameter in (*self.skip_level_own.parameters(),
                          *self.skip_level_shared.parameters()):
            nn.init.zeros_(parameter)
        n_vars = self.n_endogenous + self.n_exogenous + self.n_future
        self.register_buffer("level_location", _statistic(
            location, 0.0, n_vars, "level_location"))
        self.register_buffer("level_scale", _statistic(
            scale, 1.0, n_vars, "level_scale"))
        if not bool((self.level_scale > 0).all()):
            raise InputValueError("level_scale must be positive.")

    def with_exogenous(self, known: Sequence[int], tag_matrix: Tensor,
                       level_location: Tensor | None = None,
                       level_scale: Tensor | None = None) -> TimeXer:
        """This model reading another set of exogenous variables.

        The copy shares every parameter with this model. Its ``i``-th
        exogenous variable is this model's ``known[i]``-th, or one it never
        saw where ``known[i]`` is -1: a new variable joins the cross-attention
        with its tags, and the linear skip reads it through the weights made
        from its tags alone. A variable left out is simply not read.
        Variables are told apart by their tags, so this needs a tag
        embedding, and one endogenous variable (mode ``"MS"``).

        Parameters
        ----------
        known : sequence of int
            For each exogenous variable of the copy, its position among this
            model's exogenous variables, or -1 for a new one.
        tag_matrix : Tensor of shape (len(known) + n_future, n_tags)
            Tag rows of the copy's exogenous, then future variables (in this
            model's tag vocabulary), dense or sparse.
        level_location, level_scale : Tensor of shape (n_new,), optional
            With the linear skip: the fixed statistics of the new variables
            (those at -1, in order), default 0 and 1; known variables keep
            this model's.

        Returns
        -------
        TimeXer
            A model for inference (its ``forward`` only), sharing this one's
            parameters.
        """
        if self.tag_embedding is None or self.n_endogenous != 1:
            raise InputValueError(
                "Only a model with tags and one endogenous variable can read "
                "exogenous variables other than those it was trained on."
            )
        known = [int(k) for k in known]
        if any(not -1 <= k < self.n_exogenous for k in known):
            raise InputValueError(
                f"known positions must be -1 or below n_exogenous="
                f"{self.n_exogenous}, got {known}."
            )
        n_tagged = len(known) + self.n_future
        if tag_matrix.shape[0] != n_tagged:
            raise InputValueError(
                f"tag_matrix has {tag_matrix.shape[0]} rows but there are "
                f"{n_tagged} exogenous and future variables."
            )
        model = copy.copy(self)
        for registry in ("_parameters", "_buffers", "_modules"):
            setattr(model, registry, dict(getattr(self, registry)))
        model.n_exogenous = len(known)
        bags = _as_bags(tag_matrix)
        if not isinstance(bags, TagBags):
            bags = dense_to_bags(bags)
        device = self.tag_indices.device
        model.tag_indices = bags.indices.long().to(device)
        model.tag_offsets = bags.offsets.long().to(device)
        model.tag_weights = bags.per_sample_weights.float().to(device)
        if self.linear_skip and self.skip_variable_weights:
            model.skip_shared = _with_columns(self.skip_shared, known,
                                              self.n_exogenous, self.lookback)
            model.skip_level_shared = _with_columns(
                self.skip_level_shared, known, self.n_exogenous, self.lookback)
        if self.linear_skip:
            index = torch.tensor([0, *[1 + k if k >= 0 else -1 for k in known],
                                  *range(1 + self.n_exogenous,
                                         1 + self.n_exogenous + self.n_future)],
                                 device=device)
            new = index < 0
            for name, given, default in (("level_location", level_location, 0.0),
                                         ("level_scale", level_scale, 1.0)):
                value = getattr(self, name)[index.clamp(min=0)]
                value[new] = _statistic(given, default, int(new.sum()),
                                        f"{name} of the new variables"
                                        ).to(device, value.dtype)
                setattr(model, name, value)
            if not bool((model.level_scale > 0).all()):
                raise InputValueError("level_scale must be positive.")
        return model

    @property
    def n_tokens(self) -> int:
        """Endogenous tokens per variable: the patches plus the global token."""
        return self.n_patches + 1

    def feature_tag_bags(self) -> TagBags | None:
        """The tag rows of the exogenous and future variables, or None."""
        if self.tag_embedding is None:
            return None
        return TagBags(self.tag_indices, self.tag_offsets, self.tag_weights)

    def forward(self, endogenous: Tensor, exogenous: Tensor,
                calendar: Tensor | None = None, future: Tensor | None = None,
                series_tags=None, target_location: Tensor | None = None,
                target_scale: Tensor | None = None) -> Tensor:
        """Forecast ``horizon`` steps of every endogenous variable.

        Parameters
        ----------
        endogenous : Tensor of shape (batch, lookback, n_endogenous)
        exogenous : Tensor of shape (batch, lookback, n_exogenous)
        calendar : Tensor of shape (batch, lookback, n_calendar), optional
        future : Tensor of shape (batch, lookback + horizon, n_future), optional
        series_tags : Tensor of shape (batch, n_series_tags), optional
            Each window's series tag row, dense or sparse (COO/CSR).
        target_location, target_scale : Tensor of shape (batch, 1, n_endogenous)
            When given, the forecast is ``output * scale + location`` instead
            of being de-normalised with the endogenous window's statistics.

        Returns
        -------
        Tensor of shape (batch, horizon, n_endogenous), or
        (batch, horizon, n_endogenous, n_quantiles) with several quantiles.
        """
        features = (None if self.feature_tags is None else
                    self.tag_embedding(self.feature_tag_bags()))
        inputs = (endogenous, exogenous, calendar, future, features)
        scale = (target_location, target_scale)
        if self.series_tags is None:
            return self._forecast(*inputs, None, *scale)
        series = self.series_tags.embedding(_as_bags(series_tags))
        # A module pickled before series tag dropout existed trained without.
        dropout = getattr(self, "series_tag_dropout", 0.0)
        if self.training or dropout == 0:
            return self._forecast(*inputs, self._dropped(series), *scale)
        # The forecast that training with series tag dropout expects: the
        # tagged and the untagged one, weighed by how often each trained.
        tagged = self._forecast(*inputs, series, *scale)
        untagged = self._forecast(*inputs, torch.zeros_like(series), *scale)
        return (1 - dropout) * tagged + dropout * untagged

    def _forecast(self, endogenous: Tensor, exogenous: Tensor,
                  calendar: Tensor | None, future: Tensor | None,
                  features: Tensor | None, series: Tensor | None,
                  target_location: Tensor | None,
                  target_scale: Tensor | None) -> Tensor:
        """The forward pass given the embedded tags: ``features`` of the
        tagged variables, ``series`` of each window's series."""
        batch = endogenous.shape[0]
        level = (self._level_skip(endogenous, exogenous, future, features, series)
                 if self.linear_skip else None)
        endogenous, endogenous_missing, mean, std = _prepare(endogenous,
                                                             self.use_norm)
        exogenous, exogenous_missing, _, _ = _prepare(exogenous, self.use_norm)

        # Endogenous: patches (batch * n_endo, n_patches, patch_len) -> tokens.
        patches = self._patches(endogenous, batch)
        tokens = self.patch_embedding(patches) + self.positions
        if self.missing_embedding and endogenous_missing is not None:
            tokens = tokens + self.patch_missing(
                self._patches(endogenous_missing, batch))
        global_tokens = self.global_tokens.expand(batch, -1, -1, -1).reshape(
            batch * self.n_endogenous, 1, -1
        )
        tokens = torch.cat([tokens, global_tokens], dim=1)
        if series is not None:
            tokens = self._with_series_tags(tokens, series, batch)
        tokens = self.embedding_dropout(tokens)

        future_missing = None
        if self.n_future:
            future, future_missing, _, _ = _prepare(future, self.use_norm)
        variates = self._variate_tokens(exogenous, exogenous_missing, calendar,
                                        future, future_missing, batch, features)
        for layer in self.layers:
            tokens = layer(tokens, variates, self.n_endogenous)
        tokens = self.final_norm(tokens)

        flat = tokens.reshape(batch, self.n_endogenous, -1)
        out = self.head_dropout(self.head(flat))
        out = out.view(batch, self.n_endogenous, self.horizon, self.n_quantiles)
        out = _ordered_quantiles(out, self.median_index)
        if self.linear_skip:
            out = out + self._skip(endogenous, exogenous, calendar, future,
                                   features, series).unsqueeze(-1)
        out = out.transpose(1, 2)
        if level is not None:
            level = level.transpose(1, 2).unsqueeze(-1)
        if target_scale is not None:
            if level is not None:
                out = out + level
            out = out * target_scale.unsqueeze(-1) + target_location.unsqueeze(-1)
        else:
            if self.use_norm:
                out = out * std.unsqueeze(-1) + mean.unsqueeze(-1)
            if level is not None:
                endogenous_scale = self.level_scale[:self.n_endogenous]
                out = out + level * endogenous_scale.view(1, 1, -1, 1)
        return out.squeeze(-1) if self.n_quantiles == 1 else out

    def _level_skip(self, endogenous: Tensor, exogenous: Tensor,
                    future: Tensor | None, features: Tensor | None,
                    series: Tensor | None) -> Tensor:
        """The skip's level part, ``(batch, n_endogenous, horizon)``: a
        linear map of the windows standardised with the fixed statistics."""
        n_endo, n_exo = self.n_endogenous, self.n_exogenous
        location, scale = self.level_location, self.level_scale

        def standardised(x: Tensor | None, start: int, stop: int | None
                         ) -> Tensor | None:
            if x is None:
                return None
            z = (x - location[start:stop]) / scale[start:stop]
            return torch.nan_to_num(z, nan=0.0)

        endogenous = standardised(endogenous, 0, n_endo)
        exogenous = standardised(exogenous, n_endo, n_endo + n_exo)
        future = standardised(future, n_endo + n_exo, None)
        own = [exogenous, future] if self.skip_variable_weights else []
        return (_own_and_shared_map(self.skip_level_own, self.skip_level_shared,
                                    endogenous, own)
                + self._skip_from_tags("level_", endogenous, exogenous, future,
                                       features, series))

    def _skip(self, endogenous: Tensor, exogenous: Tensor,
              calendar: Tensor | None, future: Tensor | None,
              features: Tensor | None, series: Tensor | None) -> Tensor:
        """The linear skip, ``(batch, n_endogenous, horizon)``: each
        endogenous variable's own window, plus the other variables' windows
        (shared by every endogenous variable)."""
        parts = ([exogenous, calendar, future] if self.skip_variable_weights
                 else [calendar])
        return (_own_and_shared_map(self.skip_own, self.skip_shared, endogenous,
                                    parts)
                + self._skip_from_tags("", endogenous, exogenous, future,
                                       features, series))

    def _skip_from_tags(self, part: str, endogenous: Tensor, exogenous: Tensor,
                        future: Tensor | None, features: Tensor | None,
                        series: Tensor | None) -> Tensor | float:
        """The skip's weights read from the tags, ``(batch, n_endogenous,
        horizon)``, on top of each variable's own: the exogenous and future
        windows through their variables' tag embeddings ``features``, each
        endogenous window through its series' tag embedding ``series``;
        with both, the tagged variables' part weighted per series by how its
        kind of variable weighs in that kind of series."""
        out = 0.0
        skips = self.skip_tags
        gain = None
        if features is not None and series is not None:
            gain = 1.0 + skips["roles"](series) @ features.T  # (batch, n_tagged)
        n_exo = self.n_exogenous
        if features is not None and n_exo:
            out = out + skips[f"{part}exogenous"].per_variable(
                exogenous, features[:n_exo],
                None if gain is None else gain[:, :n_exo]).unsqueeze(1)
        if features is not None and self.n_future:
            out = out + skips[f"{part}future"].per_variable(
                future, features[n_exo:],
                None if gain is None else gain[:, n_exo:]).unsqueeze(1)
        if series is not None:
            out = out + skips[f"{part}series"].per_window(endogenous, series)
        return out

    def _patches(self, x: Tensor, batch: int) -> Tensor:
        return x.transpose(1, 2).reshape(
            batch * self.n_endogenous, self.n_patches, self.patch_len
        )

    def _dropped(self, series: Tensor) -> Tensor:
        """``series`` with the rows of some windows zeroed in training
        (``series_tag_dropout``): those windows read as untagged."""
        if not self.training or self.series_tag_dropout == 0:
            return series
        keep = torch.rand(series.shape[0], 1, device=series.device)
        return series * (keep >= self.series_tag_dropout).to(series.dtype)

    def _with_series_tags(self, tokens: Tensor, embedded: Tensor,
                          batch: int) -> Tensor:
        grouped = tokens.view(batch, self.n_endogenous * self.n_tokens, -1)
        return self.series_tags.join(grouped, embedded).view(tokens.shape)

    def _variate_tokens(self, exogenous: Tensor, missing: Tensor | None,
                        calendar: Tensor | None, future: Tensor | None,
                        future_missing: Tensor | None, batch: int,
                        features: Tensor | None) -> Tensor:
        """One token per exogenous, future and calendar variable, with tags."""
        series = exogenous
        if calendar is not None:
            series = torch.cat([exogenous, calendar], dim=2)
        # The inverted embedding reads each series along time. A batched
        # W @ series does it in the (batch, time, variable) layout of the
        # input, without the transposed copy of Linear(series.transpose(1, 2)).
        embedding = self.variate_embedding
        weight = embedding.weight.expand(batch, -1, -1)
        variates = torch.bmm(weight, series).transpose(1, 2) + embedding.bias
        if self.missing_embedding and missing is not None:
            masks = self.variate_missing(missing.transpose(1, 2))
            variates = variates + F.pad(masks, (0, 0, 0, self.n_calendar))
        if self.n_future:
            future_tokens = self.future_embedding(future.transpose(1, 2))
            if self.missing_embedding and future_missing is not None:
                future_tokens = future_tokens + self.future_missing(
                    future_missing.transpose(1, 2))
            variates = torch.cat([variates[:, :self.n_exogenous], future_tokens,
                                  variates[:, self.n_exogenous:]], dim=1)
        if features is not None:
            n_tagged = self.n_exogenous + self.n_future
            tagged = self.feature_tags.join(variates[:, :n_tagged].unsqueeze(-2),
                                            features).squeeze(-2)
            variates = torch.cat([tagged, variates[:, n_tagged:]], dim=1)
        return self.embedding_dropout(variates)


def _own_and_shared_map(own: nn.Linear, shared: nn.Linear, endogenous: Tensor,
                        parts: list[Tensor | None]) -> Tensor:
    """``own`` on each endogenous variable's window plus ``shared`` on the
    flattened windows of ``parts`` (absent or empty ones left out), the same
    for every endogenous variable: ``(batch, n_endogenous, horizon)``."""
    batch = endogenous.shape[0]
    out = own(endogenous.transpose(1, 2))
    flat = [x.reshape(batch, -1) for x in parts
            if x is not None and x.shape[-1]]
    if flat:
        # A product per part rather than one of their concatenation, which
        # would be a copy of the windows kept for the backward pass.
        weights = shared.weight.split([x.shape[1] for x in flat], dim=1)
        out = out + sum(F.linear(x, w) for x, w in
                        zip(flat, weights, strict=True)).unsqueeze(1)
    return out


def _with_columns(shared: nn.Linear, known: list[int], n_exogenous: int,
                  lookback: int) -> nn.Linear:
    """A copy of a shared skip map whose exogenous block (the first
    ``lookback * n_exogenous`` inputs, time-major) reads the variables at
    ``known`` (-1: a new variable, zero weights); the rest as it is."""
    weight = shared.weight.detach()
    horizon = weight.shape[0]
    exogenous = weight[:, :lookback * n_exogenous].reshape(horizon, lookback,
                                                           n_exogenous)
    padded = F.pad(exogenous, (0, 1))  # the zero weights of a new variable
    index = torch.tensor([k if k >= 0 else n_exogenous for k in known],
                         device=weight.device)
    chosen = padded.index_select(2, index).reshape(horizon, -1)
    rest = weight[:, lookback * n_exogenous:]
    copy_ = nn.Linear(chosen.shape[1] + rest.shape[1], horizon, bias=False)
    copy_.weight = nn.Parameter(torch.cat([chosen, rest], dim=1),
                                requires_grad=False)
    return copy_.to(weight.device)


def _statistic(value: Tensor | None, default: float, size: int,
               name: str) -> Tensor:
    """A per-variable statistic as a float tensor of ``size`` values."""
    if value is None:
        return torch.full((size,), default)
    value = torch.as_tensor(value, dtype=torch.float32).reshape(-1)
    if value.numel() != size:
        raise InputValueError(
            f"{name} has {value.numel()} values, expected {size} (one per "
            "variable)."
        )
    if not bool(torch.isfinite(value).all()):
        raise InputValueError(f"{name} must be finite.")
    return value.clone()


def _as_bags(tags):
    """A dense tag batch as it is, a sparse one as TagBags."""
    if isinstance(tags, Tensor) and (tags.is_sparse or tags.layout == torch.sparse_csr):
        return sparse_to_bags(tags)
    return tags


def _ordered_quantiles(out: Tensor, median: int) -> Tensor:
    """Quantiles that never cross from raw head outputs ``(..., Q)``: the
    median as it is, and cumulative sums of softplus steps above and below."""
    if out.shape[-1] == 1:
        return out
    centre = out[..., median:median + 1]
    above = torch.cumsum(F.softplus(out[..., median + 1:]), dim=-1)
    below = torch.cumsum(F.softplus(out[..., :median]).flip(-1), dim=-1).flip(-1)
    return torch.cat([centre - below, centre, centre + above], dim=-1)


def _prepare(x: Tensor, normalise: bool
             ) -> tuple[Tensor, Tensor | None, Tensor | None, Tensor | None]:
    """Windows ready for the embeddings: normalised if asked, NaN replaced by
    the window's mean (0 once normalised). Returns the windows, the mask of
    missing values (None when none is missing), and the mean and standard
    deviation (None without normalisation)."""
    missing = torch.isnan(x)
    if not bool(missing.any()):
        if not normalise:
            return x, None, None, None
        normalised, mean, std = _normalise(x)
        return normalised, None, mean, std
    observed = ~missing
    count = observed.sum(dim=1, keepdim=True).clamp(min=1).to(x.dtype)
    filled = torch.where(observed, x, torch.zeros((), dtype=x.dtype,
                                                  device=x.device))
    mean = (filled.sum(dim=1, keepdim=True) / count).detach()
    mask = missing.to(x.dtype)
    if not normalise:
        return torch.where(observed, x, mean), mask, None, None
    centred = torch.where(observed, x - mean, torch.zeros((), dtype=x.dtype,
                                                          device=x.device))
    with torch.no_grad():
        std = torch.sqrt(centred.square().sum(dim=1, keepdim=True) / count + 1e-5)
        # A variable with fewer than two values in the window has no spread
        # to scale by: keep the data's own units rather than divide by the
        # 1e-5 floor, which would shrink its de-normalised forecast ~300-fold.
        std = torch.where(count < 2, torch.ones((), dtype=x.dtype, device=x.device),
                          std)
    return centred / std, mask, mean, std


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
