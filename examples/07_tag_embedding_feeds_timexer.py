"""A tag embedding learned on the Jane Street tag table feeds TimeXer.

``TagEmbeddingTransformer`` is fitted, without a target, on the real 2024 tag
table (79 anonymised market features x 17 boolean tags, read from
``../shared/data``: competition data, never copied into this project; without
it the example says so and stops): it learns a vector per tag from which the
tag set of every feature can be told back. ``TimeXerRegressor`` then takes it
as ``tag_embedding``: each exogenous variable's token starts with the learned
embedding of its tags, kept fixed (``freeze=True``) or fine-tuned
(``freeze=False``). An unfitted transformer (or a method name) would instead
give only the method and its options, trained from scratch inside TimeXer.

The series is generated in the table's shape: a responder whose dependence on
each feature is set by the feature's tags, forecast one step ahead.
"""

import os
from pathlib import Path

import numpy as np
import pandas as pd

from sktagembed import TagEmbeddingTransformer, TimeXerRegressor, make_forecast_frame

FEATURES = (Path(__file__).resolve().parents[1].parent / "shared" / "data"
            / "jane_street_2024_features.csv")
FAST = bool(os.environ.get("SKTAGEMBED_EXAMPLES_FAST"))
N_STEPS, N_FEATURES, EPOCHS = (300, 12, 1) if FAST else (3000, 24, 8)

if not FEATURES.exists():
    print(f"skipped: the Jane Street tag table is not at {FEATURES}")
    raise SystemExit(0)

feature_tags = pd.read_csv(FEATURES, index_col="feature")  # 79 x 17 booleans


def pretrained(freeze: bool) -> TagEmbeddingTransformer:
    """The tag embedding learned on all 79 features, without a target."""
    return TagEmbeddingTransformer("sum", embedding_dim=8, max_epochs=50,
                                   freeze=freeze, random_state=0).fit(feature_tags)


frozen = pretrained(freeze=True)
n_tags, dim = frozen.embeddings_.shape
print(f"{len(feature_tags)} features x {feature_tags.shape[1]} tags -> a table of "
      f"{n_tags} tags x {dim}")

# A series in the table's shape: a few of its features, the responder's
# dependence on each set by the feature's tags.
rng = np.random.default_rng(0)
columns = list(feature_tags.index[:N_FEATURES])
tag_effect = rng.normal(scale=0.3, size=feature_tags.shape[1])
weight = feature_tags.loc[columns].to_numpy(float) @ tag_effect
features = rng.normal(size=(N_STEPS, N_FEATURES))
responder = features @ weight + 0.3 * rng.normal(size=N_STEPS)
frame = pd.DataFrame(features, columns=columns)
frame["responder_lag"] = np.r_[0.0, responder[:-1]]  # known at each step
X, y = make_forecast_frame(frame, "responder_lag", horizon=1)
train = np.arange(len(X)) < int(0.75 * len(X))

settings = {"lookback": 16, "patch_len": 8, "d_model": 32, "n_heads": 4,
            "d_ff": 64, "lr": 3e-3, "max_epochs": EPOCHS, "random_state": 0}
# feature_tags may describe more columns than X holds: all 79 rows are given.
candidates = {"no tags": None, "sum, from scratch": "sum",
              "learned, frozen": frozen,
              "learned, fine-tuned": pretrained(freeze=False)}
for name, tag_embedding in candidates.items():
    model = TimeXerRegressor(**settings, feature_tags=feature_tags,
                             tag_embedding=tag_embedding).fit(X[train], y[train])
    test = np.intersect1d(np.flatnonzero(~train), model.scored_rows(X, y))
    mse = np.mean((model.predict(X)[test] - y.to_numpy()[test]) ** 2)
    print(f"{name:<20} test MSE: {mse:.4f}")
    if tag_embedding is frozen:
        kept = np.array_equal(model.tag_embeddings_.to_numpy(),
                              frozen.embeddings_.to_numpy())
        print(f"frozen table unchanged by training: {kept}")
