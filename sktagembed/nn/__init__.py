"""Pure-torch modules: the nine tag embeddings and the TimeXer forecaster.

- The tag-embedding families (``sum``/``linear``, ``multihead``/``attention``,
  ``interaction``/``bilinear``, ``mlp``, ``hierarchical``, ``pretrained``): each
  maps a batch of tag rows, dense ``(n, K)`` or sparse :class:`TagBags`, to
  ``(n, output_dim)``. :data:`TAG_METHODS` (one table: each method's module
  and options), :data:`METHODS`, :data:`METHOD_OPTIONS`,
  :data:`OPTION_DEFAULTS` and :func:`build_tag_embedding` name and build
  them.
- :class:`TimeXer`: the forecaster, whose exogenous variate tokens (and series'
  endogenous tokens) may carry a tag embedding.
- Sparse tag rows (:class:`TagBags`, :func:`dense_to_bags`,
  :func:`sparse_to_bags`), in the layout ``torch.nn.EmbeddingBag`` takes.

Nothing here knows about pandas, scikit-learn or skorch.
"""

from ._bags import TagBags, dense_to_bags, sparse_to_bags
from ._base import TagEmbedding
from ._registry import (
    METHOD_OPTIONS,
    METHODS,
    OPTION_DEFAULTS,
    TAG_METHODS,
    TagMethod,
    build_tag_embedding,
)
from .attention import AttentionTagEmbedding, MultiHeadTagEmbedding
from .hierarchical import HierarchicalTagEmbedding, infer_hierarchy
from .interaction import BilinearTagEmbedding, InteractionTagEmbedding
from .mlp import MLPTagEmbedding
from .pretrained import PretrainedTagEmbedding
from .sum import LinearTagEmbedding, SumTagEmbedding
from .timexer import TimeXer

__all__ = [
    "METHODS",
    "METHOD_OPTIONS",
    "OPTION_DEFAULTS",
    "TAG_METHODS",
    "AttentionTagEmbedding",
    "BilinearTagEmbedding",
    "HierarchicalTagEmbedding",
    "InteractionTagEmbedding",
    "LinearTagEmbedding",
    "MLPTagEmbedding",
    "MultiHeadTagEmbedding",
    "PretrainedTagEmbedding",
    "SumTagEmbedding",
    "TagBags",
    "TagEmbedding",
    "TagMethod",
    "TimeXer",
    "build_tag_embedding",
    "dense_to_bags",
    "infer_hierarchy",
    "sparse_to_bags",
]
