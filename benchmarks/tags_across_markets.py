"""One model across sources: NP and PJM as one panel, their covariates matched by tags.

The two electricity-price markets of the TimeXer paper each come with two
day-ahead forecasts under their own names: NP's ``Grid load forecast`` and
``Wind power forecast``, PJM's ``System load forecast`` and ``Zonal COMED
load foecast`` (sic). ``FEATURE_TAGS`` describes them: what is forecast
(``load``, ``wind``) and over what area (``system``, ``zone``), so NP's grid
load and PJM's system load share their tags. On fev-bench's protocol
(``fev_epf.py``: horizon 24, the 20 daily windows of the last 480 hours, the
nine deciles, SQL and MASE), per market:

- ``own``: the market's own model, as ``fev_epf.py`` trains it (its fixed
  settings, no tags): the strongest single-market model, the baseline;
- ``joint``: one model trained on both markets stacked as a panel
  (``group_column="market"``), the four covariates as columns, each missing
  (``NaN``, which the model masks) in the rows of the market that lacks it,
  with ``FEATURE_TAGS``; ``TIMEXER``'s settings as they are;
- ``joint, no tags``: the same panel without ``feature_tags`` (the four
  columns meet only by position);
- ``from NP`` / ``from PJM``: the joint panel's model trained on the other
  market's rows alone (this market's columns all missing in training, read
  through their tags at forecast time), forecasting this market without
  retraining;
- ``Seasonal Naive``: fev's, the floor.

No setting was chosen for this script: ``joint`` and the cross-market
models use ``fev_epf.TIMEXER`` unchanged, and ``own`` adds the per-market
changes that ``fev_epf.py`` chose on each market's dev windows.

Run: ``python benchmarks/tags_across_markets.py [--seeds 0] [--split test|dev]
[--models own joint "joint, no tags" cross] [--threads 1]``
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
import torch
from _markets import DATA_DIR, MARKET_NAMES, load_market
from fev_epf import (
    HORIZON,
    LEVELS,
    MARKET_TIMEXER,
    TIMEXER,
    cutoffs,
    scores,
    seasonal_naive,
    timexer_quantiles,
    train_timexer,
    visible_rows,
)

from sktagembed import TimeXerRegressor, make_forecast_frame

#: What each market's covariates forecast, and over what area.
FEATURE_TAGS = pd.DataFrame(
    {"forecast": ["load", "wind", "load", "load"],
     "area": ["system", "system", "system", "zone"]},
    index=["Grid load forecast", "Wind power forecast", "System load forecast",
           "Zonal COMED load foecast"])
COVARIATES = list(FEATURE_TAGS.index)
MODELS = ("own", "joint", "joint, no tags", "cross")


def panel(frames: dict[str, pd.DataFrame], first_cutoff: int) -> pd.DataFrame:
    """The markets' rows before ``first_cutoff``, stacked with a ``market``
    column and the four covariates (missing where a market lacks one)."""
    parts = [frame.iloc[:first_cutoff].assign(market=name)
             .reindex(columns=["market", *COVARIATES, "OT"])
             for name, frame in frames.items()]
    return pd.concat(parts)


def train_panel(frames: dict[str, pd.DataFrame], first_cutoff: int, seed: int,
                tags: bool) -> tuple[TimeXerRegressor, float]:
    X, y = make_forecast_frame(panel(frames, first_cutoff), "OT", HORIZON,
                               group_column="market", future_covariates=COVARIATES)
    model = TimeXerRegressor(**TIMEXER, group_column="market",
                             future_covariates=COVARIATES, quantiles=LEVELS,
                             feature_tags=FEATURE_TAGS if tags else None,
                             random_state=seed)
    start = time.perf_counter()
    with warnings.catch_warnings():
        # A market's own rows never show the other's covariates.
        warnings.simplefilter("ignore", RuntimeWarning)
        model.fit(X, y)
    return model, (time.perf_counter() - start) / 60


def panel_quantiles(model: TimeXerRegressor, frame: pd.DataFrame, name: str,
                    cutoff: int) -> np.ndarray:
    """The window's forecast by a panel model: ``frame``'s rows up to the
    horizon as the series ``name``, in the panel's columns."""
    visible = (visible_rows(frame, cutoff).assign(market=name)
               .reindex(columns=["market", *COVARIATES, "OT"]))
    table = model.forecast(visible)
    return table[[str(level) for level in LEVELS]].to_numpy()


def evaluate(args: argparse.Namespace) -> pd.DataFrame:
    frames = {name: load_market(name, args.data_dir).asfreq("h")
              for name in MARKET_NAMES}
    lengths = {len(frame) for frame in frames.values()}
    if len(lengths) != 1:
        raise SystemExit(f"the markets differ in length: {lengths}")
    windows = cutoffs(lengths.pop(), args.split)
    rows = []

    def record(market: str, model: str, forecasts, seed=None, minutes=None):
        price = frames[market]["OT"].to_numpy()
        per_window = pd.DataFrame([scores(price, c, q)
                                   for c, q in zip(windows, forecasts, strict=True)])
        row = {"market": market, "model": model, "seed": seed,
               **per_window[["SQL", "MASE", "coverage"]].mean().to_dict(),
               "SQL sd": per_window["SQL"].std(), "train min": minutes}
        rows.append(row)
        print(pd.DataFrame([row]).to_string(index=False, header=len(rows) == 1,
                                            float_format="%.3f"), flush=True)

    for name, frame in frames.items():
        record(name, "Seasonal Naive", [seasonal_naive(frame, c) for c in windows])
    for seed in args.seeds:
        if "own" in args.models:
            for name, frame in frames.items():
                covariates = [c for c in frame.columns if c != "OT"]
                model, minutes = train_timexer(frame, windows[0], seed, covariates,
                                               {**TIMEXER, **MARKET_TIMEXER[name]})
                record(name, "own", [timexer_quantiles(model, frame, c)
                                     for c in windows], seed, minutes)
        for label, tags in [("joint", True), ("joint, no tags", False)]:
            if label not in args.models:
                continue
            model, minutes = train_panel(frames, windows[0], seed, tags)
            for name, frame in frames.items():
                record(name, label, [panel_quantiles(model, frame, name, c)
                                     for c in windows], seed, minutes)
        if "cross" in args.models:
            for source in frames:
                model, minutes = train_panel({source: frames[source]}, windows[0],
                                             seed, tags=True)
                for name, frame in frames.items():
                    if name != source:
                        record(name, f"from {source}",
                               [panel_quantiles(model, frame, name, c)
                                for c in windows], seed, minutes)
    return pd.DataFrame(rows)


def summary(results: pd.DataFrame) -> pd.DataFrame:
    """Each model's mean SQL and MASE over the seeds, and as a ratio to the
    market's ``own`` model."""
    table = results.groupby(["market", "model"], sort=False)[
        ["SQL", "MASE", "coverage"]].mean()
    own = table.xs("own", level="model") if "own" in set(results["model"]) else None
    if own is not None:
        for metric in ["SQL", "MASE"]:
            table[f"{metric} / own"] = table[metric] / own[metric].reindex(
                table.index.get_level_values("market")).to_numpy()
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--split", choices=["test", "dev"], default="test")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--data-dir", default=DATA_DIR)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    results = evaluate(args)
    print(f"\n{args.split} windows, seeds {args.seeds}; SQL, MASE and coverage "
          "averaged over the 20 windows, then over the seeds")
    print(summary(results).to_string(float_format="%.3f"))


if __name__ == "__main__":
    main()
