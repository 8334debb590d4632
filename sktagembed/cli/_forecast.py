"""``sktagembed forecast`` and ``sktagembed compare``: TimeXer on a table.

Both train on the data in its own units (TimeXer normalises each window
itself) and report errors in those units and scaled by the target's standard
deviation in the training rows, so that a saved model forecasts raw data.
Scores count full windows only (:mod:`sktagembed.model_selection`).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ..forecasting._forecast_frame import make_forecast_frame
from ..model_selection import ContextTimeSeriesSplit
from ._common import UserError, load_plotting, read_table
from ._progress import EpochProgressBar

DATE_COLUMNS = ("date", "time", "timestamp", "datetime")


def read_series(path: Path, target: str | None, max_rows: int | None
                ) -> pd.DataFrame:
    """The numeric columns of a time-series table, with a DatetimeIndex when
    it has a date column; rows with an unknown target (future rows holding
    covariates) are kept."""
    frame = read_table(path)
    frame.columns = [str(c).strip() for c in frame.columns]
    dates = [c for c in frame.columns if c.lower() in DATE_COLUMNS]
    if dates:
        frame = frame.set_index(dates[0])
        try:
            frame.index = pd.to_datetime(frame.index)
        except (ValueError, TypeError) as exc:
            raise UserError(f"{path}: column {dates[0]!r} is not dates ({exc})") \
                from exc
    if target is not None and target not in frame.columns:
        raise UserError(f"unknown target column: {target}")
    numeric = frame.select_dtypes("number")
    if len(numeric.columns) < 2:
        raise UserError(
            f"{path}: forecasting needs the target and at least one other numeric "
            "column"
        )
    return numeric.iloc[-max_rows:] if max_rows else numeric


def read_tags(path: Path | None, columns: list[str]) -> pd.DataFrame | None:
    """A tag table (first column: the tagged column's name) covering
    ``columns``."""
    if path is None:
        return None
    tags = read_table(path)
    tags = tags.set_index(tags.columns[0])
    tags.index = tags.index.map(str)
    missing = [c for c in columns if c not in tags.index]
    if missing:
        raise UserError(f"{path}: no tag row for the columns {', '.join(missing)}")
    return tags


def parse_list(text: str | None, frame: pd.DataFrame | None = None,
               what: str = "column") -> list[str]:
    """A comma-separated list of names, checked against ``frame``'s columns."""
    if not text:
        return []
    names = [name.strip() for name in text.split(",") if name.strip()]
    if frame is not None:
        unknown = [n for n in names if n not in frame.columns]
        if unknown:
            raise UserError(f"unknown {what}(s): {', '.join(unknown)}")
    return names


def parse_levels(text: str | None) -> list[float] | None:
    if not text:
        return None
    try:
        levels = [float(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise UserError(f"--quantiles must be numbers in (0, 1): {text!r}") from exc
    if not levels or not all(0 < q < 1 for q in levels):
        raise UserError(f"--quantiles must be numbers in (0, 1): {text!r}")
    return levels


def forecast_model(args: argparse.Namespace, **params):
    from ..forecasting._regressor import TimeXerRegressor

    settings = {"patch_len": args.patch_len, "d_model": args.d_model,
                "n_heads": 4, "e_layers": 1, "d_ff": 2 * args.d_model,
                "batch_size": 64, "max_epochs": args.epochs,
                "device": args.device, "random_state": args.seed}
    return TimeXerRegressor(args.lookback, **{**settings, **params})


def errors(truth: np.ndarray, pred: np.ndarray, scale: float) -> dict:
    """MSE and MAE in the data's units and scaled by ``scale`` (the target's
    standard deviation in the training rows)."""
    mse = float(np.mean((pred - truth) ** 2))
    mae = float(np.mean(np.abs(pred - truth)))
    return {"MSE": mse, "MAE": mae, "scaled MSE": mse / scale ** 2,
            "scaled MAE": mae / scale}


def run_forecast(args: argparse.Namespace) -> int:
    plotting = load_plotting()
    frame = read_series(args.file, args.target, args.max_rows)
    target = args.target
    future = parse_list(args.future_covariates, frame, "future covariate")
    if target in future:
        raise UserError("the target cannot be a future covariate")
    levels = parse_levels(args.quantiles)
    tags = read_tags(args.tags_file, [c for c in frame.columns if c != target])
    if args.tag_method is not None and tags is None:
        raise UserError("--tag-method needs --tags-file")
    if not 0 <= args.test_fraction < 1:
        raise UserError("--test-fraction must be at least 0 and below 1")
    known = np.flatnonzero(frame[target].notna().to_numpy())
    if len(known) == 0:
        raise UserError(f"the target {target!r} has no known value")
    n_history = known[-1] + 1
    n_test = int(n_history * args.test_fraction)
    if args.test_fraction and n_test <= args.horizon:
        raise UserError("the held-out tail is shorter than the horizon")
    n_train = n_history - n_test
    X, y = make_forecast_frame(frame, target, args.horizon,
                               future_covariates=future or None)
    position = frame.index.get_indexer(X.index) if frame.index.is_unique else (
        np.arange(len(X)))
    model = forecast_model(
        args, feature_tags=tags, tag_method=args.tag_method or "auto",
        future_covariates=future or None, quantiles=levels,
        callbacks=[EpochProgressBar("training", disable=args.quiet)],
    )
    train = position + args.horizon < n_train  # targets inside the training part
    model.fit(X[train], y[train])
    scale = float(frame[target].iloc[:n_train].std()) or 1.0
    if n_test:
        test = (position >= n_train) & (position + args.horizon < n_history)
        rows = np.flatnonzero(test)
        pred = model.predict(X)[rows]
        truth = np.asarray(y, dtype=float)[rows]
        score = errors(truth, pred, scale)
        print(f"{target}: backtest on {len(rows)} forecasts of {args.horizon} "
              f"steps (the last {n_test} rows), tags "
              f"{model._tag_method() or 'none'}: MSE {score['MSE']:.4g}  "
              f"MAE {score['MAE']:.4g} (data units); scaled MSE "
              f"{score['scaled MSE']:.4f}  MAE {score['scaled MAE']:.4f}")
    table = model.forecast(frame)
    output = args.output or args.out / "forecast.csv"
    output.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(output, index=False)
    if not args.quiet:
        last = frame.index[n_history - 1]
        print(f"forecast of {args.horizon} steps after {last} -> {output}")
    args.out.mkdir(parents=True, exist_ok=True)
    fig = plotting.plot_future(frame[target].iloc[:n_history], table,
                               title=f"{target}: history and forecast")
    fig.savefig(args.out / "forecast.png", dpi=120)
    if args.save_model is not None:
        import joblib

        joblib.dump(model, args.save_model)
    return 0


class Bundled(NamedTuple):
    """A bundled data set ``compare`` runs on without a FILE: its loader, its
    default target, and the option defaults the comparison uses on it."""

    loader: str
    target: str
    defaults: dict


BUNDLED = {
    # Where the study in docs/tags.rst found tags to matter most: the living
    # room's temperature with its sensor down, from four weeks of 10-minute
    # readings, a day of look-back, four hours ahead, three seeds.
    "appliances": Bundled("load_appliances_energy", "T2", {
        "max_rows": 4 * 7 * 24 * 6, "lookback": 144, "patch_len": 24,
        "horizon": 24, "epochs": 5, "seeds": 3, "target_history": "hide",
        "methods": ["none", "sum", "attention", "hierarchical"]}),
    "etth1": Bundled("load_etth1", "OT", {}),
}


def compare_data(args: argparse.Namespace):
    """The table, its tags, the target and a description of the source."""
    if args.file is None:
        from .. import datasets

        dataset = args.dataset or "appliances"
        loader, default_target, _ = BUNDLED[dataset]
        frame, tags = getattr(datasets, loader)()
        target = args.target or default_target
        if target not in frame.columns:
            raise UserError(f"unknown target column: {target}")
        frame = frame.iloc[-args.max_rows:] if args.max_rows else frame
        return frame, tags, target, f"bundled {dataset}"
    if args.target is None:
        raise UserError("compare FILE needs --target")
    frame = read_series(args.file, args.target, args.max_rows)
    tags = read_tags(args.tags_file, [c for c in frame.columns if c != args.target])
    if tags is None:
        raise UserError("compare FILE needs --tags-file with the columns' tags")
    return frame, tags, args.target, str(args.file)


def run_compare(args: argparse.Namespace) -> int:
    from ..nn import METHODS

    plotting = load_plotting()
    frame, tags, target, source = compare_data(args)
    methods = args.methods or ["none", *[m for m in METHODS if m != "pretrained"]]
    unknown = [m for m in methods if m != "none" and m not in METHODS]
    if unknown:
        raise UserError(f"unknown method(s): {', '.join(unknown)}")
    if args.folds < 2:
        raise UserError("--folds must be at least 2")
    X, y = make_forecast_frame(frame, target, args.horizon)
    if args.target_history == "hide":
        X = X.assign(**{target: np.nan})  # masked by the model
    # Training folds leave out the rows whose targets reach the test rows'.
    splits = list(ContextTimeSeriesSplit(args.folds, context=args.lookback - 1,
                                         horizon=args.horizon).split(X))
    scale = float(y.iloc[splits[0][0]].to_numpy().std()) or 1.0
    say = (lambda *a: None) if args.quiet else print
    hidden = ", its own past hidden" if args.target_history == "hide" else ""
    say(f"Comparing {len(methods)} configurations x {args.folds} folds on "
        f"{source}: {len(X)} rows, target {target}{hidden}, horizon "
        f"{args.horizon}")
    seeds = [args.seed + k for k in range(args.seeds)]
    rows, last_fold = [], {}
    progress = tqdm(total=len(methods) * len(splits) * len(seeds),
                    desc="cross-validating", unit="fit", disable=args.quiet)
    for method in methods:
        per_seed, seconds = [], []
        for seed in seeds:
            scores = []
            for train, test in splits:
                model = forecast_model(
                    args, feature_tags=tags, random_state=seed,
                    tag_method=None if method == "none" else method,
                )
                start = time.perf_counter()
                model.fit(X.iloc[train], y.iloc[train])
                seconds.append(time.perf_counter() - start)
                scored = model.scored_rows(X.iloc[test], y.iloc[test])
                pred = model.predict(X.iloc[test])[scored]
                truth = y.iloc[test].to_numpy()[scored]
                scores.append(errors(truth, pred, scale)["MSE"])
                progress.update()
            per_seed.append(scores)
        per_seed = np.array(per_seed)  # (seeds, folds)
        # With several seeds, the spread is the seeds'; else the folds'.
        spread = (per_seed.mean(axis=1).std() if len(seeds) > 1
                  else per_seed.std())
        rows.append({"name": method, "mean": per_seed.mean(), "std": spread,
                     "scaled": per_seed.mean() / scale ** 2,
                     "fit_s": np.mean(seconds)})
        last_fold[method] = (model, pred, test[scored], test)
    progress.close()
    table = pd.DataFrame(rows).sort_values("mean").reset_index(drop=True)
    table.index += 1
    spread_of = "seeds" if len(seeds) > 1 else "folds"
    with pd.option_context("display.precision", 4):
        print(table.rename(columns={"name": "method", "mean": "MSE mean",
                                    "std": f"MSE std ({spread_of})",
                                    "scaled": "scaled MSE", "fit_s": "fit s"}))
    importance = tag_importance_line(table, last_fold, X, y, args)
    write_compare_plots(args, plotting, table, last_fold, X, y, target, importance)
    say(f"best: {table['name'].iloc[0]}; plots written to {args.out}/")
    return 0


def tag_importance_line(table, last_fold, X, y, args) -> pd.DataFrame | None:
    """Print which tags matter to the best tag-aware model (last fold)."""
    method = next((m for m in table["name"] if m != "none"), None)
    if method is None:
        return None
    model, _, _, test = last_fold[method]
    importance = model.tag_importance(X.iloc[test], y.iloc[test], n_repeats=3,
                                      random_state=args.seed)
    shown = ", ".join(f"{tag} {100 * row.importance:+.1f}%"
                      for tag, row in importance.head(3).iterrows())
    least = importance.index[-1]
    print(f"tags that matter to '{method}' (MSE growth without the tag): "
          f"{shown}; least: {least} "
          f"{100 * importance['importance'].iloc[-1]:+.1f}%")
    return importance


def write_compare_plots(args, plotting, table, last_fold, X, y, target,
                        importance) -> None:
    args.out.mkdir(parents=True, exist_ok=True)
    fig = plotting.plot_method_comparison(
        table, score_label=f"test MSE of {target} (lower is better)",
        higher_is_better=False)
    fig.savefig(args.out / "comparison.png", dpi=120)
    best = table["name"].iloc[0]
    mapped = best if best != "none" else next(
        (m for m in table["name"] if m != "none"), None)
    if mapped is not None:
        model = last_fold[mapped][0]
        fig = plotting.plot_tag_embeddings(model.tag_embeddings_, method=args.map,
                                           random_state=args.seed)
        fig.axes[0].set_title(f"Tag embeddings of '{mapped}' ({args.map})")
        fig.savefig(args.out / "embedding_map.png", dpi=120)
    if importance is not None:
        fig = plotting.plot_tag_importance(importance, title=f"Which tags matter "
                                           f"to '{mapped}'")
        fig.savefig(args.out / "tag_importance.png", dpi=120)
        model = last_fold[mapped][0]
        categorical = [c for c, dtype in model.feature_tags.dtypes.items()
                       if not pd.api.types.is_bool_dtype(dtype)
                       and not pd.api.types.is_numeric_dtype(dtype)][:2]
        if categorical and len(model.variable_embeddings_) >= 2:
            fig = plotting.plot_variable_embeddings(
                model, model.feature_tags, by=tuple(categorical), method=args.map,
                random_state=args.seed)
            fig.savefig(args.out / "variable_map.png", dpi=120)
    model, pred, rows, _ = last_fold[best]
    fig = plotting.plot_forecast(y.to_numpy()[rows], pred, index=X.index[rows],
                                 title=f"{target}, 1 step ahead, method '{best}' "
                                       "(last fold)", max_points=500)
    fig.savefig(args.out / "forecast.png", dpi=120)
