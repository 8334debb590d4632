"""sktagembed: feature-group (tag) embeddings for scikit-learn.

Public names are importable from the top level; modules with a leading
underscore are private and may change without notice.
"""

from ._forecast_frame import make_forecast_frame
from ._time_index import fill_time_gaps
from .timexer import TimeXerRegressor
from .transformer import TagEmbeddingTransformer

__version__ = "0.1.0.dev0"

__all__ = [
    "TagEmbeddingTransformer",
    "TimeXerRegressor",
    "__version__",
    "fill_time_gaps",
    "make_forecast_frame",
]
