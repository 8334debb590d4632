"""scikit-learn's estimator checks for every embedding method."""

import numpy as np
import pandas as pd
from sklearn.utils.estimator_checks import parametrize_with_checks

from sktagembed import TagEmbeddingTransformer
from sktagembed.nn import METHODS

# The checks feed continuous non-negative data, hence weighted=True. A named
# pretrained table covers any number of columns the checks use: tags it does
# not name get random rows.
PRETRAINED = pd.DataFrame(
    np.random.default_rng(0).normal(size=(64, 4)),
    index=[f"tag_{i}" for i in range(64)],
)


def checked_estimators():
    for method in METHODS:
        params = {"embedding_dim": 4, "num_heads": 2, "max_epochs": 2,
                  "weighted": True}
        if method == "hierarchical":
            params["hierarchy"] = "infer"
        if method == "pretrained":
            params.update(pretrained=PRETRAINED, handle_missing="random")
        yield TagEmbeddingTransformer(method, **params)


@parametrize_with_checks(list(checked_estimators()))
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
