"""The ``sktagembed`` command line.

Every sub-command reads files, runs a documented piece of the Python API and
writes files. User errors (a missing file, an unknown column, no tag columns,
non-binary tag values) print one line and exit with status 2, no traceback.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ._optional import import_optional
from ._progress import EpochProgressBar
from ._table_stream import (
    TableChunkWriter,
    count_rows,
    data_file_format,
    iter_table_chunks,
)
from .exceptions import InputError, OptionalDependencyError

EXIT_USAGE = 2
#: What ``sktagembed`` with no sub-command runs.
DEFAULT_COMMAND = "compare"


class UserError(Exception):
    """An error in what the user asked for, reported as one line."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv = [DEFAULT_COMMAND, *argv]
    args = parser.parse_args(argv)
    try:
        check_options_used(args)
        return args.run(fill_defaults(args))
    # Only errors that blame the input become one-line messages; anything
    # else is a bug and keeps its traceback.
    except (UserError, InputError, OptionalDependencyError, OSError) as exc:
        print(f"sktagembed: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sktagembed",
        description="Feature-group (tag) embeddings for scikit-learn.",
    )
    sub = parser.add_subparsers(dest="command")

    embed = sub.add_parser(
        "embed",
        help="append learned tag embeddings (embed_* columns) to a table",
        description=(
            "Read a CSV or Parquet table, find its tag columns, fit a "
            "TagEmbeddingTransformer and write the table with embed_* "
            "columns appended."
        ),
    )
    embed.add_argument("file", type=Path, help="input table (.csv or .parquet)")
    embed.add_argument("-o", "--output", type=Path, required=True,
                       help="output table (.csv or .parquet)")
    add_embedding_options(embed)
    embed.add_argument("--tags", default=None,
                       help="tag columns: a column-name prefix or a comma-"
                            "separated list (default: every boolean 0/1 column)")
    embed.add_argument("--target", default=None,
                       help="column to train the embedding on (supervised)")
    embed.add_argument("--weighted", action="store_true", default=None,
                       help="read non-negative tag values as weights instead "
                            "of requiring 0/1")
    embed.add_argument("--drop-tags", action="store_true",
                       help="leave the tag columns out of the output")
    embed.add_argument("--save-model", type=Path, default=None,
                       help="save the fitted transformer with joblib")
    embed.add_argument("--model", type=Path, default=None,
                       help="embed with a transformer saved by --save-model "
                            "instead of fitting one (loading runs pickled code:"
                            " only load files you trust)")
    embed.add_argument("--chunk-size", type=positive_int, default=None,
                       help="stream the table in chunks of this many rows, so "
                            "memory stays bounded for tables larger than it "
                            "(default: read the whole table)")
    embed.add_argument("--fit-rows", type=positive_int, default=None,
                       help="with --chunk-size: fit on the first this many rows "
                            "(default: the first chunk)")
    add_common_options(embed)
    embed.set_defaults(run=run_embed)

    compare = sub.add_parser(
        "compare",
        help="cross-validate TimeXer with each tag method (the main job)",
        description=(
            "Cross-validate TimeXerRegressor with each tag method and without "
            "tags on a time-series split, print a ranked table and write "
            "plots. Without FILE: the bundled ETTh1 data with its tags."
        ),
    )
    compare.add_argument("file", type=Path, nargs="?", default=None,
                         help="time series table (.csv or .parquet); a 'date' "
                              "column becomes the time index")
    compare.add_argument("--target", default=None,
                         help="column to forecast (default: OT for ETTh1)")
    compare.add_argument("--tags-file", type=Path, default=None,
                         help="tag table of the exogenous columns (first column:"
                              " column name)")
    compare.add_argument("--methods", nargs="+", default=None,
                         help="methods to compare; 'none' is plain TimeXer "
                              "(default: none and every method but pretrained)")
    compare.add_argument("--folds", type=int, default=3,
                         help="time-series cross-validation folds (default: 3)")
    compare.add_argument("--out", type=Path, default=Path("sktagembed-compare"),
                         help="folder for the plots (default: sktagembed-compare)")
    compare.add_argument("--map", choices=["pca", "tsne"], default="pca",
                         help="embedding map of the best method (default: pca)")
    add_forecast_options(compare, epochs=8)
    add_common_options(compare)
    compare.set_defaults(run=run_compare)

    forecast = sub.add_parser(
        "forecast",
        help="fit TimeXer, forecast the held-out tail, report MSE/MAE",
    )
    forecast.add_argument("file", type=Path, help="time series table")
    forecast.add_argument("--target", required=True, help="column to forecast")
    forecast.add_argument("--tags-file", type=Path, default=None,
                          help="tag table of the exogenous columns")
    forecast.add_argument("--tag-method", default=None,
                          help="tag method (with --tags-file; default: sum)")
    forecast.add_argument("--test-fraction", type=float, default=0.2,
                          help="held-out tail of the rows (default: 0.2)")
    forecast.add_argument("--save-model", type=Path, default=None,
                          help="save the fitted model with joblib")
    forecast.add_argument("--out", type=Path, default=Path("sktagembed-forecast"),
                          help="folder for the plot")
    add_forecast_options(forecast, epochs=5)
    add_common_options(forecast)
    forecast.set_defaults(run=run_forecast)

    demo = sub.add_parser(
        "demo", help="embed the bundled ETTh1 tag table"
    )
    add_common_options(demo)
    demo.set_defaults(run=run_demo)
    return parser


