"""Do tags hurt where columns are fixed? Tag-aware TimeXer against the default
model without tags on a generated panel.

The panel has ``--vars`` exogenous variables, iid standard normal, each tagged
with one of three groups (``A``, ``B``, ``C``, drawn at random per seed) and
one of two units (``u0``, ``u1``, irrelevant). The target at row ``t`` is
``mean(A) - mean(B)`` at ``t`` plus a little noise; the endogenous series is
the target's past, which carries no information about it. Test series are new
series (other random draws) with the same variables, groups and tags.

The baseline is the default ``TimeXerRegressor`` without tags, whose linear
skip (on by default) has one weight per column: the groups are the same in
every series, so column position carries the answer and the skip can learn it
without tags. This script therefore checks that tags do not hurt there (the
``not worse`` column: the worst seed's ratio at most 1.05), not that they
help. Where only tags can tell the roles (they differ per series), see the
``"generated, roles by series"`` regime of
``benchmarks/tags_on_real_data.py``. ``--set linear_skip=False`` reproduces
the earlier comparison against TimeXer as published (variate tokens as an
unordered set, which cannot tell group A from group B without tags).

Run: ``python benchmarks/bench_timexer_tags.py [--seeds 3] [--series 40]
[--methods sum,attention,...] [--threads 1] [--set linear_skip=False]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import torch
from _settings import add_set_argument, parsed_settings

from sktagembed import TagEmbeddingTransformer, TimeXerRegressor

DEFAULT_METHODS = ("sum", "linear", "multihead", "interaction", "mlp", "bilinear",
                   "attention", "hierarchical")


def make_panel(n_series: int, n_steps: int, n_vars: int, seed: int,
               layout_seed: int):
    """``(X, y, groups, tags)``; ``layout_seed`` fixes which variable is in
    which group, ``seed`` the series' values."""
    layout = np.random.default_rng(layout_seed)
    names = [f"v{i:02d}" for i in range(n_vars)]
    group = layout.permutation(np.resize(["A", "B", "C"], n_vars))
    unit = layout.choice(["u0", "u1"], size=n_vars)
    tags = pd.DataFrame({"group": group, "unit": unit}, index=names)

    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n_series * n_steps, n_vars)), columns=names)
    y = (X.loc[:, group == "A"].mean(axis=1) - X.loc[:, group == "B"].mean(axis=1)
         + 0.1 * rng.normal(size=len(X))).to_numpy()
    groups = np.repeat(np.arange(n_series), n_steps)
    past = pd.Series(y).groupby(groups).shift(1).fillna(0.0).to_numpy()
    X["target"] = past
    return X, y, groups, tags


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--series", type=int, default=40)
    parser.add_argument("--steps", type=int, default=96)
    parser.add_argument("--vars", type=int, default=12)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--methods", default=",".join(DEFAULT_METHODS))
    parser.add_argument("--threads", type=int, default=None)
    add_set_argument(parser, "override a model setting for every method "
                             "(e.g. --set linear_skip=False)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    methods = [None, *args.methods.split(",")]
    params = {"lookback": 16, "patch_len": 8, "d_model": 32, "n_heads": 4,
              "d_ff": 64, "e_layers": 1, "max_epochs": args.epochs, "lr": 3e-3,
              "batch_size": 64, "patience": 0,
              # The recorded figures were measured with the squared-error model.
              "quantiles": None,
              **parsed_settings(parser, args.set)}

    rows = []
    for seed in range(args.seeds):
        X, y, groups, tags = make_panel(args.series, args.steps, args.vars,
                                        seed=2 * seed, layout_seed=seed)
        X_test, y_test, groups_test, _ = make_panel(
            max(4, args.series // 4), args.steps, args.vars, seed=2 * seed + 1,
            layout_seed=seed)
        for method in methods:
            start = time.perf_counter()
            embedding = (None if method is None else
                         TagEmbeddingTransformer(method, embedding_dim=8))
            model = TimeXerRegressor(**params, feature_tags=tags,
                                     tag_embedding=embedding, random_state=seed)
            model.fit(X, y, groups=groups)
            pred = model.predict(X_test, groups=groups_test)
            rows.append({"seed": seed, "method": str(method),
                         "test MSE": float(np.mean((pred - y_test) ** 2)),
                         "fit s": time.perf_counter() - start})
    results = pd.DataFrame(rows)
    plain = results[results["method"] == "None"].set_index("seed")["test MSE"]
    results["ratio to default"] = results["test MSE"] / results["seed"].map(plain)
    table = results.groupby("method", sort=False).agg(
        test_mse=("test MSE", "mean"), test_mse_sd=("test MSE", "std"),
        ratio=("ratio to default", "mean"), worst_ratio=("ratio to default", "max"),
        fit_s=("fit s", "mean"))
    table["not worse"] = np.where(table.index == "None", "",
                                  np.where(table["worst_ratio"] <= 1.05,
                                           "pass", "FAIL"))
    print(f"{args.seeds} seeds, {args.series} training series x {args.steps} "
          f"steps, {args.vars} exogenous variables; target variance "
          f"{np.var(y):.3f}; method None: the default model without tags "
          f"(linear_skip={params.get('linear_skip', 'auto')!r})")
    print(table.round(4).to_string())


if __name__ == "__main__":
    main()
