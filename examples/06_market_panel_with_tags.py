"""A Jane Street-shaped panel: feature tags, series tags, sample weights and
missing values in one forecaster.

The real 2024 tag table (79 anonymised market features x 17 boolean tags) is
read from ``../shared/data`` (competition data: never copied into this
project); without it the example says so and stops. The panel is generated
in its shape: symbols x time steps x 79 features, about 10% of the values
missing, a weight per row, and a responder whose dependence on each feature
is set by the feature's tags, plus a level set by the symbol's sector. It is
scored as the competition scores, with the weighted R^2
``1 - sum(w (y - yhat)^2) / sum(w y^2)``.
"""

import os
from pathlib import Path

import numpy as np
import pandas as pd

from sktagembed import TimeXerRegressor, make_forecast_frame

FEATURES = (Path(__file__).resolve().parents[1].parent / "shared" / "data"
            / "jane_street_2024_features.csv")
FAST = bool(os.environ.get("SKTAGEMBED_EXAMPLES_FAST"))
N_SYMBOLS, N_STEPS, EPOCHS = (4, 120, 1) if FAST else (16, 600, 6)

if not FEATURES.exists():
    print(f"skipped: the Jane Street tag table is not at {FEATURES}")
    raise SystemExit(0)

feature_tags = pd.read_csv(FEATURES, index_col="feature")  # 79 x 17 booleans
rng = np.random.default_rng(0)
# Each tag has an effect; a feature's weight in the responder is its tags' sum.
feature_weight = feature_tags.to_numpy(float) @ rng.normal(scale=0.1, size=17)
sectors = ["energy", "finance", "tech", "health"]
symbol_tags = pd.DataFrame({"sector": [sectors[s % 4] for s in range(N_SYMBOLS)]},
                           index=pd.Index(range(N_SYMBOLS), name="symbol_id"))
sector_level = {"energy": 0.5, "finance": -0.5, "tech": 1.0, "health": 0.0}

frames = []
for symbol, sector in symbol_tags["sector"].items():
    features = rng.normal(size=(N_STEPS, len(feature_tags)))
    responder = (features @ feature_weight + sector_level[sector]
                 + 0.3 * rng.normal(size=N_STEPS))
    frame = pd.DataFrame(features, columns=feature_tags.index)
    frame["symbol_id"] = symbol
    frame["weight"] = rng.uniform(0.5, 3.0, size=N_STEPS)
    frame["responder_lag"] = np.r_[0.0, responder[:-1]]  # known at each step
    frames.append(frame)
panel = pd.concat(frames, ignore_index=True)
holes = rng.random((len(panel), len(feature_tags))) < 0.1  # ~10% missing
panel[feature_tags.index] = panel[feature_tags.index].mask(holes)

# The responder of the next step: the endogenous series' own future.
X, y = make_forecast_frame(panel.drop(columns="weight"), "responder_lag", 1,
                           group_column="symbol_id")
weight = panel.loc[X.index, "weight"].to_numpy()
step = X.groupby("symbol_id").cumcount().to_numpy()
train = step < int(0.75 * N_STEPS)

model = TimeXerRegressor(
    lookback=16, patch_len=8, d_model=64, n_heads=4, d_ff=128,
    group_column="symbol_id", feature_tags=feature_tags, series_tags=symbol_tags,
    tag_embedding="attention", max_epochs=EPOCHS, random_state=0,
)
model.fit(X[train], y[train], sample_weight=weight[train])

test = np.intersect1d(np.flatnonzero(~train), model.scored_rows(X, y))
truth, pred, w = y.to_numpy()[test], model.predict(X)[test], weight[test]
r2 = 1 - np.sum(w * (truth - pred) ** 2) / np.sum(w * truth ** 2)
print(f"{N_SYMBOLS} symbols x {N_STEPS} steps x {len(feature_tags)} features, "
      f"{holes.mean():.0%} of feature values missing")
print(f"weighted R^2 on the last quarter of every symbol: {r2:.3f}")
print(model.tag_embeddings_.iloc[:3, :4].round(3))
