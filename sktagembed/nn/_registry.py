"""The nine tag-embedding methods: one table of names, options and modules."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..exceptions import InputValueError
from ._base import TagEmbedding
from .attention import AttentionTagEmbedding, MultiHeadTagEmbedding
from .hierarchical import HierarchicalTagEmbedding
from .interaction import BilinearTagEmbedding, InteractionTagEmbedding
from .mlp import MLPTagEmbedding
from .pretrained import PretrainedTagEmbedding
from .sum import LinearTagEmbedding, SumTagEmbedding


def _hierarchical(num_tags: int, embedding_dim: int, *, hierarchy,
                  tag_names: Sequence[str] | None = None) -> TagEmbedding:
    if hierarchy is None or isinstance(hierarchy, str):
        raise InputValueError(
            f"method='hierarchical' needs a {{parent: [children]}} mapping, got "
            f"hierarchy={hierarchy!r} ('infer' is resolved by the estimators "
            "from their training tags)."
        )
    return HierarchicalTagEmbedding(num_tags, embedding_dim, hierarchy,
                                    tag_names=tag_names)


def _pretrained(num_tags: int, embedding_dim: int, *, pretrained,
                freeze: bool) -> TagEmbedding:
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


@dataclass(frozen=True)
class TagMethod:
    """One tag-embedding method: its module and the options it reads.

    Parameters
    ----------
    build : callable
        ``build(num_tags, embedding_dim, **options)`` makes the module from
        the options named in ``options``.
    options : tuple of str, default=()
        The options ``build`` reads.
    table_options : tuple of str, default=()
        Options that act where an estimator aligns a table to its tag names,
        before ``build``.
    needs_tag_names : bool, default=False
        Whether ``build`` also takes ``tag_names`` (options may name tags).

    Examples
    --------
    >>> from sktagembed.nn import TAG_METHODS
    >>> TAG_METHODS["multihead"].options
    ('n_heads',)
    """

    build: Callable[..., TagEmbedding]
    options: tuple[str, ...] = ()
    table_options: tuple[str, ...] = ()
    needs_tag_names: bool = False

    @property
    def user_options(self) -> tuple[str, ...]:
        """Every option a user may give for this method: ``options``, then
        ``table_options``."""
        return self.options + self.table_options


#: Method name -> its module and options. The one list of the methods.
TAG_METHODS: dict[str, TagMethod] = {
    "sum": TagMethod(SumTagEmbedding, ("pooling",)),
    "linear": TagMethod(LinearTagEmbedding),
    "multihead": TagMethod(MultiHeadTagEmbedding, ("n_heads",)),
    "interaction": TagMethod(InteractionTagEmbedding),
    "mlp": TagMethod(MLPTagEmbedding, ("hidden_dim", "dropout")),
    "bilinear": TagMethod(BilinearTagEmbedding),
    "attention": TagMethod(AttentionTagEmbedding, ("hidden_dim",)),
    "hierarchical": TagMethod(_hierarchical, ("hierarchy",),
                              needs_tag_names=True),
    "pretrained": TagMethod(_pretrained, ("pretrained", "freeze"),
                            table_options=("handle_missing",)),
}

METHODS: tuple[str, ...] = tuple(TAG_METHODS)

#: The options each method reads (:attr:`TagMethod.user_options`).
METHOD_OPTIONS: dict[str, tuple[str, ...]] = {
    name: method.user_options for name, method in TAG_METHODS.items()
}

#: Every option of the methods with its default, the same in both estimators
#: (``hierarchy="infer"`` derives the hierarchy from the training tags).
OPTION_DEFAULTS: dict[str, object] = {
    "pooling": "sum",
    "n_heads": 4,
    "hidden_dim": 32,
    "dropout": 0.0,
    "hierarchy": "infer",
    "pretrained": None,
    "freeze": True,
    "handle_missing": "error",
}


def build_tag_embedding(
    method: str,
    num_tags: int,
    embedding_dim: int,
    *,
    tag_names: Sequence[str] | None = None,
    **options,
) -> TagEmbedding:
    """Build the tag-embedding module of ``method``.

    Every option of :data:`OPTION_DEFAULTS` is accepted for every method and
    passed only to the methods that read it (:data:`TAG_METHODS`), so an
    estimator can forward all of its hyperparameters; an option not given
    takes its default.

    Parameters
    ----------
    method : str
        One of :data:`METHODS`.
    num_tags : int
        Number of tags ``K``.
    embedding_dim : int
        Embedding size ``d``.
    tag_names : sequence of str, default=None
        Tag names that ``hierarchy`` may refer to (``hierarchical``).
    **options
        ``pooling`` (``sum``), ``n_heads`` (``multihead``), ``hidden_dim``
        (``mlp`` and the ``attention`` scorer), ``dropout`` (``mlp``),
        ``hierarchy`` (``hierarchical``: a ``{parent: [children]}``
        mapping), ``pretrained`` and ``freeze`` (``pretrained``: the
        ``(num_tags, embedding_dim)`` table, kept fixed or not);
        ``handle_missing`` is read where a named table is aligned, before.

    Returns
    -------
    TagEmbedding
        The module, untrained (but for a ``pretrained`` table).

    Examples
    --------
    >>> from sktagembed.nn import build_tag_embedding
    >>> build_tag_embedding("interaction", 10, 4).output_dim
    8
    >>> build_tag_embedding("multihead", 10, 8, n_heads=2).n_heads
    2
    """
    if method not in TAG_METHODS:
        raise InputValueError(
            f"Unknown tag-embedding method {method!r}; valid methods are "
            f"{', '.join(METHODS)}."
        )
    unknown = sorted(set(options) - set(OPTION_DEFAULTS))
    if unknown:
        raise InputValueError(
            f"Unknown tag-embedding options {unknown}; the options are "
            f"{', '.join(OPTION_DEFAULTS)}."
        )
    spec = TAG_METHODS[method]
    values = {name: options.get(name, OPTION_DEFAULTS[name]) for name in spec.options}
    if spec.needs_tag_names:
        values["tag_names"] = tag_names
    return spec.build(num_tags, embedding_dim, **values)

