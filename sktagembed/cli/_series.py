"""Reading a time-series table for ``forecast`` and ``compare``.

A table as people keep it: a time column under one of the usual names (or
split into year/month/day/hour columns), missing cells spelled ``NA``,
``missing`` or ``-``, rows newest first, an id or text column beside the
numbers, a long table of many series (``unique_id``, ``ds``, ``y``). Each
problem the forecaster cannot work around is a :class:`UserError` naming the
value, its row and column and the option that fixes it; each one it works
around (rows sorted, a text column left out) is said on stderr.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..forecasting._long_format import irregular_step
from ..forecasting._time_index import _infer_frequency, fill_time_gaps
from ._common import UserError, read_table
from ._table_stream import data_file_format

#: Column names read as the time column, compared lower-cased; ``ds`` is the
#: convention of Nixtla's libraries.
TIME_COLUMNS = ("ds", "date", "time", "timestamp", "datetime", "date_time",
                "time_stamp", "dt", "period")
#: Column names read as the series id of a long table.
ID_COLUMNS = ("unique_id",)
#: The target when ``--target`` is not given (Nixtla's convention).
DEFAULT_TARGET = "y"
#: Cell spellings read as missing, compared stripped and lower-cased; pandas
#: already reads its own list (``NA``, ``N/A``, ``null``, ``NaN``, ...).
NA_SPELLINGS = frozenset({
    "", "na", "n/a", "n.a.", "nan", "-nan", "null", "none", "nil", "missing",
    "-", "--", "?", ".", "#n/a", "#na", "<na>", "#value!", "#div/0!"})
#: Parts of a split date, in the names pandas' ``to_datetime`` reads.
DATE_PARTS = ("year", "month", "day", "hour", "minute", "second")


@dataclass
class Series:
    """A table ready for the forecaster: numeric columns, a time index
    (or a RangeIndex), and for a long table its series-id column."""

    frame: pd.DataFrame
    target: str
    id_column: str | None = None
    notes: list[str] = field(default_factory=list)


def note(text: str) -> None:
    """Something the reader worked around, said once on stderr."""
    print(f"sktagembed: note: {text}", file=sys.stderr)


def add_table_options(parser: argparse.ArgumentParser, *,
                      panels: bool = True) -> None:
    """The options that say how to read a time-series table (``panels``:
    also a long table of many series)."""
    group = parser.add_argument_group("reading the table")
    group.add_argument("--time-column", default=None, metavar="NAME",
                       help="the time column (default: the first column named "
                            f"{', '.join(TIME_COLUMNS)}, in any case)")
    group.add_argument("--time-columns", default=None, metavar="COLS",
                       help="a time split over several columns, e.g. "
                            "year,month,day,hour or date,time")
    group.add_argument("--dayfirst", action="store_true",
                       help="read dates like 03/04/2024 as 3 April")
    group.add_argument("--freq", default=None,
                       help="the time step, e.g. h, 15min, D: rows are put on "
                            "this regular grid, missing steps becoming empty "
                            "rows the model masks (default: the rows must "
                            "already be regular)")
    group.add_argument("--drop", default=None, metavar="COLS",
                       help="comma-separated columns to leave out (an id, a "
                            "text or a leaking column)")
    if not panels:
        return
    group.add_argument("--id-column", default=None, metavar="NAME",
                       help="series id of a long table of many series "
                            "(default: a column named unique_id)")


def read_series(path: Path, args: argparse.Namespace, *,
                future: bool = False) -> Series:
    """The numeric columns of a time-series table in time order, on a regular
    time index when it has a time column; rows with an unknown target (the
    horizon's future covariates) are kept. ``future``: a table of the
    horizon's covariates, without the target."""
    frame = read_table(path)
    frame.columns = [str(c).strip() for c in frame.columns]
    csv = data_file_format(path) == "csv"
    dropped = parse_list(getattr(args, "drop", None), frame, "--drop column")
    frame = frame.drop(columns=dropped)
    id_column = pick_id_column(frame, getattr(args, "id_column", None))
    time_columns = pick_time_columns(frame, args)
    target = args.target
    if target is None:
        if DEFAULT_TARGET not in frame.columns:
            raise UserError("--target is needed: name the column to forecast "
                            f"(no column is named {DEFAULT_TARGET!r})")
        target = DEFAULT_TARGET
    if target not in frame.columns and not future:
        raise UserError(f"unknown target column: {target}")
    if target in time_columns or target == id_column:
        raise UserError(f"the target {target!r} is the time or id column")
    index = (parse_time(frame, time_columns, getattr(args, "dayfirst", False),
                        csv) if time_columns else None)
    kept = [c for c in frame.columns if c not in time_columns]
    values = numeric_columns(frame[kept], target, id_column, csv)
    if index is not None:
        values.index = index
    values = in_time_order(values, id_column, index is not None, csv)
    if future:
        return Series(values, target, id_column)
    if index is not None:
        values = regular_steps(values, id_column, getattr(args, "freq", None))
    elif getattr(args, "freq", None) is not None:
        raise UserError("--freq needs a time column (--time-column)")
    others = [c for c in values.columns if c not in (target, id_column)]
    if not others:
        raise UserError(f"{path}: forecasting needs the target and at least one "
                        "other numeric column")
    if values[target].notna().sum() == 0:
        raise UserError(f"the target {target!r} has no known value")
    max_rows = getattr(args, "max_rows", None)
    if max_rows:
        values = (values.groupby(id_column, sort=False).tail(max_rows)
                  if id_column else values.iloc[-max_rows:])
    return Series(values, target, id_column)


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


def pick_id_column(frame: pd.DataFrame, name: str | None) -> str | None:
    if name is not None:
        if name not in frame.columns:
            raise UserError(f"unknown --id-column: {name}")
        return name
    return next((c for c in frame.columns if c.lower() in ID_COLUMNS), None)


def pick_time_columns(frame: pd.DataFrame, args: argparse.Namespace) -> list[str]:
    """The column(s) holding the time: named by an option, else the first
    with a usual name; none for a table of plain rows."""
    one, several = getattr(args, "time_column", None), getattr(
        args, "time_columns", None)
    if one is not None and several is not None:
        raise UserError("--time-column and --time-columns cannot go together")
    if several is not None:
        names = parse_list(several, frame, "--time-columns column")
        if len(names) < 2:
            raise UserError("--time-columns needs two columns or more; use "
                            "--time-column for one")
        return names
    if one is not None:
        return parse_list(one, frame, "--time-column")
    return [c for c in frame.columns if c.lower() in TIME_COLUMNS][:1]


def row_name(row: int, csv: bool) -> str:
    """A data row counted from 1, and for a CSV its line in the file."""
    return f"row {row + 1} (line {row + 2})" if csv else f"row {row + 1}"


def parse_time(frame: pd.DataFrame, columns: list[str], dayfirst: bool,
               csv: bool) -> pd.DatetimeIndex:
    """The timestamps of ``columns``; a cell that is not a date is an error
    naming it."""
    if len(columns) > 1 and all(c.lower() in DATE_PARTS for c in columns):
        parts = frame[columns].rename(columns=str.lower)
        bad = parts.apply(pd.to_numeric, errors="coerce").isna().any(axis=1)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise UserError(f"the time columns {', '.join(columns)} hold a "
                            f"missing or non-numeric part at {row_name(row, csv)}")
        try:
            return pd.DatetimeIndex(pd.to_datetime(parts), name="time")
        except (ValueError, TypeError) as exc:
            raise UserError(f"the time columns {', '.join(columns)} are not a "
                            f"date ({exc})") from exc
    text = frame[columns].astype(str).agg(" ".join, axis=1) if len(
        columns) > 1 else frame[columns[0]]
    name = ", ".join(columns)
    cells = pd.Series(text).astype(object)
    missing = cells.isna() | cells.astype(str).str.strip().str.lower().isin(
        NA_SPELLINGS)
    if missing.any():
        row = int(np.flatnonzero(missing.to_numpy())[0])
        raise UserError(f"the time column {name!r} has no time at "
                        f"{row_name(row, csv)}; fill it in or drop the row")
    if pd.api.types.is_numeric_dtype(frame[columns[0]]) and len(columns) == 1:
        raise UserError(f"the time column {name!r} holds numbers, not dates; "
                        "name the real one with --time-column, or leave it "
                        f"out with --drop {name}")
    parsed = to_dates(cells, dayfirst)
    bad = parsed.isna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        if not dayfirst and not to_dates(cells, True).isna().any():
            raise UserError(f"the time column {name!r} holds day-first dates "
                            f"(such as {cells.iloc[row]!r} at "
                            f"{row_name(row, csv)}); pass --dayfirst")
        mixed = to_dates(cells, dayfirst, mixed=True)  # several formats
        if mixed.isna().any():
            raise UserError(f"the time column {name!r} holds "
                            f"{cells.iloc[row]!r} at {row_name(row, csv)}, "
                            "which is not a date")
        parsed = mixed
    index = pd.DatetimeIndex(parsed, name=columns[0] if len(columns) == 1
                             else "time")
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    return index


def to_dates(cells: pd.Series, dayfirst: bool, mixed: bool = False
             ) -> pd.Series:
    """Text cells as timestamps, NaT where a cell is not one: in the first
    cell's format, or with ``mixed`` each cell in its own (pandas' hint to
    pass ``dayfirst`` is the caller's to give)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return pd.Series(pd.to_datetime(cells.astype(str), errors="coerce",
                                        dayfirst=dayfirst,
                                        format="mixed" if mixed else None))


def numeric_columns(frame: pd.DataFrame, target: str, id_column: str | None,
                    csv: bool) -> pd.DataFrame:
    """Every column as numbers (NA spellings read as missing, true/false as
    1/0); a text cell among numbers is an error naming it; a column of text
    only is left out, with a note."""
    out, left_out = {}, []
    for column in frame.columns:
        if column == id_column:
            out[column] = frame[column].astype(str)
            continue
        values = as_numbers(frame[column], column, csv)
        if values is None:
            if column == target:
                raise UserError(f"the target {target!r} holds text, not numbers "
                                f"(such as {first_text(frame[column])!r})")
            left_out.append(column)
            continue
        out[column] = values
    if left_out:
        listed = ", ".join(repr(c) for c in left_out)
        note(f"the text column(s) {listed} are left out (pass --drop "
             f"{','.join(left_out)} to say so)")
    return pd.DataFrame(out, index=frame.index)


def first_text(series: pd.Series) -> object:
    known = series.dropna()
    return known.iloc[0] if len(known) else None


def as_numbers(series: pd.Series, column: str, csv: bool) -> pd.Series | None:
    """``series`` as float; None for a column of text only."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype(float)
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series.astype(float)
    cells = series.astype(object)
    text = cells.map(lambda v: v if isinstance(v, str) else None)
    spelled_missing = text.str.strip().str.lower().isin(NA_SPELLINGS).astype(bool)
    cells = cells.where(~spelled_missing, np.nan)
    known = cells.notna().to_numpy()
    flags = text.str.strip().str.lower().map({"true": 1.0, "false": 0.0})
    numbers = pd.to_numeric(cells.where(flags.isna(), flags), errors="coerce")
    bad = known & numbers.isna().to_numpy()
    if not bad.any():
        return numbers.astype(float)
    if not (known & ~bad).any():
        return None  # text only: an id, a label, a comment
    row = int(np.flatnonzero(bad)[0])
    cell = cells.iloc[row]
    hint = ("; write decimals with a point" if isinstance(cell, str)
            and "," in cell else "; fix the cell, leave it empty, or write NA")
    raise UserError(f"column {column!r} holds {cell!r} at {row_name(row, csv)}, "
                    f"which is not a number{hint}")


def in_time_order(frame: pd.DataFrame, id_column: str | None, timed: bool,
                  csv: bool, quiet: bool = False) -> pd.DataFrame:
    """Rows sorted by time (within each series), saying so; a repeated
    timestamp is an error naming it."""
    keys = [id_column] if id_column else []
    if not timed:
        return frame
    work = frame.assign(_time=frame.index, _row=np.arange(len(frame)))
    key = [*keys, "_time"]
    repeated = work[work.duplicated(key, keep=False)]
    if len(repeated):
        first = repeated.iloc[0]
        same = repeated[(repeated[key] == first[key]).all(axis=1)]
        rows = " and ".join(row_name(int(r), csv) for r in same["_row"][:2])
        series = f" of series {first[id_column]!r}" if id_column else ""
        raise UserError(f"the timestamp {first['_time']}{series} appears at "
                        f"{rows}; drop the repeated rows")
    ordered = work.sort_values([*keys, "_time"], kind="stable")
    if not quiet and not (ordered["_row"].to_numpy()
                          == np.arange(len(frame))).all():
        newest_first = frame.index.is_monotonic_decreasing
        how = "newest first" if newest_first else "out of time order"
        note(f"the rows were {how}; they are read sorted by time")
    return ordered.drop(columns=["_time", "_row"])


def regular_steps(frame: pd.DataFrame, id_column: str | None,
                  freq: str | None) -> pd.DataFrame:
    """The rows on a regular time grid: checked, or made so by ``--freq``;
    the index gets its frequency, so forecasts carry timestamps."""
    if freq is not None:
        try:
            offset = pd.tseries.frequencies.to_offset(freq)
        except ValueError as exc:
            raise UserError(f"--freq {freq!r} is not a time step (use h, 15min, "
                            "D, W, MS ...)") from exc
        before = len(frame)
        frame = fill_time_gaps(frame, offset, group_column=id_column)
        if len(frame) > before:
            note(f"--freq {freq}: {len(frame) - before} missing time steps "
                 "inserted as empty rows")
        if id_column is None:
            frame = frame.asfreq(offset)
        return frame
    parts = ([frame] if id_column is None else
             [part for _, part in frame.groupby(id_column, sort=False)])
    for part in parts:
        check_steps(part.index, None if id_column is None
                    else part[id_column].iloc[0])
    if id_column is None and len(frame) >= 3:
        frame = frame.asfreq(_infer_frequency(frame.index))
    return frame


def check_steps(index: pd.DatetimeIndex, series: object) -> None:
    """A series whose step changes is an error naming the first change."""
    found = irregular_step(index.to_numpy())
    if found is None:
        return
    first, usual = found
    steps = np.diff(index.to_numpy())
    name = f" of series {series!r}" if series is not None else ""
    step = pd.tseries.frequencies.to_offset(pd.Timedelta(usual)).freqstr
    raise UserError(
        f"irregular time step{name}: {index[first + 1]} comes "
        f"{pd.Timedelta(steps[first])} after {index[first]}, but the usual step "
        f"is {pd.Timedelta(usual)}; pass --freq {step} to put the rows on a "
        "regular grid (missing steps become empty rows the model masks)")
