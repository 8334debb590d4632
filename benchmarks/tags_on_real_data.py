"""When do tags help? Tag-aware against plain TimeXer on real tagged data.

The bundled Appliances energy data (``load_appliances_energy``): 27 exogenous
variables of a house (room temperatures and humidities, weather, lights,
two noise columns), each with four tags (kind, location, indoor/outdoor,
source). Every regime forecasts one target at one horizon from all the other
variables, trained on the rows before the test span (the last 20% of the
data) or, data-poor, on the last few weeks before it, and scored by the MSE
of the standardised target over the test windows (full windows only).

Configurations:

- ``none``: plain TimeXer (variate tokens without identity);
- ``identity``: each variable its own tag (a learned identity per variable,
  no sharing between variables): what tags add beyond telling variables apart;
- the nine tag methods on the four tags (``pretrained`` reads the table a
  ``TagEmbeddingTransformer`` learns from the tag table alone), and
  ``sum+concat`` (the tag embedding concatenated to the token, then
  projected);
- ``no exogenous``: the target's own history and calendar tokens only, the
  diagnostic of how much the exogenous variables add at all (tags can only
  help through them);
- ``ridge``: a ridge regression on the flattened look-back window (every
  variable's last ``lookback`` values, penalty chosen on time-series folds), the
  sanity floor.

Each configuration runs over ``--seeds``; the table gives the mean and the
standard deviation of the test MSE, and the ratio of each mean to plain
TimeXer's.

``--importance METHOD``: instead, train the tag-aware model of one regime
and rank its tags by ``tag_importance`` on the test windows (ablation and
permutation), with the negative control ``kind=random`` (the noise columns
``rv1``, ``rv2``), and draw the importance and the map of the learned
variable embeddings (``--figures DIR``).

Run: ``python benchmarks/tags_on_real_data.py [--regimes ...] [--configs ...]
[--seeds 0 1 2] [--threads 1] [--markdown out.md] [--set use_norm=False]`` or
``python benchmarks/tags_on_real_data.py --importance attention --regimes
"T2 4h" [--figures docs/images]``
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from _settings import add_set_argument, parsed_settings
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import TimeSeriesSplit
from sklearn.preprocessing import StandardScaler

from sktagembed import TagEmbeddingTransformer, TimeXerRegressor, make_forecast_frame
from sktagembed.datasets import load_appliances_energy
from sktagembed.nn import METHODS

STEPS_PER_HOUR = 6  # 10-minute data
#: name -> (target, horizon in steps, training rows: None = all before the
#: test[, True: the target's own sensor is down, its past values missing])
REGIMES = {
    "T2 4h": ("T2", 4 * STEPS_PER_HOUR, None),
    "T2 1d": ("T2", 24 * STEPS_PER_HOUR, None),
    "Appliances 4h": ("Appliances", 4 * STEPS_PER_HOUR, None),
    "Appliances 1d": ("Appliances", 24 * STEPS_PER_HOUR, None),
    "T2 4h, 3 weeks": ("T2", 4 * STEPS_PER_HOUR, 21 * 24 * STEPS_PER_HOUR),
    "T2 1d, 3 weeks": ("T2", 24 * STEPS_PER_HOUR, 21 * 24 * STEPS_PER_HOUR),
    "Appliances 4h, 3 weeks": ("Appliances", 4 * STEPS_PER_HOUR,
                               21 * 24 * STEPS_PER_HOUR),
    "Appliances 1d, 3 weeks": ("Appliances", 24 * STEPS_PER_HOUR,
                               21 * 24 * STEPS_PER_HOUR),
    # A sensor outage: the target's own past is missing (NaN, masked), so the
    # forecast rests on the other variables, and on knowing what each is.
    "T2 4h, 3 weeks, sensor down": ("T2", 4 * STEPS_PER_HOUR,
                                    21 * 24 * STEPS_PER_HOUR, True),
    "T2 4h, sensor down": ("T2", 4 * STEPS_PER_HOUR, None, True),
    # Many variates: every variable forecast at once (TimeXer's M setting),
    # each endogenous variable reading the tagged tokens of all the others.
    "all 28 4h": (None, 4 * STEPS_PER_HOUR, None),
    "all 28 4h, 3 weeks": (None, 4 * STEPS_PER_HOUR, 21 * 24 * STEPS_PER_HOUR),
}
CONFIGS = ["none", "identity", *METHODS, "sum+concat", "no exogenous", "ridge"]
MODEL = {"lookback": 144, "patch_len": 24, "d_model": 64, "n_heads": 4,
         "e_layers": 1, "d_ff": 128, "batch_size": 64, "max_epochs": 8,
         "lr": 1e-3, "patience": 3, "validation_fraction": 0.1,
         "linear_skip": False}
TEST_FRACTION = 0.2


def regime_data(name: str):
    """X, y, training rows, test rows and the tag table of a regime. A
    target of None forecasts every variable (mode M)."""
    target, horizon, n_train_rows, *sensor_down = REGIMES[name]
    frame, tags = load_appliances_energy()
    n_test = int(len(frame) * TEST_FRACTION)
    first_test = len(frame) - n_test
    start = 0 if n_train_rows is None else first_test - n_train_rows
    scaler = StandardScaler().fit(frame.iloc[start:first_test])
    scaled = pd.DataFrame(scaler.transform(frame), index=frame.index,
                          columns=frame.columns)
    if target is None:
        X = scaled.iloc[:-horizon]
        y = pd.DataFrame(np.concatenate(
            [np.stack([scaled[c].shift(-k).to_numpy()[:-horizon]
                       for k in range(1, horizon + 1)], axis=1)
             for c in scaled.columns], axis=1), index=X.index)
    else:
        X, y = make_forecast_frame(scaled, target, horizon)
        tags = tags.drop(index=target)
        if sensor_down and sensor_down[0]:
            X = X.assign(**{target: np.nan})
    position = np.arange(len(X))
    train = (position >= start) & (position + horizon < first_test)
    # Test windows every hour (every 6th row), each with its full history.
    test = np.flatnonzero((position >= first_test) & (position % 6 == 0))
    return X, y, train, test, tags


def mode(name: str) -> str:
    return "M" if REGIMES[name][0] is None else "MS"


def config_params(config: str, tags: pd.DataFrame, seed: int) -> dict:
    if config in ("none", "no exogenous"):
        return {"calendar": config == "no exogenous"}
    if config == "identity":
        identity = pd.DataFrame({"variable": tags.index}, index=tags.index)
        return {"feature_tags": identity, "tag_method": "sum"}
    if config == "sum+concat":
        return {"feature_tags": tags, "tag_method": "sum", "tag_combine": "concat"}
    params = {"feature_tags": tags, "tag_method": config}
    if config == "pretrained":
        table = TagEmbeddingTransformer("sum", 16, max_epochs=200,
                                        random_state=seed).fit(tags).embeddings_
        params["tag_options"] = {"pretrained": table, "freeze": False}
    return params


def ridge_mse(X, y, train, test, lookback: int) -> float:
    # A sensor that is down reads as its training mean (0, standardised).
    values, target = X.fillna(0.0).to_numpy(), y.to_numpy()

    def windows(rows):
        return values[rows[:, None] + np.arange(1 - lookback, 1)].reshape(len(rows),
                                                                          -1)

    rows = np.flatnonzero(train)
    rows = rows[rows >= lookback - 1]
    # The penalty chosen on time-series folds of the training windows:
    # with thousands of lag features a fixed small one overfits badly.
    model = RidgeCV(alphas=np.logspace(-1, 6, 15), cv=TimeSeriesSplit(3)).fit(
        windows(rows), target[rows])
    return float(np.mean((model.predict(windows(test)) - target[test]) ** 2))


def run(regime: str, configs: list[str], seeds: list[int]) -> pd.DataFrame:
    X, y, train, test, tags = regime_data(regime)
    target = y.to_numpy()
    rows = []
    for config in configs:
        if config == "ridge":
            rows.append({"regime": regime, "config": "ridge", "seed": None,
                         "MSE": ridge_mse(X, y, train, test, MODEL["lookback"]),
                         "fit s": None})
            continue
        for seed in seeds:
            start = time.perf_counter()
            model = TimeXerRegressor(**MODEL, random_state=seed, mode=mode(regime),
                                     **config_params(config, tags, seed))
            data = X
            if config == "no exogenous":
                if mode(regime) == "M" or len(REGIMES[regime]) > 3:
                    continue  # no target history to forecast from
                data = X[[REGIMES[regime][0]]]
            model.fit(data[train], y[train])
            pred = model.predict(data)[test]
            rows.append({"regime": regime, "config": config, "seed": seed,
                         "MSE": float(np.mean((pred - target[test]) ** 2)),
                         "fit s": round(time.perf_counter() - start)})
            print(pd.DataFrame(rows[-1:]).to_string(index=False, header=False),
                  flush=True)
    return pd.DataFrame(rows)


def summary(results: pd.DataFrame) -> pd.DataFrame:
    table = results.groupby(["regime", "config"], sort=False)["MSE"].agg(
        ["mean", "std", "count"]).reset_index()
    plain = table[table["config"] == "none"].set_index("regime")["mean"]
    table["vs none"] = table["mean"] / table["regime"].map(plain)
    plain_std = table[table["config"] == "none"].set_index("regime")["std"]
    # Seeds' spreads apart: mean + std of the config below mean - std of none.
    table["apart"] = (table["mean"] + table["std"]
                      < table["regime"].map(plain) - table["regime"].map(plain_std))
    return table


def importance(regime: str, method: str, seed: int, figures: str | None) -> None:
    X, y, train, test, tags = regime_data(regime)
    model = TimeXerRegressor(**MODEL, random_state=seed, mode=mode(regime),
                             **config_params(method, tags, seed))
    model.fit(X[train], y[train])
    # Score the test windows with the rows before them as history.
    rows = np.arange(test[0] - MODEL["lookback"] + 1, test[-1] + 1)
    tables = {how: model.tag_importance(X.iloc[rows], y.iloc[rows], method=how,
                                        n_repeats=5, random_state=seed)
              for how in ("ablation", "permutation")}
    for how, table in tables.items():
        rank = list(table.index).index("kind=random") + 1
        print(f"\n{regime}, {method}, {how}: kind=random ranks {rank} of "
              f"{len(table)}")
        print(table.to_string(float_format="%.4f"))
    if figures:
        import matplotlib

        matplotlib.use("Agg")
        from sktagembed.plotting import (
            plot_tag_embeddings,
            plot_tag_importance,
            plot_variable_embeddings,
        )

        folder = Path(figures)
        plot_tag_importance(tables["ablation"], title=f"Which tags matter: "
                            f"{regime}, {method}").savefig(
            folder / "appliances_tag_importance.png", dpi=110)
        for kind in ("pca", "tsne"):
            plot_variable_embeddings(model, tags, ("kind", "location"), method=kind,
                                     random_state=seed).savefig(
                folder / f"appliances_variable_map_{kind}.png", dpi=110)
        plot_tag_embeddings(model.tag_embeddings_, "pca").savefig(
            folder / "appliances_tag_map.png", dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regimes", nargs="+", default=list(REGIMES),
                        choices=list(REGIMES))
    parser.add_argument("--configs", nargs="+", default=CONFIGS, choices=CONFIGS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--markdown", default=None,
                        help="also write the summary table as Markdown")
    parser.add_argument("--importance", default=None, choices=CONFIGS[1:-1],
                        help="rank the tags of this configuration instead")
    parser.add_argument("--figures", default=None,
                        help="folder for the importance and map figures")
    add_set_argument(parser, "override a MODEL setting for every configuration "
                             "(e.g. --set use_norm=False)")
    args = parser.parse_args()
    MODEL.update(parsed_settings(parser, args.set))
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.importance:
        for regime in args.regimes:
            importance(regime, args.importance, args.seeds[0], args.figures)
        return
    results = pd.concat([run(regime, args.configs, args.seeds)
                         for regime in args.regimes])
    table = summary(results)
    print(table.to_string(index=False, float_format="%.4f"))
    if args.markdown:
        with open(args.markdown, "w") as out:
            out.write(markdown(table))


def markdown(table: pd.DataFrame) -> str:
    def cell(value) -> str:
        return f"{value:.4f}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(table.columns) + " |",
             "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |"
              for row in table.itertuples(index=False)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
