"""Out of the box against the sanity floor: default TimeXer vs a ridge regression.

On the last 9,000 rows of each electricity-price market (the first 7,000 to
train, the rest to test), standardised with the training rows' statistics,
look-back 168, horizon 24, patch 24 and every other parameter at its default,
``TimeXerRegressor`` must beat ``Ridge(1.0)`` on the flattened look-back
window (the 168 x 3 values of a row's window). Both see the same windows; the
test forecasts read the rows before them as history. Prints the test MSE of
each (TimeXer over ``--seeds``) and the ratio, and that of the same ridge on
windows normalised as TimeXer normalises them (each variable by its window's
mean and standard deviation, the forecast de-normalised with the target's):
the linear model TimeXer's instance normalisation allows, so the gap between
the two ridges is what that normalisation costs a linear model on these rows.

``--offset 2000`` moves the 9,000 rows 2,000 rows back, away from the test
rows, to choose settings on; several offsets score several spans and end
with each market's mean ratio over them and the number of spans on which
TimeXer beats the ridge (``--offset 2000 4000 ... 20000`` with ``--seeds 0``
spans the two years before the test rows). ``--set KEY=VALUE`` changes a
parameter from its default (``--set linear_skip=False`` is the model before
the linear skip; ``--set quantiles=None`` the point model trained on the
squared error, the earlier default; with quantiles, the default
nine deciles or others, the median is scored).

Run: ``python benchmarks/defaults_vs_ridge.py [--market NP PJM] [--seeds 0 1 2]
[--threads 2] [--offset 0 ...] [--set KEY=VALUE ...]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import torch
from _markets import load_market
from _settings import add_set_argument, parsed_settings
from sklearn.linear_model import Ridge

from sktagembed import TimeXerRegressor, make_forecast_frame

LOOKBACK, HORIZON, N_ROWS, N_TRAIN = 168, 24, 9000, 7000


def market_frame(name: str, offset: int = 0) -> pd.DataFrame:
    """The ``N_ROWS`` rows ending ``offset`` rows before the end, standardised
    with their first ``N_TRAIN`` rows' statistics."""
    frame = load_market(name)
    frame = frame.iloc[len(frame) - N_ROWS - offset:len(frame) - offset]
    head = frame.iloc[:N_TRAIN]
    return (frame - head.mean()) / head.std()


def windows_of(X: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """The look-back window ending at each row, ``(n_rows, LOOKBACK, n_vars)``."""
    return X.to_numpy()[rows[:, None] + np.arange(1 - LOOKBACK, 1)]


def flat_windows(X: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    return windows_of(X, rows).reshape(len(rows), -1)


def normalised_windows(X: pd.DataFrame, rows: np.ndarray, target: str
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Windows normalised per variable as TimeXer does (population standard
    deviation, 1e-5 added to the variance), flattened, with the target
    column's window mean and standard deviation, each of shape (n_rows, 1)."""
    windows = windows_of(X, rows)
    mean = windows.mean(axis=1, keepdims=True)
    std = np.sqrt(windows.var(axis=1, keepdims=True) + 1e-5)
    column = X.columns.get_loc(target)
    return (((windows - mean) / std).reshape(len(rows), -1),
            mean[:, 0, column:column + 1], std[:, 0, column:column + 1])


def run(name: str, seeds: list[int], offset: int = 0,
        params: dict | None = None) -> list[dict]:
    X, y = make_forecast_frame(market_frame(name, offset), "OT", HORIZON)
    target = y.to_numpy()
    position = np.arange(len(X))
    train = position + HORIZON < N_TRAIN
    test = np.flatnonzero(position >= N_TRAIN)
    full_train = np.flatnonzero(train & (position >= LOOKBACK - 1))
    ridge = Ridge(1.0).fit(flat_windows(X, full_train), target[full_train])
    ridge_mse = float(np.mean((ridge.predict(flat_windows(X, test))
                               - target[test]) ** 2))
    rows = [{"market": name, "offset": offset, "model": "Ridge(1.0)",
             "test MSE": ridge_mse, "ratio": 1.0, "fit s": None}]
    windows, mean, std = normalised_windows(X, full_train, "OT")
    normalised = Ridge(1.0).fit(windows, (target[full_train] - mean) / std)
    windows, mean, std = normalised_windows(X, test, "OT")
    mse = float(np.mean((normalised.predict(windows) * std + mean
                         - target[test]) ** 2))
    rows.append({"market": name, "offset": offset,
                 "model": "Ridge(1.0), normalised windows",
                 "test MSE": mse, "ratio": mse / ridge_mse, "fit s": None})
    label = ", ".join(f"{k}={v}" for k, v in (params or {}).items()) or "defaults"
    for seed in seeds:
        start = time.perf_counter()
        model = TimeXerRegressor(LOOKBACK, patch_len=24, random_state=seed,
                                 **(params or {}))
        model.fit(X[train], y[train])
        seconds = time.perf_counter() - start
        mse = float(np.mean((model.predict(X)[test] - target[test]) ** 2))
        rows.append({"market": name, "offset": offset,
                     "model": f"TimeXer {label}, seed {seed}",
                     "test MSE": mse, "ratio": mse / ridge_mse,
                     "fit s": round(seconds), "epochs": len(model.net_.history)})
        print(pd.DataFrame(rows[-1:]).to_string(index=False, header=False),
              flush=True)
    return rows


def market_arguments(description: str, settings: bool = False
                     ) -> argparse.Namespace:
    """``--market``, ``--seeds`` and ``--threads`` (applied to torch); with
    ``settings``, also ``--offset`` and ``--set`` (parsed into a dict)."""
    parser = argparse.ArgumentParser(description=description)
    if settings:
        parser.add_argument("--offset", type=int, nargs="+", default=[0],
                            help="end the rows this many rows before the data's "
                                 "end (several: one span each)")
        add_set_argument(parser, "parameters other than the defaults")
    parser.add_argument("--market", nargs="+", default=["NP", "PJM"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if settings:
        args.set = parsed_settings(parser, args.set)
    if args.threads:
        torch.set_num_threads(args.threads)
    return args


def main() -> None:
    args = market_arguments(__doc__.splitlines()[0], settings=True)
    rows = pd.DataFrame([row for name in args.market for offset in args.offset
                         for row in run(name, args.seeds, offset, args.set)])
    print(rows.to_string(index=False, float_format="%.4f"))
    if len(args.offset) > 1:
        print(span_summary(rows).to_string(float_format="%.3f"))


def span_summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Per market: TimeXer's mean ratio to the ridge over the spans (each
    span's ratio averaged over the seeds first) and the spans it wins."""
    timexer = rows[rows["model"].str.startswith("TimeXer")]
    per_span = timexer.groupby(["market", "offset"])["ratio"].mean()
    return per_span.groupby("market").agg(
        spans="size", mean_ratio="mean",
        spans_won=lambda ratios: int((ratios < 1).sum()))


if __name__ == "__main__":
    main()
