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
from ..forecasting._losses import DECILES
from ..model_selection import ContextTimeSeriesSplit
from ._common import UserError, load_plotting, read_table, save_figure
from ._progress import EpochProgressBar
from ._series import (
    Series,
    in_time_order,
    note,
    parse_list,
    read_series,
    regular_steps,
)


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


def parse_levels(text: str | None) -> list[float] | None:
    """The levels of ``--quantiles``: the nine deciles when it is not given,
    None (a point forecast) for ``none``."""
    if text is None:
        return list(DECILES)
    if text.strip().lower() == "none":
        return None
    try:
        levels = [float(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise UserError(f"--quantiles must be numbers in (0, 1): {text!r}") from exc
    if not levels or not all(0 < q < 1 for q in levels):
        raise UserError(f"--quantiles must be numbers in (0, 1): {text!r}")
    return levels


def is_level(column) -> bool:
    """A quantile column of a forecast table, named like ``"0.1"``."""
    try:
        return 0 < float(column) < 1
    except (TypeError, ValueError):
        return False


def forecast_model(args: argparse.Namespace, **params):
    from ..forecasting._regressor import TimeXerRegressor

    settings = {"patch_len": args.patch_len, "d_model": args.d_model,
                "n_heads": 4, "e_layers": 1, "d_ff": 2 * args.d_model,
                "batch_size": 64, "max_epochs": args.epochs,
                "device": args.device, "random_state": args.seed}
    return TimeXerRegressor(args.lookback, **{**settings, **params})


def errors(truth: np.ndarray, pred: np.ndarray, scale: float) -> dict:
    """MSE and MAE in the data's units and scaled by ``scale`` (the target's
    standard deviation in the training rows), over the known truths only."""
    known = np.isfinite(truth)
    if not known.any():
        raise UserError("no known target value in the test rows to score")
    diff = pred[known] - truth[known]
    mse = float(np.mean(diff ** 2))
    mae = float(np.mean(np.abs(diff)))
    return {"MSE": mse, "MAE": mae, "scaled MSE": mse / scale ** 2,
            "scaled MAE": mae / scale}


def run_forecast(args: argparse.Namespace) -> int:
    plotting = load_plotting()
    levels = parse_levels(args.quantiles)
    if not 0 <= args.test_fraction < 1:
        raise UserError("--test-fraction must be at least 0 and below 1")
    if args.horizon < 1:
        raise UserError(f"--horizon must be at least 1, got {args.horizon}")
    series = read_series(args.file, args)
    frame, target, id_column = series.frame, series.target, series.id_column
    given = []
    if args.future_file is not None:
        frame, given = append_future_rows(series, args.future_file, args)
    future = parse_list(args.future_covariates, frame, "future covariate")
    if given and not future:  # the future file says which columns they are
        future = given
        note(f"--future-file: its columns {', '.join(given)} are the future "
             "covariates")
    if target in future:
        raise UserError("the target cannot be a future covariate")
    tags = read_tags(args.tags_file, [c for c in frame.columns
                                      if c not in (target, id_column)])
    if args.tag_method is not None and tags is None:
        raise UserError("--tag-method needs --tags-file")
    rows = row_positions(frame, target, id_column, args.test_fraction)
    check_lengths(rows, args)
    check_future_rows(frame, rows, future, args.horizon, id_column)
    X, y = make_forecast_frame(frame.assign(_row=np.arange(len(frame))), target,
                               args.horizon, group_column=id_column,
                               future_covariates=future or None)
    at = rows.iloc[X.pop("_row").to_numpy()]
    pos, history, n_train = (at[c].to_numpy() for c in ("pos", "history", "train"))

    def fitted(mask):
        model = forecast_model(
            args, feature_tags=tags, tag_embedding=args.tag_method or "auto",
            future_covariates=future or None, quantiles=levels,
            group_column=id_column,
            callbacks=[EpochProgressBar("training", disable=args.quiet)])
        return model.fit(X[mask], y[mask])

    model = fitted(pos + args.horizon < n_train)  # targets inside the training part
    train_rows = trained_on(rows, "train", id_column)
    in_train = (rows["pos"] < rows["train"]).to_numpy()
    scale = float(frame[target][in_train].std()) or 1.0
    if args.test_fraction:
        test = np.flatnonzero((pos >= n_train) & (pos + args.horizon < history))
        pred = model.predict(X)[test]
        score = errors(np.asarray(y, dtype=float)[test], pred, scale)
        what = "median forecasts" if levels is not None else "forecasts"
        print(f"{target}: backtest on {len(test)} {what} of {args.horizon} "
              f"steps after training on {train_rows}, tags "
              f"{model._tag_method() or 'none'}: MSE {score['MSE']:.4g}  "
              f"MAE {score['MAE']:.4g} (data units); scaled MSE "
              f"{score['scaled MSE']:.4f}  MAE {score['scaled MAE']:.4f}")
        if not args.no_refit:
            model = fitted(pos + args.horizon < history)
            train_rows = trained_on(rows, "history", id_column)
    table = model.forecast(frame)
    if args.non_negative:
        columns = [c for c in table.columns if c == "prediction" or is_level(c)]
        table[columns] = table[columns].clip(lower=0)
    output = args.output or args.out / "forecast.csv"
    output.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(output, index=False)
    if not args.quiet:
        print(f"forecast of {args.horizon} steps after the last known target, "
              f"from the model trained on {train_rows} -> {output}")
    args.out.mkdir(parents=True, exist_ok=True)
    shown = frame if id_column is None else frame[
        frame[id_column] == frame[id_column].iloc[0]]
    known = np.flatnonzero(shown[target].notna().to_numpy())
    fig = plotting.plot_future(
        shown[target].iloc[:known[-1] + 1], table,
        series=None if id_column is None else shown[id_column].iloc[0],
        title=f"{target}: history and forecast" + (
            "" if id_column is None else f" (series {shown[id_column].iloc[0]})"))
    save_figure(fig, args.out / "forecast.png")
    if args.save_model is not None:
        import joblib

        joblib.dump(model, args.save_model)
    return 0


def row_positions(frame: pd.DataFrame, target: str, id_column: str | None,
                  test_fraction: float) -> pd.DataFrame:
    """For each row (positionally): its position in its series, the length of
    its series' history (up to the last known target) and of its training
    part (the history less the held-out tail)."""
    labels = (np.zeros(len(frame), dtype=int) if id_column is None
              else frame[id_column].to_numpy())
    rows = pd.DataFrame({"series": labels,
                         "known": frame[target].notna().to_numpy()})
    rows["pos"] = rows.groupby("series", sort=False).cumcount()
    last = rows["pos"].where(rows["known"]).groupby(rows["series"],
                                                     sort=False).transform("max")
    rows["history"] = last.fillna(-1).astype(int) + 1
    rows["train"] = rows["history"] - (rows["history"] * test_fraction).astype(int)
    return rows


def trained_on(rows: pd.DataFrame, part: str, id_column: str | None) -> str:
    """Which rows a model trained on, in words."""
    first = rows.groupby("series", sort=False)[part].first()
    if id_column is None:
        return f"rows 1-{int(first.iloc[0])}"
    what = "every known target" if part == "history" else "the first part"
    return f"{what} of {len(first)} series ({int(first.sum())} rows)"


def check_lengths(rows: pd.DataFrame, args: argparse.Namespace) -> None:
    """A horizon or look-back that the data cannot hold is an error before
    any training."""
    per_series = rows.groupby("series", sort=False)[["history", "train"]].first()
    shortest = per_series.loc[per_series["history"].idxmin()]
    n_history, n_train = int(shortest["history"]), int(shortest["train"])
    if args.horizon >= n_history:
        raise UserError(f"horizon {args.horizon} is longer than the data "
                        f"({n_history} rows with a known target); pass a "
                        "smaller --horizon")
    if args.test_fraction and n_history - n_train <= args.horizon:
        raise UserError(
            f"the held-out tail ({n_history - n_train} rows, --test-fraction "
            f"{args.test_fraction}) is not longer than the horizon "
            f"{args.horizon}; raise --test-fraction, or pass --test-fraction 0 "
            "to skip the backtest")
    if n_train < args.lookback + args.horizon:
        raise UserError(
            f"the training rows ({n_train}) are fewer than --lookback "
            f"{args.lookback} + --horizon {args.horizon}; pass a smaller "
            "--lookback or --horizon")


def check_future_rows(frame: pd.DataFrame, rows: pd.DataFrame, future: list[str],
                      horizon: int, id_column: str | None) -> None:
    """The future covariates must be known over the whole horizon after the
    last known target, checked before any training."""
    if not future:
        return
    after = ((rows["pos"] >= rows["history"])
             & (rows["pos"] < rows["history"] + horizon)).to_numpy()
    filled = after & frame[future].notna().all(axis=1).to_numpy()
    counts = pd.Series(filled).groupby(rows["series"].to_numpy(), sort=False).sum()
    short = counts[counts < horizon]
    if len(short):
        series = "" if id_column is None else f" of series {short.index[0]!r}"
        raise UserError(
            f"--future-covariates {','.join(future)}: the forecast needs their "
            f"values in the {horizon} rows after the last known target{series}, "
            f"and {int(short.iloc[0])} such rows have them; add the horizon's "
            "rows (target left empty) to the file or give them with "
            "--future-file, or leave out --future-covariates")


def append_future_rows(series: Series, path: Path, args: argparse.Namespace
                       ) -> tuple[pd.DataFrame, list[str]]:
    """The data's rows and, after them, those of ``--future-file`` (the
    horizon's covariates, read like the data; the target left empty); and
    the covariates the file holds."""
    frame, target = series.frame, series.target
    future = read_series(path, argparse.Namespace(
        **{**vars(args), "target": target, "max_rows": None, "freq": None}),
        future=True).frame
    unknown = [c for c in future.columns if c not in frame.columns]
    if unknown:
        raise UserError(f"{path}: column(s) {', '.join(unknown)} are not in the "
                        "data file")
    if target in future.columns and future[target].notna().any():
        raise UserError(f"{path}: the future rows hold values of the target "
                        f"{target!r}; leave it out or empty")
    if isinstance(frame.index, pd.DatetimeIndex) != isinstance(
            future.index, pd.DatetimeIndex):
        raise UserError(f"{path}: the future rows need the data's time column")
    covariates = [c for c in future.columns if c not in (target, series.id_column)]
    joined = pd.concat([frame, future.reindex(columns=frame.columns)])
    if not isinstance(joined.index, pd.DatetimeIndex):
        return joined.reset_index(drop=True), covariates
    joined = in_time_order(joined, series.id_column, True, csv=False,
                           quiet=True)
    return regular_steps(joined, series.id_column, None), covariates


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
    if args.tags_file is None:
        raise UserError("compare FILE needs --tags-file with the columns' tags")
    series = read_series(args.file, args)
    if series.id_column is not None:
        raise UserError(f"compare reads one series; {series.id_column!r} looks "
                        "like the id column of several: pick one series, or "
                        f"leave the column out with --drop {series.id_column}")
    frame, target = series.frame, series.target
    tags = read_tags(args.tags_file, [c for c in frame.columns if c != target])
    return frame, tags, target, str(args.file)


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
    scale = float(np.nanstd(y.iloc[splits[0][0]].to_numpy())) or 1.0
    say = (lambda *a: None) if args.quiet else print
    hidden = ", its own past hidden" if args.target_history == "hide" else ""
    say(f"Comparing {len(methods)} configurations x {args.folds} folds on "
        f"{source}: {len(X)} rows, target {target}{hidden}, horizon "
        f"{args.horizon}; scored by the MSE of the median forecast")
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
                    tag_embedding=None if method == "none" else method,
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
    say(f"{ranking_verdict(table, spread_of)}; plots written to {args.out}/")
    return 0


def ranking_verdict(table: pd.DataFrame, spread_of: str) -> str:
    """The best configuration, unless the runner-up is closer to it than the
    spread of either over seeds (or folds): then the ranking is noise."""
    best = table["name"].iloc[0]
    if len(table) < 2:
        return f"best: {best}"
    first, second = table.iloc[0], table.iloc[1]
    gap = (second["mean"] - first["mean"]) / first["mean"]
    spread = max(first["std"], second["std"]) / first["mean"]
    if gap >= spread:
        return f"best: {best}"
    close = table[table["mean"] - first["mean"] < spread * first["mean"]]
    return (f"no clear best, the ranking is inside the noise: '{best}' leads "
            f"'{second['name']}' by {100 * gap:.1f}% while the MSE spreads "
            f"{100 * spread:.1f}% over {spread_of} ({', '.join(close['name'])} "
            "are within that spread; more --seeds or --folds would tell)")


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
    save_figure(fig, args.out / "comparison.png")
    best = table["name"].iloc[0]
    mapped = best if best != "none" else next(
        (m for m in table["name"] if m != "none"), None)
    if mapped is not None:
        model = last_fold[mapped][0]
        fig = plotting.plot_tag_embeddings(model.tag_embeddings_, method=args.map,
                                           random_state=args.seed)
        fig.axes[0].set_title(f"Tag embeddings of '{mapped}' ({args.map})")
        save_figure(fig, args.out / "embedding_map.png")
    if importance is not None:
        fig = plotting.plot_tag_importance(importance, title=f"Which tags matter "
                                           f"to '{mapped}'")
        save_figure(fig, args.out / "tag_importance.png")
        model = last_fold[mapped][0]
        categorical = [c for c, dtype in model.feature_tags.dtypes.items()
                       if not pd.api.types.is_bool_dtype(dtype)
                       and not pd.api.types.is_numeric_dtype(dtype)][:2]
        if categorical and len(model.variable_embeddings_) >= 2:
            fig = plotting.plot_variable_embeddings(
                model, model.feature_tags, by=tuple(categorical), method=args.map,
                random_state=args.seed)
            save_figure(fig, args.out / "variable_map.png")
    model, pred, rows, _ = last_fold[best]
    fig = plotting.plot_forecast(y.to_numpy()[rows], pred, index=X.index[rows],
                                 title=f"{target}, 1 step ahead, method '{best}' "
                                       "(last fold)", max_points=500)
    save_figure(fig, args.out / "forecast.png")
