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

import numpy as np
import pandas as pd

from ._progress import EpochProgressBar

EXIT_USAGE = 2
#: What ``sktagembed`` with no sub-command runs.
DEFAULT_COMMAND = "demo"


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
        return args.run(args)
    except UserError as exc:
        print(f"sktagembed: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (ValueError, TypeError, FileNotFoundError) as exc:
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
    embed.add_argument("--drop-tags", action="store_true",
                       help="leave the tag columns out of the output")
    embed.add_argument("--save-model", type=Path, default=None,
                       help="save the fitted transformer with joblib")
    add_common_options(embed)
    embed.set_defaults(run=run_embed)

    demo = sub.add_parser(
        "demo", help="embed the bundled ETTh1 tag table (what `make demo` runs)"
    )
    add_common_options(demo)
    demo.set_defaults(run=run_demo)
    return parser


def add_embedding_options(parser: argparse.ArgumentParser) -> None:
    from .nn import METHODS

    parser.add_argument("--method", default="sum", choices=METHODS,
                        help="embedding method (default: sum)")
    parser.add_argument("--dim", type=int, default=16,
                        help="embedding dimension (default: 16)")
    parser.add_argument("--epochs", type=int, default=50,
                        help="training epochs (default: 50)")


def add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quiet", action="store_true",
                        help="print only results and errors")
    parser.add_argument("--device", default="auto",
                        help="torch device: auto, cpu, cuda (default: auto)")
    parser.add_argument("--seed", type=int, default=0,
                        help="random seed (default: 0)")


# -- file input/output -------------------------------------------------------


def read_table(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise UserError(f"file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return pd.read_csv(path)
    if suffix in (".parquet", ".pq"):
        return _read_parquet(path)
    raise UserError(f"{path}: unsupported file type {suffix!r}; use .csv or .parquet")


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except ImportError as exc:
        raise UserError(
            f"reading {path} needs a Parquet engine: pip install pyarrow"
        ) from exc


def write_table(frame: pd.DataFrame, path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix in (".parquet", ".pq"):
        try:
            frame.to_parquet(path, index=False)
        except ImportError as exc:
            raise UserError(
                f"writing {path} needs a Parquet engine: pip install pyarrow"
            ) from exc
    else:
        raise UserError(
            f"{path}: unsupported output type {suffix!r}; use .csv or .parquet"
        )


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
    columns = [
        column for column in frame.columns
        if column not in exclude and _is_binary(frame[column])
    ]
    if not columns:
        raise UserError(
            "no tag columns found: no column holds only 0/1 or true/false "
            "values; name them with --tags"
        )
    return columns


def _is_binary(series: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(series.dtype):
        return True
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.dropna().unique()
        return len(values) > 0 and np.isin(values, (0, 1)).all()
    return False


# -- commands ----------------------------------------------------------------


def run_embed(args: argparse.Namespace) -> int:
    from .transformer import TagEmbeddingTransformer

    frame = read_table(args.file)
    if args.target is not None and args.target not in frame.columns:
        raise UserError(f"unknown target column: {args.target}")
    exclude = [args.target] if args.target else []
    tag_columns = find_tag_columns(frame, args.tags, exclude)
    y = None if args.target is None else frame[args.target]
    transformer = TagEmbeddingTransformer(
        args.method,
        embedding_dim=args.dim,
        max_epochs=args.epochs,
        device=args.device,
        random_state=args.seed,
        callbacks=[EpochProgressBar("embedding", disable=args.quiet)],
    ).set_output(transform="pandas")
    embedded = transformer.fit_transform(frame[tag_columns], y)
    kept = frame.drop(columns=tag_columns) if args.drop_tags else frame
    result = pd.concat([kept, embedded.set_index(kept.index)], axis=1)
    write_table(result, args.output)
    if args.save_model is not None:
        import joblib

        joblib.dump(transformer, args.save_model)
    if not args.quiet:
        print(
            f"embedded {len(frame)} rows x {len(tag_columns)} tags with "
            f"method={args.method}, dim={args.dim} -> {args.output}"
        )
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
