"""The ``sktagembed`` command line.

Every sub-command reads files, runs a documented piece of the Python API and
writes files. User errors (a missing file, an unknown column, no tag columns,
non-binary tag values) print one line and exit with status 2, no traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ..exceptions import InputError, OptionalDependencyError
from ._common import UserError
from ._embed import run_demo, run_embed
from ._forecast import run_compare, run_forecast
from ._series import add_table_options

EXIT_USAGE = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    if args.command is None:  # a bare ``sktagembed``: the usage, not a job
        parser.print_help()
        return EXIT_USAGE
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
            "plots. Without FILE: a bundled data set with its tags (--dataset)."
        ),
    )
    compare.add_argument("file", type=Path, nargs="?", default=None,
                         help="time series table (.csv or .parquet); a time "
                              "column (ds, date, time, timestamp ...) becomes "
                              "the time index")
    compare.add_argument("--dataset", choices=["appliances", "etth1"],
                         default=None,
                         help="bundled data set to use without FILE (default: "
                              "appliances, the UCI Appliances energy data)")
    compare.add_argument("--target", default=None,
                         help="column to forecast (default: a column named y; "
                              "on bundled data T2, the living-room "
                              "temperature, for appliances, OT for etth1)")
    compare.add_argument("--tags-file", type=Path, default=None,
                         help="tag table of the exogenous columns (first column:"
                              " column name)")
    compare.add_argument("--methods", nargs="+", default=None,
                         help="methods to compare; 'none' is plain TimeXer "
                              "(default: none and every method but pretrained)")
    compare.add_argument("--folds", type=int, default=3,
                         help="time-series cross-validation folds (default: 3)")
    compare.add_argument("--seeds", type=positive_int, default=None,
                         help="seeds per method, from --seed on; the table shows "
                              "their spread (default: 1; 3 on bundled data)")
    compare.add_argument("--out", type=Path, default=Path("sktagembed-compare"),
                         help="folder for the plots (default: sktagembed-compare)")
    compare.add_argument("--map", choices=["pca", "tsne"], default="pca",
                         help="embedding map of the best method (default: pca)")
    compare.add_argument("--target-history", choices=["keep", "hide"],
                         default=None,
                         help="'hide': the target's own past is missing, as when "
                              "its sensor is down, so the forecast rests on the "
                              "other (tagged) columns (default: keep; hide on "
                              "bundled appliances)")
    add_forecast_options(compare, epochs=8)
    add_table_options(compare, panels=False)
    add_common_options(compare)
    compare.set_defaults(run=run_compare)

    forecast = sub.add_parser(
        "forecast",
        help="fit TimeXer, score a backtest, forecast past the end of the data",
        description=(
            "Fit TimeXer on a table in its own units, score a backtest on the "
            "held-out tail, and write the forecast of the steps after the last "
            "known target (the median and, by default, the nine deciles, "
            "which draw a 10-90% interval) and a plot. Rows after the last "
            "known target may hold the future covariates of the horizon."
        ),
    )
    forecast.add_argument("file", type=Path, help="time series table")
    forecast.add_argument("--target", default=None,
                          help="column to forecast (default: a column named y)")
    forecast.add_argument("--future-covariates", default=None,
                          help="comma-separated columns known over the horizon "
                               "(their horizon values in the rows after the "
                               "last known target, or in --future-file)")
    forecast.add_argument("--future-file", type=Path, default=None,
                          help="table of the horizon's rows: the time column "
                               "and the future covariates, read like FILE; "
                               "without --future-covariates, its columns are "
                               "the future covariates")
    forecast.add_argument("--quantiles", default=None,
                          help="comma-separated quantile levels, e.g. "
                               "0.05,0.5,0.95, or 'none' for a point forecast "
                               "trained on the squared error (default: the "
                               "nine deciles 0.1,...,0.9)")
    forecast.add_argument("-o", "--output", type=Path, default=None,
                          help="forecast table (.csv; default: OUT/forecast.csv)")
    forecast.add_argument("--tags-file", type=Path, default=None,
                          help="tag table of the exogenous columns")
    forecast.add_argument("--tag-method", default=None,
                          help="tag method (with --tags-file; default: sum)")
    forecast.add_argument("--test-fraction", type=float, default=0.2,
                          help="held-out tail of the history for the backtest; "
                               "0 skips the backtest (default: 0.2)")
    forecast.add_argument("--no-refit", action="store_true",
                          help="forecast with the backtest's model, trained "
                               "without the held-out tail (default: refit on "
                               "every row for the final forecast)")
    forecast.add_argument("--non-negative", action="store_true",
                          help="clip the forecast and its interval at 0, for "
                               "a quantity that cannot be negative")
    forecast.add_argument("--save-model", type=Path, default=None,
                          help="save the fitted model with joblib")
    forecast.add_argument("--out", type=Path, default=Path("sktagembed-forecast"),
                          help="folder for the plot (and the table)")
    add_forecast_options(forecast, epochs=5)
    add_table_options(forecast)
    add_common_options(forecast)
    forecast.set_defaults(run=run_forecast)

    demo = sub.add_parser(
        "demo", help="embed the bundled ETTh1 tag table"
    )
    add_common_options(demo)
    demo.set_defaults(run=run_demo)
    return parser


#: Defaults of the forecasting options; ``compare`` on bundled data sets its
#: own (``_cli_forecast.BUNDLED``), so these stay None until filled.
FORECAST_DEFAULTS = {"horizon": 24, "lookback": 96, "patch_len": 16}


def add_forecast_options(parser: argparse.ArgumentParser, *, epochs: int) -> None:
    parser.add_argument("--horizon", type=int, default=None,
                        help="steps ahead to forecast (default: 24)")
    parser.add_argument("--lookback", type=int, default=None,
                        help="window length (default: 96)")
    parser.add_argument("--patch-len", type=int, default=None,
                        help="patch length, divides the lookback (default: 16)")
    parser.add_argument("--d-model", type=int, default=32,
                        help="TimeXer width (default: 32)")
    parser.add_argument("--epochs", type=int, default=None,
                        help=f"training epochs (default: {epochs})")
    parser.set_defaults(default_epochs=epochs)
    parser.add_argument("--max-rows", type=int, default=None,
                        help="use only the last rows of the file")


#: Defaults of the options that only shape a fit, so that ``embed --model``
#: can tell which of them a user set (and would see ignored).
FIT_DEFAULTS = {"method": "sum", "dim": 16, "epochs": 50, "device": "auto",
                "seed": 0}


def add_embedding_options(parser: argparse.ArgumentParser) -> None:
    from ..nn import METHODS

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
    """Put the default of every option the user left unset: on a bundled
    data set ``compare``'s own, else the general ones."""
    defaults = dict(FIT_DEFAULTS)
    if hasattr(args, "default_epochs"):
        defaults.update(FORECAST_DEFAULTS, epochs=args.default_epochs, seeds=1)
        if getattr(args, "command", None) == "compare":
            defaults["target_history"] = "keep"
        if getattr(args, "command", None) == "compare" and args.file is None:
            from ._forecast import BUNDLED

            defaults.update(BUNDLED[args.dataset or "appliances"].defaults)
    for name, default in defaults.items():
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
    table_options = [f"--{name.replace('_', '-')}" for name in
                     ("time_column", "time_columns", "dayfirst", "freq", "drop",
                      "id_column") if getattr(args, name, None)]
    if getattr(args, "command", None) == "compare" and args.file is None and (
            table_options):
        raise UserError(f"{', '.join(table_options)} read a data FILE; without "
                        "one, compare runs on the bundled data set")
    if getattr(args, "command", None) == "compare" and args.file is None and (
            args.tags_file is not None):
        raise UserError(
            "--tags-file needs a data FILE; without one, compare runs on the "
            "bundled data set with its own tags"
        )
    if getattr(args, "command", None) == "compare" and args.file is not None and (
            args.dataset is not None):
        raise UserError("--dataset picks bundled data; it cannot go with a FILE")


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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
