"""A forecaster's tag embedding, from its ``tag_embedding`` parameter.

The parameter is a :class:`~sktagembed.TagEmbeddingTransformer` (or a method
name standing for one with default options): unfitted, it gives the method
and its options, trained end to end inside the forecaster; fitted, its learned
modules start the forecaster's, matched tag by tag by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from sklearn.frozen import FrozenEstimator

from ..embedding import _transformer
from ..embedding._build import build_tag_module
from ..nn import TagEmbedding

if TYPE_CHECKING:
    from ..embedding._transformer import TagEmbeddingTransformer


def unwrap(value: object) -> object:
    """The transformer inside a :class:`~sklearn.frozen.FrozenEstimator`."""
    return value.estimator if isinstance(value, FrozenEstimator) else value


def is_transformer(value: object) -> bool:
    """Whether ``value`` is a tag-embedding transformer (or a frozen one)."""
    # Read at call time: the embedding package imports this one's package.
    return isinstance(unwrap(value), _transformer.TagEmbeddingTransformer)


def is_fitted(transformer: TagEmbeddingTransformer) -> bool:
    return hasattr(transformer, "net_")


@dataclass
class TagEmbeddingSpec:
    """The tag method of a forecaster, its options, and the fitted transformer
    its modules start from (None: a fresh initialisation)."""

    method: str
    embedding_dim: int
    options: dict = field(default_factory=dict)
    fitted: TagEmbeddingTransformer | None = None
    freeze: bool = False

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
        fitted = value if is_fitted(value) else None
        return cls(value.method, value.embedding_dim, value._method_options(),
                   fitted, fitted is not None and bool(value.freeze))

    def build(self, matrix, tag_names, random_state) -> TagEmbedding:
        """The module for a tag matrix whose tags are ``tag_names``: seeded,
        then, from a fitted transformer, its learned values for the tags it
        knows (frozen with its ``freeze``)."""
        module = build_tag_module(self.method, matrix, tag_names, self.embedding_dim,
                                  random_state=random_state, **self.options)
        if self.fitted is None:
            return module
        known = {name: row for row, name in enumerate(self.fitted.tag_names_)}
        rows = np.array([known.get(name, -1) for name in tag_names])
        if (rows < 0).all():  # nothing to start from: trained from scratch
            return module
        module.start_from(self.fitted.net_.module_.embedding, rows)
        if self.freeze:
            module.requires_grad_(False)
        return module
