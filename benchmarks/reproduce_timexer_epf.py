"""Reproduce TimeXer's electricity-price forecasting (EPF) results.

The paper's protocol on NP and PJM (hourly; two exogenous day-ahead forecasts
and the price ``OT``): chronological 70/10/20 split, a ``StandardScaler`` fitted
on the training rows, look-back 168, horizon 24, MS mode, calendar tokens,
the paper's hyperparameters for each market (NP: 3 layers, d_model 512, d_ff 512,
batch 4; PJM: 3 layers, d_model 512, d_ff 2048, batch 16; patch 24, Adam 1e-4
for two epochs then halved every epoch, as the reference code, 10 epochs,
early stopping with patience 3), and MSE/MAE of the scaled price over every
test window. As in the paper, point forecasts trained on the squared error
(``quantiles=None``; the package's default trains quantiles). The exogenous
series are read over the look-back only, as in the paper (no known-future
covariates).

Missing values (``--drop-exogenous 0.1 --drop-price 0.1``): that share of
the exogenous values, or of the prices, is removed at random (the same cells
for every seed) from the whole table before the windows are made; the model
masks them, the training targets built from removed prices are unknown, and
the test MSE is measured against the complete prices.

The training windows are those of the first 80% of the rows; the last eighth of
them (the 10% validation block) is held out for early stopping.

Paper: NP MSE 0.236, PJM MSE 0.093. Floors of this project: NP <= 0.248,
PJM <= 0.098.

Run: ``python benchmarks/reproduce_timexer_epf.py [--market NP|PJM|all]
[--max-epochs 10] [--threads 1] [--data-dir ../shared/data] [--seed 2021]
[--drop-exogenous 0.1] [--drop-price 0.1]``; a smoke test:
``--limit-rows 3000 --max-epochs 1``
(tens of minutes per market on a 2-core CPU; minutes on a GPU).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from _markets import DATA_DIR, load_market
from sklearn.preprocessing import StandardScaler

from sktagembed import TimeXerRegressor, make_forecast_frame

LOOKBACK, HORIZON = 168, 24
MARKETS = {
    "NP": {"config": {"e_layers": 3, "d_model": 512, "d_ff": 512,
                      "batch_size": 4},
           "paper_mse": 0.236, "floor_mse": 0.248},
    "PJM": {"config": {"e_layers": 3, "d_model": 512, "d_ff": 2048,
                       "batch_size": 16},
            "paper_mse": 0.093, "floor_mse": 0.098},
}


def run_market(name: str, args: argparse.Namespace) -> dict:
    frame = load_market(name, args.data_dir)
    frame = frame.iloc[:args.limit_rows] if args.limit_rows else frame
    n_rows = len(frame)
    n_train, n_test = int(n_rows * 0.7), int(n_rows * 0.2)
    n_valid = n_rows - n_train - n_test
    scaler = StandardScaler().fit(frame.iloc[:n_train])
    scaled = pd.DataFrame(scaler.transform(frame), index=frame.index,
                          columns=frame.columns).astype(np.float32)
    X, y = make_forecast_frame(scaled, "OT", HORIZON)
    truth_all = y.to_numpy()
    if args.drop_exogenous or args.drop_price:
        holes = np.random.default_rng(12345).random(scaled.shape)
        drop = np.where(scaled.columns == "OT", args.drop_price,
                        args.drop_exogenous)
        holey = scaled.mask(holes < drop)
        # The same rows as the complete table; targets of removed prices are
        # unknown (NaN), never trained on.
        X = holey.loc[X.index, X.columns]
        y = pd.DataFrame({f"OT+{k}": holey["OT"].shift(-k)
                          for k in range(1, HORIZON + 1)}).loc[X.index]
    position = np.arange(len(X))  # row t of X is row t of the series
    fit_rows = position < n_train + n_valid - HORIZON
    test_rows = position >= n_rows - n_test - 1

    spec = MARKETS[name]
    model = TimeXerRegressor(
        LOOKBACK, patch_len=24, n_heads=8, dropout=0.1, calendar=True,
        linear_skip=False, quantiles=None,  # TimeXer as published
        steps_per_epoch=None,  # every window each epoch, as the paper trains
        lr=1e-4, lr_schedule="halving", max_epochs=args.max_epochs, patience=3,
        validation_fraction=n_valid / (n_train + n_valid),
        device=args.device, precision=args.precision, random_state=args.seed,
        verbose=args.verbose,
        **spec["config"],
    )
    start = time.perf_counter()
    model.fit(X[fit_rows], y[fit_rows])
    fit_seconds = time.perf_counter() - start
    pred = model.predict(X)[test_rows]
    truth = truth_all[test_rows]
    return {
        "market": name,
        "dropped exo/price": f"{args.drop_exogenous:.0%}/{args.drop_price:.0%}",
        "precision": model.precision_,
        "seed": args.seed,
        "test windows": int(test_rows.sum()),
        "epochs": len(model.net_.history),
        "MSE": float(np.mean((pred - truth) ** 2)),
        "MAE": float(np.mean(np.abs(pred - truth))),
        "paper MSE": spec["paper_mse"],
        "floor": spec["floor_mse"],
        "fit s": round(fit_seconds),
        "device": str(model.net_.device),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--market", choices=[*MARKETS, "all"], default="all")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--max-epochs", type=int, default=10)
    parser.add_argument("--limit-rows", type=int, default=None,
                        help="use only the first rows (a smoke test)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--precision", default="float32",
                        choices=["float32", "bfloat16", "auto"])
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--drop-exogenous", type=float, default=0.0,
                        help="share of exogenous values removed at random")
    parser.add_argument("--drop-price", type=float, default=0.0,
                        help="share of prices removed at random")
    parser.add_argument("--verbose", type=int, default=1)
    parser.add_argument("--threads", type=int, default=None,
                        help="torch intra-op threads; 1 on a CPU shared with "
                        "other jobs (a busy core stalls multi-threaded steps)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    markets = list(MARKETS) if args.market == "all" else [args.market]
    results = pd.DataFrame([run_market(name, args) for name in markets])
    print(results.to_string(index=False))


if __name__ == "__main__":
    main()
