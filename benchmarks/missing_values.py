"""Missing values on real data: how much a forecast loses when values are gone.

On the last 9,000 rows of each electricity-price market (the set-up of
``defaults_vs_ridge.py``: 7,000 rows to train, the rest to test, standardised,
look-back 168, horizon 24, patch 24, without the linear skip and the
calendar, point forecasts on the squared error (``quantiles=None``), as its
recorded figures were measured), a
share of the exogenous values or of the prices is removed at random from the
whole table (the same cells for every seed) before the windows are made.
``TimeXerRegressor`` masks them (no imputation); training targets built from
removed prices are unknown and never trained on; the test MSE is measured
against the complete prices. Prints each condition's test MSE over ``--seeds``
and its ratio to the complete data's, seed by seed.

This is a cheaper stand-in for the paper protocol's missing-value runs
(``reproduce_timexer_epf.py --drop-exogenous 0.1``: more than an hour per run
on the 2-core CPU), with several seeds instead of one.

Run: ``python benchmarks/missing_values.py [--market NP PJM] [--seeds 0 1 2]
[--threads 1]``
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from defaults_vs_ridge import (
    HORIZON,
    LOOKBACK,
    N_TRAIN,
    market_arguments,
    market_frame,
)

from sktagembed import TimeXerRegressor, make_forecast_frame

#: name -> (share of exogenous values removed, share of prices removed)
CONDITIONS = {"complete": (0.0, 0.0), "10% exogenous": (0.1, 0.0),
              "30% exogenous": (0.3, 0.0), "10% prices": (0.0, 0.1)}


def holey_frame(frame: pd.DataFrame, exogenous: float, price: float
                ) -> pd.DataFrame:
    holes = np.random.default_rng(12345).random(frame.shape)
    share = np.where(frame.columns == "OT", price, exogenous)
    return frame.mask(holes < share)


def run(name: str, seeds: list[int]) -> list[dict]:
    frame = market_frame(name)
    X_complete, y_complete = make_forecast_frame(frame, "OT", HORIZON)
    truth = y_complete.to_numpy()
    position = np.arange(len(X_complete))
    train = position + HORIZON < N_TRAIN
    test = np.flatnonzero(position >= N_TRAIN)
    rows = []
    for condition, (exogenous, price) in CONDITIONS.items():
        holey = holey_frame(frame, exogenous, price)
        X = holey.loc[X_complete.index, X_complete.columns]
        y = pd.DataFrame({f"OT+{k}": holey["OT"].shift(-k)
                          for k in range(1, HORIZON + 1)}).loc[X.index]
        for seed in seeds:
            start = time.perf_counter()
            # Without the skip and the calendar, on the squared error: the
            # settings its figures were measured with (all changed later as
            # defaults).
            model = TimeXerRegressor(LOOKBACK, patch_len=24, linear_skip=False,
                                     calendar=False, quantiles=None,
                                     random_state=seed)
            model.fit(X[train], y[train])
            mse = float(np.mean((model.predict(X)[test] - truth[test]) ** 2))
            rows.append({"market": name, "condition": condition, "seed": seed,
                         "test MSE": mse, "fit s": round(time.perf_counter() - start)})
            print(pd.DataFrame(rows[-1:]).to_string(index=False, header=False),
                  flush=True)
    return rows


def summary(results: pd.DataFrame) -> pd.DataFrame:
    complete = results[results["condition"] == "complete"].set_index(
        ["market", "seed"])["test MSE"]
    ratio = results["test MSE"] / pd.MultiIndex.from_frame(
        results[["market", "seed"]]).map(complete)
    results = results.assign(ratio=ratio.to_numpy())
    return results.groupby(["market", "condition"], sort=False).agg(
        MSE=("test MSE", "mean"), MSE_std=("test MSE", "std"),
        ratio=("ratio", "mean"), ratio_min=("ratio", "min"),
        ratio_max=("ratio", "max")).reset_index()


def main() -> None:
    args = market_arguments(__doc__.splitlines()[0])
    results = pd.DataFrame([row for name in args.market
                            for row in run(name, args.seeds)])
    print(summary(results).to_string(index=False, float_format="%.4f"))


if __name__ == "__main__":
    main()
