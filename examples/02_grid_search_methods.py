"""Search over the nine embedding methods inside a scikit-learn pipeline.

Observations carry numeric columns and a tag set. A ``ColumnTransformer``
embeds the tag columns with ``TagEmbeddingTransformer`` and scales the numeric
ones; ``GridSearchCV`` then ranks the embedding methods by cross-validated
score of the downstream ridge regression.
"""

import os

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sktagembed import TagEmbeddingTransformer
from sktagembed.nn import METHODS

FAST = bool(os.environ.get("SKTAGEMBED_EXAMPLES_FAST"))
N_ROWS, EPOCHS = (150, 3) if FAST else (2000, 30)

rng = np.random.default_rng(0)
tag_columns = [f"tag_{i}" for i in range(6)]
X = pd.DataFrame(rng.random((N_ROWS, 6)) < 0.3, columns=tag_columns)
X["size"] = rng.normal(size=N_ROWS)
X["price"] = rng.normal(100, 10, size=N_ROWS)
# The target depends on the tags, on one pair of tags, and on size.
effects = rng.normal(size=6)
y = (X[tag_columns].to_numpy(float) @ effects
     + 2.0 * (X["tag_0"] & X["tag_1"]) + 0.5 * X["size"]
     + rng.normal(scale=0.1, size=N_ROWS))

features = ColumnTransformer([
    ("tags", TagEmbeddingTransformer(embedding_dim=8, max_epochs=EPOCHS,
                                     random_state=0), tag_columns),
    ("numeric", StandardScaler(), ["size", "price"]),
])
pipe = Pipeline([("features", features), ("model", Ridge(alpha=1e-3))])

plain = [m for m in METHODS if m not in ("hierarchical", "pretrained")]
grid = [
    {"features__tags__method": plain},
    # hierarchical needs a hierarchy; "infer" derives it from the tags.
    {"features__tags__method": ["hierarchical"],
     "features__tags__hierarchy": ["infer"]},
]
search = GridSearchCV(pipe, grid, cv=KFold(3, shuffle=True, random_state=0))
search.fit(X, y)

results = pd.DataFrame(search.cv_results_)
ranking = results.sort_values("rank_test_score")[
    ["param_features__tags__method", "mean_test_score", "std_test_score"]
]
print(ranking.to_string(index=False))
print("best:", search.best_params_)
