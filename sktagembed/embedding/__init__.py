"""Tag embeddings as a scikit-learn transformer.

:class:`TagEmbeddingTransformer` and what only it uses: the tag schema (user
tag input to a validated tag matrix), building and training tag modules, and
tag tables on disk.
"""

from ._schema import NonBinaryTagError, TagSchema
from ._transformer import TagEmbeddingTransformer

__all__ = ["NonBinaryTagError", "TagEmbeddingTransformer", "TagSchema"]
