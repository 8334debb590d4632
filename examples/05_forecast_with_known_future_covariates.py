"""Forecast past the end of the data, with an interval and known-future covariates.

ETTh1's oil temperature ``OT`` follows the transformer's load and the time of
day. The calendar is known in advance, so the hour and weekday of the next 24
hours go in as known-future covariates: each becomes one TimeXer variate
token read over the look-back *and* the horizon. The model is trained, as
by default, with the pinball loss on the nine deciles 0.1 ... 0.9 (its
forecast is the median, the outer two levels make a 10-90% interval),
checked on a held-out month (full windows only), then asked for the 24
hours after the data.
"""

import os

import numpy as np
import pandas as pd

from sktagembed import TimeXerRegressor, make_forecast_frame
from sktagembed.datasets import load_etth1

FAST = bool(os.environ.get("SKTAGEMBED_EXAMPLES_FAST"))
N_ROWS, EPOCHS, LOOKBACK = (900, 1, 48) if FAST else (8000, 8, 168)
HORIZON = 24

frame, _ = load_etth1()
frame = frame.iloc[-N_ROWS:].copy()
# The calendar of every row, known in advance; one more day of it past the end.
future_hours = pd.date_range(frame.index[-1], periods=HORIZON + 1, freq="h")[1:]
frame = pd.concat([frame, pd.DataFrame(index=future_hours)])
frame["hour"] = np.sin(2 * np.pi * frame.index.hour / 24)
frame["weekday"] = frame.index.day_of_week / 6
calendar = ["hour", "weekday"]

X, y = make_forecast_frame(frame, "OT", HORIZON, future_covariates=calendar)
known = np.flatnonzero(y.notna().all(axis=1))  # rows whose 24 hours are known
n_test = min(24 * 30, len(known) // 5)
test = known[-n_test:]
train = np.arange(len(X)) < test[0] - HORIZON  # targets before the test month
model = TimeXerRegressor(LOOKBACK, patch_len=24, d_model=64, n_heads=4, d_ff=128,
                         future_covariates=calendar, max_epochs=EPOCHS,
                         random_state=0)
model.fit(X[train], y[train])

# The held-out month: windows read the rows before it as history.
truth = y.to_numpy()[test]
band = model.predict_quantiles(X)[test]  # levels 0.1 ... 0.9
coverage = np.mean((band[..., 0] <= truth) & (truth <= band[..., -1]))
mae = np.mean(np.abs(model.predict(X)[test] - truth))
print(f"held-out month: MAE {mae:.2f} degrees, 10-90% interval holds "
      f"{coverage:.0%} of the truths")

forecast = model.forecast(frame)
print(forecast.iloc[[0, 1, 2, -1]].to_string(index=False, float_format="%.2f"))