def add_forecast_options(parser: argparse.ArgumentParser, *, epochs: int) -> None:
    parser.add_argument("--horizon", type=int, default=24,
                        help="steps ahead to forecast (default: 24)")
    parser.add_argument("--lookback", type=int, default=96,
                        help="window length (default: 96)")
    parser.add_argument("--patch-len", type=int, default=16,
                        help="patch length, divides the lookback (default: 16)")
    parser.add_argument("--d-model", type=int, default=32,
                        help="TimeXer width (default: 32)")
    parser.add_argument("--epochs", type=int, default=epochs,
                        help=f"training epochs (default: {epochs})")
    parser.add_argument("--max-rows", type=int, default=None,
                        help="use only the last rows of the file")


#: Defaults of the options that only shape a fit, so that ``embed --model``
#: can tell which of them a user set (and would see ignored).
FIT_DEFAULTS = {"method": "sum", "dim": 16, "epochs": 50, "device": "auto",
                "seed": 0}


def add_embedding_options(parser: argparse.ArgumentParser) -> None:
    from .nn import METHODS

    parser.add_argument("--method", default=None, choices=METHODS,
                        help="embedding method (default: sum)")
    parser.add_argument("--dim", type=int, default=None,
                        help="embedding dimension (default: 16)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="training epochs (default: 50)")


def add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quiet", action="store_true",
                        help="print only results and errors")
    parser.add_argument("--device", default=None,
                        help="torch device: auto, cpu, cuda (default: auto)")
    parser.add_argument("--seed", type=int, default=None,
                        help="random seed (default: 0)")


def fill_defaults(args: argparse.Namespace) -> argparse.Namespace:
    """Put the default of every fit option the user left unset."""
    for name, default in FIT_DEFAULTS.items():
        if getattr(args, name, default) is None:
            setattr(args, name, default)
    return args


def check_options_used(args: argparse.Namespace) -> None:
    """Options that the chosen command would ignore are errors."""
    if getattr(args, "model", None) is not None:
        ignored = [f"--{name.replace('_', '-')}" for name in
                   ("method", "dim", "epochs", "target", "tags", "device",
                    "seed", "save_model", "weighted")
                   if getattr(args, name) is not None]
        if ignored:
            raise UserError(
                f"{', '.join(ignored)} cannot be used with --model, which embeds "
                "with the saved transformer as it was fitted"
            )
    if getattr(args, "command", None) == "compare" and args.file is None and (
            args.tags_file is not None):
        raise UserError(
            "--tags-file needs a data FILE; without one, compare runs on the "
            "bundled data set with its own tags"
        )


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


# -- file input/output -------------------------------------------------------


