"""Cold start: forecasting a series never seen in training, from its tags.

A generated panel of hourly series: each series' price responds to a
known-future load forecast with a coefficient set by its tags (``sector``
and ``region``), plus a daily pattern and noise. The model is trained on
some series; others, with the same kinds of tags but never seen, are then
forecast. With ``series_tags`` the model knows from the tags how a new series
responds; without, it can only guess from the series' own history. Prints
the test MSE of the unseen series with and without series tags, over seeds,
and their ratio.

Both are the default ``TimeXerRegressor`` (the linear skip on, reading the
series tags when given) trained on the squared error (``quantiles=None``, as
its recorded figures were); the baseline is the same model without series
tags. ``--set linear_skip=False`` compares the two without the skip.

Run: ``python benchmarks/bench_cold_start.py [--seeds 0 1 2] [--threads 2]
[--set linear_skip=False]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import torch
from _settings import add_set_argument, parsed_settings

from sktagembed import TimeXerRegressor, make_forecast_frame

SECTORS = {"retail": -1.0, "industry": 0.5, "utility": 2.0}
REGIONS = {"north": 0.5, "south": -0.5}
HORIZON, N_STEPS = 12, 24 * 40


def make_panel(n_series: int, seed: int):
    rng = np.random.default_rng(seed)
    frames, tags = [], []
    for s in range(n_series):
        sector = list(SECTORS)[s % 3]
        region = list(REGIONS)[(s // 3) % 2]
        beta = SECTORS[sector] + REGIONS[region]
        hours = pd.date_range("2024-01-01", periods=N_STEPS, freq="h")
        load = np.sin(2 * np.pi * (hours.hour + rng.uniform(0, 24)) / 24) + \
            0.5 * rng.normal(size=N_STEPS)
        price = beta * load + 0.3 * np.sin(2 * np.pi * hours.hour / 24) + \
            0.2 * rng.normal(size=N_STEPS)
        frames.append(pd.DataFrame({"series": f"s{s}", "load": load,
                                    "price": price}, index=hours))
        tags.append({"series": f"s{s}", "sector": sector, "region": region})
    return pd.concat(frames), pd.DataFrame(tags).set_index("series")


def run(seed: int, settings: dict) -> dict:
    data, tags = make_panel(24, seed)
    X, y = make_forecast_frame(data, "price", HORIZON, group_column="series",
                               future_covariates=["load"])
    unseen = X["series"].isin([f"s{s}" for s in range(18, 24)]).to_numpy()
    base = {"lookback": 48, "patch_len": 12, "d_model": 64, "n_heads": 4,
            "calendar": False,
            "d_ff": 128, "group_column": "series", "future_covariates": ["load"],
            "max_epochs": 8, "random_state": seed,
            # The recorded figures were measured with the squared-error model.
            "quantiles": None,
            # and every window each epoch (513 batches; the default caps 500).
            "steps_per_epoch": None, **settings}
    out = {"seed": seed}
    for name, extra in [("without series tags", {}),
                        ("with series tags", {"series_tags": tags})]:
        start = time.perf_counter()
        model = TimeXerRegressor(**base, **extra).fit(X[~unseen], y[~unseen])
        X_new, y_new = X[unseen], y[unseen].to_numpy()
        rows = model.scored_rows(X_new, y_new)
        pred = model.predict(X_new)[rows]
        out[name] = float(np.mean((pred - y_new[rows]) ** 2))
        out[f"{name} fit s"] = round(time.perf_counter() - start)
    out["ratio"] = out["with series tags"] / out["without series tags"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--threads", type=int, default=None)
    add_set_argument(parser, "override a model setting of both models "
                             "(e.g. --set linear_skip=False)")
    args = parser.parse_args()
    settings = parsed_settings(parser, args.set)
    if args.threads:
        torch.set_num_threads(args.threads)
    rows = []
    for seed in args.seeds:
        rows.append(run(seed, settings))
        print(pd.DataFrame(rows[-1:]).to_string(index=False, float_format="%.4f"),
              flush=True)
    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format="%.4f"))
    print(f"mean ratio (with / without series tags): {table['ratio'].mean():.3f}")


if __name__ == "__main__":
    main()
