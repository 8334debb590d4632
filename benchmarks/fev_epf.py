"""fev-bench's electricity-price tasks (``epf_np``, ``epf_pjm``) in this project.

The protocol of ``../shared/docs/EVALUATION.md`` section 2: horizon 24, 20
windows of step 24 over the last 480 hours of each market's CSV. For window
``i`` the cutoff is row ``n - 480 + 24 i``; a model sees every row before the
cutoff (price and the two day-ahead covariates) and the covariates of the 24
hours it forecasts. Scores per window, with ``a`` the mean absolute seasonal
(24 h) difference of the price over the window's whole past:

- SQL: mean over levels 0.1 .. 0.9 and the 24 hours of the quantile loss
  ``2 |(y - q)(1{y <= q} - level)|``, divided by ``a`` (the headline);
- MASE: mean ``|y - median|`` / ``a``;
- WQL, WAPE: the same losses divided by ``max(mean |y|, 1)``;
- coverage: share of the truths inside the 10-90% interval;

each averaged plainly over the 20 windows (spread: their standard deviation).

Models:

- ``naive``: fev's Seasonal Naive (the last day again; Gaussian quantiles from
  the seasonal differences of the last 1000 points), which must reproduce the
  published SQL and MASE to 1%: the check of this harness;
- ``ridge``: ridge regression of the 24 prices on the last 168 prices and the
  horizon's 48 covariate values, fitted on every window before the first
  cutoff (a point model: SQL equals MASE);
- ``timexer``: ``TimeXerRegressor`` with the two day-ahead series as
  known-future covariates and quantile levels 0.1 .. 0.9, trained once on the
  rows before the first cutoff, each window forecast with ``forecast`` from
  its own recent history; one model per seed, and the seeds' quantiles
  averaged (``timexer ensemble``). The ensemble has as many seeds as about
  45 minutes of training allow on the 2-core machine (``ENSEMBLE_SEEDS``):
  ten for NP (about 4 minutes a seed at one thread), six for PJM (about 6
  at two threads, twice the width).

The settings of ``TIMEXER`` and ``MARKET_TIMEXER`` were chosen with
``--split dev`` (the same protocol on the 20 days before the first test
cutoff, trained on the rows before those) and fixed before the test windows
were scored; see ``docs/forecasting.rst``. The ensemble's size was not: the
test windows were first scored with three seeds (0-2, the script's default
then; SQL NP 0.614, PJM 0.362), the figure fixed in advance. The sizes of
``ENSEMBLE_SEEDS`` (NP ten, PJM six), from the training budget, were set
after those test scores were known, so the ten-seed NP and six-seed PJM
figures are measured after the fact.

Run: ``python benchmarks/fev_epf.py [--market NP PJM] [--models naive ridge
timexer] [--seeds 0 1 2] [--split test|dev] [--threads 2]
[--forecasts-dir DIR]``; without ``--seeds``, the seeds of
``ENSEMBLE_SEEDS``. With ``--forecasts-dir``, each seed's forecasts are kept
in ``DIR`` and a seed already kept there (same market, windows and settings)
is read back rather than trained: on a machine of two cores, run the seeds
in two one-thread processes, then once more with every seed to score the
ensemble. The key does not cover the package's code: empty ``DIR`` after
changing it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from _markets import DATA_DIR, load_market
from _settings import add_set_argument, parsed_settings
from scipy.stats import norm
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktagembed import TimeXerRegressor, make_forecast_frame

HORIZON, N_WINDOWS, STEP = 24, 20, 24
LEVELS = [round(0.1 * k, 1) for k in range(1, 10)]

#: fev-bench's published results (SQL, MASE), from EVALUATION.md.
PUBLISHED = {
    "NP": {"Seasonal Naive": (1.529848, 1.761304), "Chronos-2": (0.658, 0.850),
           "TiRex-2": (0.612, 0.796), "TabPFN-TS-3": (0.633, 0.783),
           "PatchTST": (0.635, 0.806), "TFT": (0.690, 0.859)},
    "PJM": {"Seasonal Naive": (0.515272, 0.581168), "Chronos-2": (0.382, 0.472),
            "TiRex-2": (0.375, 0.470), "TabPFN-TS-3": (0.382, 0.472),
            "PatchTST": (0.369, 0.465), "TFT": (0.346, 0.428)},
}

#: TimeXer's settings, chosen on the dev windows (--split dev).
TIMEXER = {"lookback": 168, "patch_len": 24, "d_model": 128, "n_heads": 8,
           "e_layers": 2, "d_ff": 256, "dropout": 0.1, "batch_size": 64,
           "lr": 1e-3, "lr_schedule": "cosine", "max_epochs": 10, "patience": 3,
           # Dev, every row trained (validation_fraction=0, no early stop):
           # SQL NP 0.667 / 0.689 against 0.626 / 0.673 (seeds 0 / 1), PJM
           # 0.431 / 0.437 against 0.439 / 0.429.
           "validation_fraction": 0.1, "calendar": True,
           # Every window each epoch: the settings the figures were measured
           # with (the default caps an epoch at 500 batches since).
           "steps_per_epoch": None,
           # Dev, seed 0, with the skip: SQL NP 0.666 (0.622 without), PJM
           # 0.464 (0.432).
           "linear_skip": False,
           # Chosen on dev with an experiment switch that computed the same
           # loss in another float order: SQL / MASE with median_weight 1 ->
           # 4, NP seeds 0-2 0.622 / 0.786 -> 0.611 / 0.753, 0.661 / 0.819 ->
           # 0.666 / 0.788, 0.657 / 0.799 -> 0.644 / 0.765; PJM seed 0 0.446 /
           # 0.612 -> 0.437 / 0.574. Rerun with this parameter after the
           # test windows: NP 0.626 / 0.788, 0.673 / 0.839, 0.643 / 0.792
           # (no gain over 1); PJM seeds 0-3 0.439 / 0.583, 0.429 / 0.554,
           # 0.433 / 0.570, 0.432 / 0.564 against 1's 0.446 / 0.612, 0.448 /
           # 0.597, 0.439 / 0.592, 0.434 / 0.598. On PJM's test windows it
           # does not pay (README); see docs, "A heavier median".
           "median_weight": 4.0}

#: Per-market changes to ``TIMEXER``, chosen on that market's dev windows
#: (seed 0; PJM: SQL 0.444 with ``TIMEXER``, 0.429 with these, 0.432 with
#: max_epochs=20, 0.443 with weight_decay=0.1, 0.445 with e_layers=3, 0.455
#: with lookback=336; over seeds 0-2 at one thread, 0.444 / 0.442 / 0.442,
#: ensemble 0.436, with ``TIMEXER`` and 0.429 / 0.430 / 0.443, ensemble
#: 0.427, with these).
MARKET_TIMEXER = {"NP": {}, "PJM": {"d_model": 256, "d_ff": 512}}

#: Seeds of the ensemble: as many as about 45 training minutes allow (60
#: minutes a market). Set after the three-seed ensemble had been scored on
#: the test windows (see the module docstring).
ENSEMBLE_SEEDS = {"NP": list(range(10)), "PJM": list(range(6))}


def cutoffs(n_rows: int, split: str) -> list[int]:
    """Rows where the 20 windows start: the test span, or the 20 days before
    it (dev)."""
    first = n_rows - N_WINDOWS * STEP * (2 if split == "dev" else 1)
    return [first + STEP * i for i in range(N_WINDOWS)]


def scores(price: np.ndarray, cutoff: int, quantiles: np.ndarray) -> dict:
    """The metrics of one window; ``quantiles`` is (24, 9), LEVELS order."""
    past, truth = price[:cutoff], price[cutoff:cutoff + HORIZON]
    scale = np.mean(np.abs(past[24:] - past[:-24]))
    levels = np.asarray(LEVELS)
    loss = 2 * np.abs((truth[:, None] - quantiles)
                      * ((truth[:, None] <= quantiles) - levels))
    median = quantiles[:, LEVELS.index(0.5)]
    size = max(np.mean(np.abs(truth)), 1.0)
    return {"SQL": loss.mean() / scale,
            "MASE": np.mean(np.abs(truth - median)) / scale,
            "WQL": loss.mean(axis=0).mean() / size,
            "WAPE": np.mean(np.abs(truth - median)) / size,
            "coverage": np.mean((quantiles[:, 0] <= truth)
                                & (truth <= quantiles[:, -1]))}


def seasonal_naive(frame: pd.DataFrame, cutoff: int) -> np.ndarray:
    last = frame["OT"].to_numpy()[:cutoff][-1000:]
    point = last[-HORIZON:]
    sigma = np.sqrt(np.sum((last[24:] - last[:-24]) ** 2) / (len(last) - 24))
    return point[:, None] + norm.ppf(LEVELS)[None, :] * sigma


def ridge_windows(frame: pd.DataFrame, ends: np.ndarray):
    """Features (last 168 prices, the horizon's covariates) and targets of
    the forecasts made at rows ``ends``."""
    price = frame["OT"].to_numpy()
    covariates = frame.drop(columns="OT").to_numpy()
    lags = price[ends[:, None] + np.arange(-167, 1)]
    future = covariates[ends[:, None] + np.arange(1, HORIZON + 1)]
    features = np.hstack([lags, future.reshape(len(ends), -1)])
    return features, price[ends[:, None] + np.arange(1, HORIZON + 1)]


def run_ridge(frame: pd.DataFrame, windows: list[int]):
    features, target = ridge_windows(frame, np.arange(167, windows[0] - HORIZON))
    model = make_pipeline(StandardScaler(), Ridge(alpha=1.0)).fit(features, target)
    for cutoff in windows:
        point = model.predict(ridge_windows(frame, np.array([cutoff - 1]))[0])[0]
        yield np.repeat(point[:, None], len(LEVELS), axis=1)


def train_timexer(frame: pd.DataFrame, first_cutoff: int, seed: int,
                  covariates: list[str], settings: dict
                  ) -> tuple[TimeXerRegressor, float]:
    X, y = make_forecast_frame(frame.iloc[:first_cutoff], "OT", HORIZON,
                               future_covariates=covariates)
    model = TimeXerRegressor(**settings, future_covariates=covariates,
                             quantiles=LEVELS, random_state=seed)
    start = time.perf_counter()
    model.fit(X, y)
    return model, (time.perf_counter() - start) / 60


def visible_rows(frame: pd.DataFrame, cutoff: int) -> pd.DataFrame:
    """What a forecast at ``cutoff`` may read: the window's history, and its
    horizon with the covariates only (the price missing)."""
    visible = frame.iloc[:cutoff + HORIZON].copy()
    visible.iloc[cutoff:, visible.columns.get_loc("OT")] = np.nan
    return visible


def timexer_quantiles(model: TimeXerRegressor, frame: pd.DataFrame,
                      cutoff: int) -> np.ndarray:
    table = model.forecast(visible_rows(frame, cutoff)[model.feature_names_in_])
    return table[[str(level) for level in LEVELS]].to_numpy()


def kept_forecasts_path(directory: Path, name: str, split: str, seed: int,
                        settings: dict) -> Path:
    """Where ``--forecasts-dir`` keeps one seed's forecasts: the file name
    carries the market, the windows, the seed and a digest of the settings."""
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str)
                            .encode()).hexdigest()[:12]
    return directory / f"{name}-{split}-seed{seed}-{digest}.npz"


def timexer_forecasts(frame: pd.DataFrame, windows: list[int], seed: int,
                      covariates: list[str], settings: dict,
                      kept: Path | None) -> tuple[np.ndarray, float, int]:
    """One seed's forecasts of every window (windows, 24, levels), its
    training minutes and epochs: read from ``kept`` if there, else trained
    (and written to ``kept`` when given)."""
    if kept is not None and kept.exists():
        with np.load(kept) as stored:
            return stored["forecasts"], float(stored["minutes"]), int(stored["epochs"])
    model, minutes = train_timexer(frame, windows[0], seed, covariates, settings)
    forecasts = np.stack([timexer_quantiles(model, frame, c) for c in windows])
    epochs = len(model.net_.history)
    if kept is not None:
        kept.parent.mkdir(parents=True, exist_ok=True)
        np.savez(kept, forecasts=forecasts, minutes=minutes, epochs=epochs)
    return forecasts, minutes, epochs


def evaluate(name: str, args: argparse.Namespace) -> pd.DataFrame:
    frame = load_market(name, args.data_dir).asfreq("h")
    price = frame["OT"].to_numpy()
    windows = cutoffs(len(frame), args.split)
    covariates = [c for c in frame.columns if c != "OT"]
    rows = []

    def record(model: str, forecasts: list[np.ndarray], minutes=None, **extra):
        per_window = pd.DataFrame([scores(price, c, q)
                                   for c, q in zip(windows, forecasts, strict=True)])
        row = {"market": name, "model": model, **per_window.mean().to_dict(),
               "SQL sd": per_window["SQL"].std(), "train min": minutes, **extra}
        rows.append(row)
        print(pd.DataFrame([row]).to_string(index=False, header=len(rows) == 1,
                                            float_format="%.3f"), flush=True)

    if "naive" in args.models:
        record("Seasonal Naive", [seasonal_naive(frame, c) for c in windows])
    if "ridge" in args.models:
        start = time.perf_counter()
        record("ridge", list(run_ridge(frame, windows)),
               (time.perf_counter() - start) / 60)
    if "timexer" in args.models:
        ensemble, total = [], 0.0
        seeds = args.seeds or ENSEMBLE_SEEDS[name]
        settings = {**TIMEXER, **MARKET_TIMEXER[name], **args.set}
        for seed in seeds:
            kept = (None if args.forecasts_dir is None else kept_forecasts_path(
                args.forecasts_dir, name, args.split, seed, settings))
            forecasts, minutes, epochs = timexer_forecasts(
                frame, windows, seed, covariates, settings, kept)
            total += minutes
            ensemble.append(forecasts)
            record(f"timexer seed {seed}", list(forecasts), minutes, epochs=epochs)
        if len(seeds) > 1:
            record("timexer ensemble", list(np.mean(ensemble, axis=0)), total)
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--market", nargs="+", default=["NP", "PJM"],
                        choices=list(PUBLISHED))
    parser.add_argument("--models", nargs="+", default=["naive", "ridge", "timexer"],
                        choices=["naive", "ridge", "timexer"])
    parser.add_argument("--seeds", nargs="+", type=int, default=None,
                        help="default: ENSEMBLE_SEEDS of each market")
    parser.add_argument("--split", choices=["test", "dev"], default="test")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--forecasts-dir", type=Path, default=None,
                        help="keep each seed's forecasts here and reuse those "
                             "already kept (see the module docstring)")
    add_set_argument(parser, "override TIMEXER settings, for --split dev trials "
                             "(e.g. --set lookback=336 max_epochs=20)")
    args = parser.parse_args()
    args.set = parsed_settings(parser, args.set)
    if args.set and args.split == "test":
        parser.error("--set is for --split dev: the test windows are scored with "
                     "the settings fixed in TIMEXER")
    if args.threads:
        torch.set_num_threads(args.threads)
    results = pd.concat([evaluate(name, args) for name in args.market])
    print(f"\n{args.split} windows; SQL, MASE, WQL, WAPE and coverage averaged "
          "over the 20 windows, SQL sd their spread")
    print(results.to_string(index=False, float_format="%.3f"))
    if args.split == "test":
        published = pd.DataFrame(
            [{"market": m, "model": k, "SQL": v[0], "MASE": v[1]}
             for m in args.market for k, v in PUBLISHED[m].items()])
        print("\nPublished (fev-bench):")
        print(published.to_string(index=False, float_format="%.3f"))


if __name__ == "__main__":
    main()
