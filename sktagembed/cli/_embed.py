"""``sktagembed embed`` and ``sktagembed demo``: tag tables to embeddings."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ..exceptions import InputError
from ._common import UserError, read_table
from ._progress import EpochProgressBar
from ._table_stream import (
    TableChunkWriter,
    count_rows,
    data_file_format,
    iter_table_chunks,
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
    from ..embedding._transformer import TagEmbeddingTransformer

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
    from ..embedding._schema import NonBinaryTagError

    if isinstance(exc, NonBinaryTagError):
        return (f"tag column {exc.column!r} holds the value {exc.value} at row "
                f"{exc.row}; tag columns must be 0/1: fix the file, or pass "
                "--weighted to read non-negative values as tag weights")
    return str(exc)


def load_embedding_model(path: Path):
    """A fitted TagEmbeddingTransformer saved by ``--save-model``."""
    import joblib

    from ..embedding._transformer import TagEmbeddingTransformer

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


def run_demo(args: argparse.Namespace) -> int:
    from ..datasets import load_etth1
    from ..embedding._transformer import TagEmbeddingTransformer

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
