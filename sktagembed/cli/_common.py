"""What the command line's sub-commands share: user errors, tables, plots."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .._utils.optional import import_optional
from ._table_stream import data_file_format


class UserError(Exception):
    """An error in what the user asked for, reported as one line."""


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


def load_plotting():
    """The plotting module on a file-only backend, or a one-line error."""
    import_optional("matplotlib", "Plotting").use("Agg")
    from .. import plotting

    return plotting




def save_figure(fig, path: Path) -> None:
    """Write a figure and close it, so that runs in one process do not
    accumulate open figures."""
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=120)
    plt.close(fig)
