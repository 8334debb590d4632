"""Method name -> module, so estimators build modules by name."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..exceptions import InputValueError
from ._base import TagEmbedding
from .attention import AttentionTagEmbedding, MultiHeadTagEmbedding
from .hierarchical import HierarchicalTagEmbedding
from .interaction import BilinearTagEmbedding, InteractionTagEmbedding
from .mlp import MLPTagEmbedding
from .pretrained import PretrainedTagEmbedding
from .sum import LinearTagEmbedding, SumTagEmbedding

METHODS = (
    "sum",
    "linear",
    "multihead",
    "interaction",
    "mlp",
    "bilinear",
    "attention",
    "hierarchical",
    "pretrained",
)

#: The options of :func:`build_tag_embedding` each method reads.
METHOD_OPTIONS: dict[str, tuple[str, ...]] = {
    "sum": ("pooling",),
    "linear": (),
    "multihead": ("num_heads",),
    "interaction": (),
    "mlp": ("hidden_dim", "dropout"),
    "bilinear": (),
    "attention": ("hidden_dim",),
    "hierarchical": ("hierarchy", "tag_names"),
    "pretrained": ("pretrained", "freeze"),
}


def build_tag_embedding(
    method: str,
    num_tags: int,
    embedding_dim: int,
    *,
    pooling: str = "sum",
    num_heads: int = 4,
    hidden_dim: int = 32,
    dropout: float = 0.0,
    hierarchy: Mapping | None = None,
    tag_names: Sequence[str] | None = None,
    pretrained=None,
    freeze: bool = True,
) -> TagEmbedding:
    """Build the tag-embedding module of ``method``.

    Every option is accepted for every method and passed only to the methods
    that use it (:data:`METHOD_OPTIONS`), so an estimator can forward all of
    its hyperparameters.

    Parameters
    ----------
    method : str
        One of :data:`METHODS`.
    num_tags, embedding_dim : int
        Number of tags ``K`` and embedding size ``d``.
    pooling : {"sum", "mean"}, default="sum"
        Pooling of ``sum``.
    num_heads : int, default=4
        Heads of ``multihead``.
    hidden_dim : int, default=32
        Hidden width of ``mlp`` and of the ``attention`` scorer.
    dropout : float, default=0.0
        Dropout of ``mlp``.
    hierarchy : mapping, default=None
        ``{parent: [children]}`` of ``hierarchical``.
    tag_names : sequence of str, default=None
        Tag names that ``hierarchy`` may refer to (``hierarchical``).
    pretrained : array-like or Tensor, default=None
        The ``(num_tags, embedding_dim)`` table of ``pretrained``.
    freeze : bool, default=True
        Keep the ``pretrained`` table fixed.

    Returns
    -------
    TagEmbedding
        The module, untrained (but for a ``pretrained`` table).

    Examples
    --------
    >>> from sktagembed.nn import build_tag_embedding
    >>> build_tag_embedding("interaction", 10, 4).output_dim
    8
    """
    if method == "sum":
        return SumTagEmbedding(num_tags, embedding_dim, pooling=pooling)
    if method == "linear":
        return LinearTagEmbedding(num_tags, embedding_dim)
    if method == "multihead":
        return MultiHeadTagEmbedding(num_tags, embedding_dim, num_heads=num_heads)
    if method == "interaction":
        return InteractionTagEmbedding(num_tags, embedding_dim)
    if method == "mlp":
        return MLPTagEmbedding(num_tags, embedding_dim, hidden_dim=hidden_dim,
                               dropout=dropout)
    if method == "bilinear":
        return BilinearTagEmbedding(num_tags, embedding_dim)
    if method == "attention":
        return AttentionTagEmbedding(num_tags, embedding_dim, hidden_dim=hidden_dim)
    if method == "hierarchical":
        if hierarchy is None:
            raise InputValueError("method='hierarchical' needs a hierarchy mapping.")
        return HierarchicalTagEmbedding(num_tags, embedding_dim, hierarchy,
                                        tag_names=tag_names)
    if method == "pretrained":
        if pretrained is None:
            raise InputValueError("method='pretrained' needs the pretrained table.")
        module = PretrainedTagEmbedding(pretrained, freeze=freeze)
        expected = (num_tags, embedding_dim)
        got = (module.num_tags, module.embedding_dim)
        if got != expected:
            raise InputValueError(
                f"pretrained table has shape {got}, expected (num_tags, "
                f"embedding_dim) = {expected}."
            )
        return module
    raise InputValueError(
        f"Unknown tag-embedding method {method!r}; valid methods are "
        f"{', '.join(METHODS)}."
    )
