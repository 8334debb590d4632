"""Where the point error of the fev EPF forecasts comes from.

On ``fev_epf.py``'s windows (``--split dev`` by default: the 20 days before
the test windows, so that nothing here is chosen on the test span), train
``fev_epf.TIMEXER`` (with the market's changes) twice: for the nine deciles
(the benchmark's model, its median the point forecast) and as a point model
on the squared error (``quantiles=None``). Print each one's MASE (the mean
absolute error over the seasonal scale, as fev-bench scores it):

- per step of the horizon, in blocks of six hours;
- on the calm and the volatile half of the windows (split at the median of
  each window's mean absolute change of its 24 prices from the day before).

Run: ``python benchmarks/fev_diagnose.py [--market NP] [--seed 0]
[--split dev] [--threads 1]``
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
import torch
from _markets import DATA_DIR, load_market
from fev_epf import HORIZON, LEVELS, MARKET_TIMEXER, TIMEXER, cutoffs, visible_rows

from sktagembed import TimeXerRegressor, make_forecast_frame

BLOCK = 6


def errors(price: np.ndarray, windows: list[int], medians: list[np.ndarray]
           ) -> tuple[np.ndarray, np.ndarray]:
    """Absolute errors over the seasonal scale, (n_windows, horizon), and
    each window's mean absolute change from the day before."""
    scaled, changes = [], []
    for cutoff, median in zip(windows, medians, strict=True):
        past, truth = price[:cutoff], price[cutoff:cutoff + HORIZON]
        scale = np.mean(np.abs(past[24:] - past[:-24]))
        scaled.append(np.abs(truth - median) / scale)
        changes.append(np.mean(np.abs(truth - price[cutoff - 24:cutoff])))
    return np.array(scaled), np.array(changes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--market", default="NP", choices=["NP", "PJM"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--split", choices=["test", "dev"], default="dev")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    frame = load_market(args.market, DATA_DIR).asfreq("h")
    price = frame["OT"].to_numpy()
    windows = cutoffs(len(frame), args.split)
    covariates = [c for c in frame.columns if c != "OT"]
    settings = {**TIMEXER, **MARKET_TIMEXER[args.market]}
    X, y = make_forecast_frame(frame.iloc[:windows[0]], "OT", HORIZON,
                               future_covariates=covariates)
    rows = {}
    for name, quantiles in [("deciles, median", LEVELS),
                            ("point (squared error)", None)]:
        # The point head has no levels to weigh.
        weight = settings.get("median_weight", 1.0) if quantiles else 1.0
        model = TimeXerRegressor(**{**settings, "median_weight": weight},
                                 future_covariates=covariates,
                                 quantiles=quantiles, random_state=args.seed)
        model.fit(X, y)
        medians = [model.forecast(visible_rows(frame, c)[model.feature_names_in_])
                   ["prediction"].to_numpy() for c in windows]
        scaled, change = errors(price, windows, medians)
        calm = change <= np.median(change)
        row = {f"steps {s + 1}-{s + BLOCK}": scaled[:, s:s + BLOCK].mean()
               for s in range(0, HORIZON, BLOCK)}
        row.update({"calm half": scaled[calm].mean(),
                    "volatile half": scaled[~calm].mean(),
                    "MASE": scaled.mean()})
        rows[name] = row
        print(name, {k: round(v, 3) for k, v in row.items()}, flush=True)
    print(f"\n{args.market}, {args.split} windows, seed {args.seed}: MASE by part")
    print(pd.DataFrame(rows).T.to_string(float_format="%.3f"))


if __name__ == "__main__":
    main()