def read_table(path: Path) -> pd.DataFrame:
    """A whole CSV or Parquet table; unreadable files are user errors."""
    if not path.exists():
        raise UserError(f"file not found: {path}")
    if data_file_format(path) == "csv":
        try:
            return pd.read_csv(path)
        except (ValueError, UnicodeDecodeError) as exc:  # pandas' ParserError
            raise UserError(f"{path}: not a readable CSV file ({exc})") from exc
    import_optional("pyarrow", "Reading Parquet files")
    try:
        return pd.read_parquet(path)
    except (ValueError, OSError) as exc:  # pyarrow's ArrowInvalid, ArrowIOError
        raise UserError(f"{path}: not a readable Parquet file ({exc})") from exc


def find_tag_columns(frame: pd.DataFrame, spec: str | None,
                     exclude: Sequence[str] = ()) -> list[str]:
    """Tag columns named by ``spec`` (prefix or list), or every 0/1 column."""
    if spec is not None:
        names = [name.strip() for name in spec.split(",") if name.strip()]
        if len(names) > 1 or (names and names[0] in frame.columns):
            missing = [name for name in names if name not in frame.columns]
            if missing:
                raise UserError(f"unknown tag column(s): {', '.join(missing)}")
            return names
        columns = [c for c in frame.columns if str(c).startswith(spec)]
        if not columns:
            raise UserError(f"no column starts with the tag prefix {spec!r}")
        return columns
    candidates = [column for column in frame.columns if column not in exclude]
    columns = [column for column in candidates if _is_binary(frame[column])]
    for column in candidates:
        stray = _stray_value(frame[column])
        if stray is not None:
            value, row = stray
            print(f"sktagembed: warning: column {column!r} is 0/1 but for the "
                  f"value {value} at row {row}, so it is not read as a tag; fix "
                  "the file, or name the tag columns with --tags (and pass "
                  "--weighted to read weights)", file=sys.stderr)
    if not columns:
        raise UserError(
            "no tag columns found: no column holds only 0/1 or true/false "
            "values; name them with --tags"
        )
    return columns


def _stray_value(series: pd.Series) -> tuple[object, int] | None:
    """The first value and row that keep a mostly 0/1 numeric column (at
    least half of its values) from being a tag column; None otherwise."""
    if pd.api.types.is_bool_dtype(series.dtype) or not (
            pd.api.types.is_numeric_dtype(series.dtype)):
        return None
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    known = ~np.isnan(values)
    binary = np.isin(values, (0, 1))
    n_known = int(known.sum())
    if n_known == 0 or binary.sum() == n_known or binary.sum() * 2 < n_known:
        return None
    row = int(np.flatnonzero(known & ~binary)[0])
    value = values[row]
    return (int(value) if float(value).is_integer() else value), row


