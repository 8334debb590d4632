"""sktagembed: feature-group (tag) embeddings for scikit-learn.

Public names are importable from the top level. The package is grouped by
job: :mod:`sktagembed.embedding` (the transformer), :mod:`sktagembed.forecasting`
(the forecaster), :mod:`sktagembed.nn` (pure-torch modules),
:mod:`sktagembed.cli` (the command line); modules and packages with a leading
underscore are private and may change without notice.
"""

from .embedding import TagEmbeddingTransformer
from .forecasting import TimeXerRegressor, fill_time_gaps, make_forecast_frame

__version__ = "0.1.0.dev0"

__all__ = [
    "TagEmbeddingTransformer",
    "TimeXerRegressor",
    "__version__",
    "fill_time_gaps",
    "make_forecast_frame",
]
