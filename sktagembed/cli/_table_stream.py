"""Reading and writing CSV or Parquet tables chunk by chunk.

The command line embeds tables larger than memory with these: only one chunk
of rows is held at a time. Parquet goes through pyarrow (``iter_batches`` and
``ParquetWriter``), CSV through pandas' chunked reader.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from .._utils.optional import import_optional
from ..exceptions import InputValueError

PARQUET_SUFFIXES = (".parquet", ".pq")


def data_file_format(path: Path) -> str:
    """``"csv"`` or ``"parquet"`` from the file name."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    raise InputValueError(
        f"{path}: unsupported file type {suffix!r}; use .csv or .parquet"
    )


def _pyarrow_parquet():
    return import_optional("pyarrow.parquet", "Reading or writing Parquet files")


def count_rows(path: Path) -> int | None:
    """Rows of a Parquet file from its footer; None for CSV (unknown)."""
    if data_file_format(path) != "parquet":
        return None
    return _pyarrow_parquet().ParquetFile(path).metadata.num_rows


def iter_table_chunks(path: Path, chunk_size: int) -> Iterator[pd.DataFrame]:
    """Frames of at most ``chunk_size`` rows, in file order, with a running
    RangeIndex (the rows' positions in the file)."""
    first_row = 0
    if data_file_format(path) == "csv":
        chunks = pd.read_csv(path, chunksize=chunk_size)
    else:
        parquet = _pyarrow_parquet().ParquetFile(path)
        chunks = (batch.to_pandas()
                  for batch in parquet.iter_batches(batch_size=chunk_size))
    for chunk in chunks:
        chunk.index = pd.RangeIndex(first_row, first_row + len(chunk))
        first_row += len(chunk)
        yield chunk


class TableChunkWriter:
    """Write frames one after another into one CSV or Parquet file.

    The first frame fixes the columns (and, for Parquet, the schema); every
    later frame is written with the same ones. Rows go to a ``.partial`` file
    beside ``path``, renamed to ``path`` when the ``with`` block ends without
    an error and removed when it raises: a failed or interrupted run never
    leaves a truncated table that looks finished.

    Parameters
    ----------
    path : Path
        Output file; ``.csv`` or ``.parquet``.
    """

    def __init__(self, path: Path):
        self.path = path
        self.format = data_file_format(path)
        self.partial_path = path.with_name(path.name + ".partial")
        self._parquet_writer = None
        self._schema = None
        self.n_rows = 0

    def write(self, frame: pd.DataFrame) -> None:
        if self.format == "csv":
            frame.to_csv(self.partial_path, mode="w" if self.n_rows == 0 else "a",
                         header=self.n_rows == 0, index=False)
        else:
            import pyarrow as pa

            if self._parquet_writer is None:
                table = pa.Table.from_pandas(frame, preserve_index=False)
                self._schema = table.schema
                self._parquet_writer = _pyarrow_parquet().ParquetWriter(
                    self.partial_path, self._schema)
            else:
                table = pa.Table.from_pandas(frame, schema=self._schema,
                                             preserve_index=False)
            self._parquet_writer.write_table(table)
        self.n_rows += len(frame)

    def _close_parquet(self) -> None:
        if self._parquet_writer is not None:
            self._parquet_writer.close()
            self._parquet_writer = None

    def __enter__(self) -> TableChunkWriter:
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        self._close_parquet()
        if exc_type is None and self.partial_path.exists():
            self.partial_path.replace(self.path)
        else:
            self.partial_path.unlink(missing_ok=True)
