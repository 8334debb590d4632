"""Forecast ETTh1's oil temperature with TimeXer, with and without tags.

ETTh1's six load series are tagged by level (High, Middle, Low) and kind
(Useful, Useless). Plain TimeXer sees them as an unordered set of exogenous
series; with ``feature_tags`` each series' variate token also carries its
learned tag embedding.
"""

import os

import numpy as np

from sktagembed import TimeXerRegressor, make_forecast_frame
from sktagembed.datasets import load_etth1

FAST = bool(os.environ.get("SKTAGEMBED_EXAMPLES_FAST"))
N_ROWS, EPOCHS, LOOKBACK = (500, 1, 32) if FAST else (6000, 5, 96)

frame, tags = load_etth1()
frame = frame.iloc[-N_ROWS:]
print(tags.astype(int))

# Standardise with the statistics of the training part (the first 80%).
n_train = int(0.8 * len(frame))
frame = (frame - frame.iloc[:n_train].mean()) / frame.iloc[:n_train].std()

X, y = make_forecast_frame(frame, "OT", horizon=24)
train = np.arange(len(X)) < n_train - 24  # targets inside the training part
test = np.arange(len(X)) >= n_train

for method in (None, "sum", "attention"):
    model = TimeXerRegressor(
        LOOKBACK, patch_len=16, d_model=32, n_heads=4, d_ff=64, lr=1e-3,
        batch_size=64, max_epochs=EPOCHS, feature_tags=tags, tag_embedding=method,
        random_state=0,
    ).fit(X[train], y[train])
    pred = model.predict(X)[test]  # windows read the past rows of X only
    mse = np.mean((pred - y.to_numpy()[test]) ** 2)
    print(f"tag_embedding={method!s:<10} test MSE (standardised OT): {mse:.4f}")

print(model.tag_embeddings_.round(3))
