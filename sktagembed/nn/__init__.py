"""Pure-torch tag-embedding modules.

Every module maps a batch of tag rows, dense ``(n, K)`` or sparse
:class:`TagBags`, to ``(n, output_dim)``. Nothing here knows about pandas or
scikit-learn.
"""

from ._bags import TagBags, dense_to_bags, sparse_to_bags
from ._base import TagEmbedding
from ._registry import METHOD_OPTIONS, METHODS, build_tag_embedding
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
    "TimeXer",
    "build_tag_embedding",
    "dense_to_bags",
    "infer_hierarchy",
    "sparse_to_bags",
]