def _is_binary(series: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(series.dtype):
        return True
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.dropna().unique()
        return len(values) > 0 and np.isin(values, (0, 1)).all()
    return False


# -- commands ----------------------------------------------------------------


def run_embed(args: argparse.Namespace) -> int:
    if not args.file.exists():
        raise UserError(f"file not found: {args.file}")
    if args.output.resolve() == args.file.resolve():
        raise UserError("the output file must differ from the input file")
    data_file_format(args.output)  # an unsupported output type fails before fitting
    if args.fit_rows is not None and (args.chunk_size is None or args.model):
        raise UserError("--fit-rows needs --chunk-size and no --model")
    if args.chunk_size is None:
        frame = read_table(args.file)
        chunks, n_rows, head = iter([frame]), len(frame), frame
    else:
        chunks = _read_chunks(args.file, args.chunk_size)
        n_rows = count_rows(args.file)
        head = None if args.model else next(
            _read_chunks(args.file, args.fit_rows or args.chunk_size), None)
    if args.model is not None:
        transformer, tag_columns = load_embedding_model(args.model)
    else:
        transformer, tag_columns = fit_embedding(head, args)
        if args.save_model is not None:
            import joblib

            joblib.dump(transformer, args.save_model)
    transformer.set_output(transform="pandas")

    with TableChunkWriter(args.output) as writer, tqdm(
        total=n_rows, desc="embedding rows", unit="row", unit_scale=True,
        disable=args.quiet or args.chunk_size is None, leave=False,
    ) as bar:
        for chunk in chunks:
            missing = [c for c in tag_columns if c not in chunk.columns]
            if missing:
                raise UserError(f"tag column(s) missing from {args.file}: "
                                f"{', '.join(map(str, missing))}")
            try:
                embedded = transformer.transform(chunk[tag_columns])
            except InputError as exc:
                if args.chunk_size is None:
                    raise UserError(cli_message(exc)) from exc
                # Row numbers in the message count from the chunk's start.
                raise UserError(f"in the chunk of rows {chunk.index[0]}-"
                                f"{chunk.index[-1]} of {args.file}: "
                                f"{cli_message(exc)}") from exc
            kept = chunk.drop(columns=tag_columns) if args.drop_tags else chunk
            writer.write(pd.concat([kept, embedded.set_index(kept.index)], axis=1))
            bar.update(len(chunk))
        if writer.n_rows == 0:
            raise UserError(f"{args.file} holds no rows to embed")
    if not args.quiet:
        how = (f"model {args.model}" if args.model else
               f"method={transformer.method}, dim={transformer.embedding_dim}")
        print(f"embedded {writer.n_rows} rows x {len(tag_columns)} tags with "
              f"{how} -> {args.output}")
    return 0


def _read_chunks(path: Path, chunk_size: int):
    """Chunks of a table, with parse errors reported as user errors."""
    try:
        yield from iter_table_chunks(path, chunk_size)
    except (ValueError, UnicodeDecodeError) as exc:  # pandas/pyarrow parse errors
        raise UserError(f"{path}: not a readable table ({exc})") from exc


def fit_embedding(frame: pd.DataFrame | None, args: argparse.Namespace):
    """Fit the transformer on ``frame``; return it and its tag columns."""
    from .transformer import TagEmbeddingTransformer

    if frame is None or frame.empty:
        raise UserError(f"{args.file} holds no rows to fit on")
    if args.target is not None and args.target not in frame.columns:
        raise UserError(f"unknown target column: {args.target}")
    exclude = [args.target] if args.target else []
    tag_columns = find_tag_columns(frame, args.tags, exclude)
    transformer = TagEmbeddingTransformer(
        args.method,
        embedding_dim=args.dim,
        weighted=bool(args.weighted),
        max_epochs=args.epochs,
        device=args.device,
        random_state=args.seed,
        callbacks=[EpochProgressBar("fitting the embedding", disable=args.quiet)],
    )
    y = None if args.target is None else frame[args.target]
    try:
        transformer.fit(frame[tag_columns], y)
    except InputError as exc:
        raise UserError(cli_message(exc)) from exc
    return transformer, tag_columns


def cli_message(exc: InputError) -> str:
    """An input error in the command line's terms (its options, not the
    Python API's parameters)."""
    from .tags import NonBinaryTagError

    if isinstance(exc, NonBinaryTagError):
        return (f"tag column {exc.column!r} holds the value {exc.value} at row "
                f"{exc.row}; tag columns must be 0/1: fix the file, or pass "
                "--weighted to read non-negative values as tag weights")
    return str(exc)


def load_embedding_model(path: Path):
    """A fitted TagEmbeddingTransformer saved by ``--save-model``."""
    import joblib

    from .transformer import TagEmbeddingTransformer

    if not path.exists():
        raise UserError(f"model file not found: {path}")
    try:
        transformer = joblib.load(path)
    except Exception as exc:  # unpickling a non-model file fails in many ways
        raise UserError(f"{path}: not a saved model ({type(exc).__name__}: "
                        f"{exc})") from exc
    if not isinstance(transformer, TagEmbeddingTransformer):
        raise UserError(
            f"{path} holds a {type(transformer).__name__}, not a fitted "
            "TagEmbeddingTransformer"
        )
    if not hasattr(transformer, "feature_names_in_"):
        raise UserError(f"{path}: the transformer was not fitted on named "
                        "tag columns, so they cannot be found in the table")
    return transformer, list(transformer.feature_names_in_)


def read_series(path: Path, target: str | None, max_rows: int | None
                ) -> pd.DataFrame:
    """A time series table with a DatetimeIndex when it has a date column."""
    frame = read_table(path)
    dates = [c for c in frame.columns if str(c).strip().lower() in ("date", "time",
                                                                    "timestamp")]
    if dates:
        frame = frame.set_index(dates[0])
        frame.index = pd.to_datetime(frame.index)
    frame.columns = [str(c).strip() for c in frame.columns]
    if target is not None and target not in frame.columns:
        raise UserError(f"unknown target column: {target}")
    numeric = frame.select_dtypes("number")
    if len(numeric.columns) < 2:
        raise UserError(
            f"{path}: forecasting needs the target and at least one other numeric "
            "column"
        )
    return numeric.iloc[-max_rows:] if max_rows else numeric


def read_tags(path: Path | None, exogenous: list[str]) -> pd.DataFrame | None:
    if path is None:
        return None
    tags = read_table(path)
    tags = tags.set_index(tags.columns[0])
    tags.index = tags.index.map(str)
    missing = [c for c in exogenous if c not in tags.index]
    if missing:
        raise UserError(f"{path}: no tag row for the columns {', '.join(missing)}")
    return tags


def forecast_model(args: argparse.Namespace, **params):
    from .timexer import TimeXerRegressor

    return TimeXerRegressor(
        args.lookback, patch_len=args.patch_len, d_model=args.d_model,
        n_heads=4, e_layers=1, d_ff=2 * args.d_model, lr=1e-3,
        batch_size=64, max_epochs=args.epochs, device=args.device,
        random_state=args.seed, **params,
    )


def standardised(frame: pd.DataFrame, n_fit_rows: int) -> pd.DataFrame:
    """Scale every column by the statistics of the first ``n_fit_rows`` rows."""
    head = frame.iloc[:n_fit_rows]
    scale = head.std().replace(0, 1.0)
    return ((frame - head.mean()) / scale).astype(np.float32)


def load_plotting():
    """The plotting module on a file-only backend, or a one-line error."""
    import_optional("matplotlib", "Plotting").use("Agg")
    from . import plotting

    return plotting


def run_compare(args: argparse.Namespace) -> int:
    from sklearn.model_selection import TimeSeriesSplit

    from ._forecast_frame import make_forecast_frame
    from .nn import METHODS

    plotting = load_plotting()
    if args.file is None:
        from .datasets import load_etth1

        frame, tags = load_etth1()
        target = args.target or "OT"
        frame = frame.iloc[-args.max_rows:] if args.max_rows else frame
        source = "bundled ETTh1"
    else:
        if args.target is None:
            raise UserError("compare FILE needs --target")
        target = args.target
        frame = read_series(args.file, target, args.max_rows)
        tags = read_tags(args.tags_file, [c for c in frame.columns if c != target])
        if tags is None:
            raise UserError("compare FILE needs --tags-file with the columns' tags")
        source = str(args.file)
    methods = args.methods or ["none", *[m for m in METHODS if m != "pretrained"]]
    unknown = [m for m in methods if m != "none" and m not in METHODS]
    if unknown:
        raise UserError(f"unknown method(s): {', '.join(unknown)}")
    if args.folds < 2:
        raise UserError("--folds must be at least 2")

    splitter = TimeSeriesSplit(args.folds)
    first_train = next(splitter.split(frame))[0]
    frame = standardised(frame, len(first_train))
    X, y = make_forecast_frame(frame, target, args.horizon)
    splits = list(TimeSeriesSplit(args.folds).split(X))
    say = (lambda *a: None) if args.quiet else print
    say(f"Comparing {len(methods)} configurations x {args.folds} folds on "
        f"{source}: {len(X)} rows, target {target}, horizon {args.horizon}")
    rows, last_fold = [], {}
    progress = tqdm(total=len(methods) * len(splits), desc="cross-validating",
                    unit="fit", disable=args.quiet)
    for method in methods:
        scores, seconds = [], []
        for train, test in splits:
            model = forecast_model(
                args, feature_tags=tags,
                tag_method=None if method == "none" else method,
            )
            start = time.perf_counter()
            model.fit(X.iloc[train], y.iloc[train])
            seconds.append(time.perf_counter() - start)
            pred = model.predict(X.iloc[: test[-1] + 1])[test]
            scores.append(float(np.mean((pred - y.to_numpy()[test]) ** 2)))
            progress.update()
        rows.append({"name": method, "mean": np.mean(scores),
                     "std": np.std(scores), "fit_s": np.mean(seconds)})
        last_fold[method] = (model, pred)
    progress.close()
    table = pd.DataFrame(rows).sort_values("mean").reset_index(drop=True)
    table.index += 1
    with pd.option_context("display.precision", 4):
        print(table.rename(columns={"name": "method", "mean": "MSE mean",
                                    "std": "MSE std", "fit_s": "fit s"}))

    args.out.mkdir(parents=True, exist_ok=True)
    fig = plotting.plot_method_comparison(
        table, score_label=f"test MSE, standardised {target} (lower is better)",
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
    model, pred = last_fold[best]
    test = splits[-1][1]
    fig = plotting.plot_forecast(y.to_numpy()[test], pred, index=X.index[test],
                                 title=f"{target}, 1 step ahead, method '{best}' "
                                       "(last fold)", max_points=500)
    fig.savefig(args.out / "forecast.png", dpi=120)
    say(f"best: {best}; plots written to {args.out}/")
    return 0


def run_forecast(args: argparse.Namespace) -> int:
    from ._forecast_frame import make_forecast_frame

    plotting = load_plotting()
    frame = read_series(args.file, args.target, args.max_rows)
    exogenous = [c for c in frame.columns if c != args.target]
    tags = read_tags(args.tags_file, exogenous)
    if args.tag_method is not None and tags is None:
        raise UserError("--tag-method needs --tags-file")
    if not 0 < args.test_fraction < 1:
        raise UserError("--test-fraction must be between 0 and 1")
    n_test = int(len(frame) * args.test_fraction)
    if n_test <= args.horizon:
        raise UserError("the held-out tail is shorter than the horizon")
    n_train = len(frame) - n_test
    frame = standardised(frame, n_train)
    X, y = make_forecast_frame(frame, args.target, args.horizon)
    train = np.arange(len(X)) < n_train - args.horizon
    test = np.arange(len(X)) >= n_train
    method = args.tag_method or ("sum" if tags is not None else None)
    model = forecast_model(
        args, feature_tags=tags, tag_method=method,
        callbacks=[EpochProgressBar("training", disable=args.quiet)],
    )
    model.fit(X[train], y[train])
    pred = model.predict(X)[test]
    truth = y.to_numpy()[test]
    mse = float(np.mean((pred - truth) ** 2))
    mae = float(np.mean(np.abs(pred - truth)))
    print(f"{args.target}: {int(test.sum())} test windows, horizon {args.horizon}, "
          f"tags {method or 'none'}: MSE {mse:.4f}  MAE {mae:.4f} (standardised)")
    args.out.mkdir(parents=True, exist_ok=True)
    fig = plotting.plot_forecast(truth, pred, index=X.index[test],
                                 title=f"{args.target}, 1 step ahead")
    fig.savefig(args.out / "forecast.png", dpi=120)
    if args.save_model is not None:
        import joblib

        joblib.dump(model, args.save_model)
    return 0


def run_demo(args: argparse.Namespace) -> int:
    from .datasets import load_etth1
    from .transformer import TagEmbeddingTransformer

    _, tags = load_etth1()
    transformer = TagEmbeddingTransformer(
        "sum", embedding_dim=4, max_epochs=200, random_state=args.seed,
        device=args.device,
        callbacks=[EpochProgressBar("embedding", disable=args.quiet)],
    ).fit(tags)
    with pd.option_context("display.precision", 3, "display.width", 100):
        print("Tag embeddings learned from the ETTh1 tag table:")
        print(transformer.embeddings_)
        print("\nEmbedding of each ETTh1 load variable:")
        print(pd.DataFrame(transformer.transform(tags), index=tags.index,
                           columns=transformer.get_feature_names_out()))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
