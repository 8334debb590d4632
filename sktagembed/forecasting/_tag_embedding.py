"""A forecaster's tag embedding, from its ``tag_embedding`` parameter.

The parameter is a :class:`~sktagembed.TagEmbeddingTransformer` (or a method
name standing for one with default options): it gives the method and its
options, trained end to end inside the forecaster.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sklearn.frozen import FrozenEstimator

from ..embedding import _transformer
from ..embedding._build import build_tag_module
from ..nn import TagEmbedding


def unwrap(value: object) -> object:
    """The transformer inside a :class:`~sklearn.frozen.FrozenEstimator`."""
    return value.estimator if isinstance(value, FrozenEstimator) else value


def is_transformer(value: object) -> bool:
    """Whether ``value`` is a tag-embedding transformer (or a frozen one)."""
    # Read at call time: the embedding package imports this one's package.
    return isinstance(unwrap(value), _transformer.TagEmbeddingTransformer)


@dataclass
class TagEmbeddingSpec:
    """The tag method of a forecaster and its options."""

    method: str
    embedding_dim: int
    options: dict = field(default_factory=dict)

    @classmethod
    def resolve(cls, value: object, tagged: bool) -> TagEmbeddingSpec | None:
        """The spec of a ``tag_embedding`` value; None for plain TimeXer
        (``None``, or ``"auto"`` without tags)."""
        value = unwrap(value)
        if isinstance(value, str) and value == "auto":
            value = "sum" if tagged else None
        if value is None:
            return None
        if isinstance(value, str):
            value = _transformer.TagEmbeddingTransformer(value)
        return cls(value.method, value.embedding_dim, value._method_options())

    def build(self, matrix, tag_names, random_state) -> TagEmbedding:
        """The seeded module for a tag matrix whose tags are ``tag_names``."""
        return build_tag_module(self.method, matrix, tag_names, self.embedding_dim,
                                random_state=random_state, **self.options)
