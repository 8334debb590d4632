"""Property-based test of the command line's file reading.

Random small CSV files as people write them (numbers, true/false, text and
missing-value spellings mixed in a column, time columns with gaps, repeated
and shuffled rows) go through ``sktagembed forecast``. Whatever the file,
the command either works (exit 0, a forecast of ``horizon`` finite values)
or fails as a user error (exit 2, its last stderr line the one-line error,
any line before it a note); never a traceback, and every column of the file
reaches the model or is named in a note. Profiles: ``tests/conftest.py``.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from sktagembed.cli import main

HORIZON = 1
TINY = ["--lookback", "4", "--patch-len", "2", "--d-model", "8", "--epochs",
        "1", "--horizon", str(HORIZON), "--test-fraction", "0", "--quiet"]
TEXT = ["missing", "NA", "n/a", "-", "", "abc", "12,5", "true", "False", "?"]
NAMES = ["a", "b", "c"]

numbers = st.floats(-1e3, 1e3, allow_nan=False).map(lambda v: round(v, 2))
cell = st.one_of(numbers, st.just(np.nan), st.sampled_from(TEXT))
column_kind = st.sampled_from(["numbers", "mostly numbers", "bool", "text"])


@st.composite
def columns(draw, n_rows):
    kind = draw(column_kind)
    if kind == "numbers":
        return draw(st.lists(st.one_of(numbers, st.just(np.nan)),
                             min_size=n_rows, max_size=n_rows))
    if kind == "bool":
        return draw(st.lists(st.booleans(), min_size=n_rows, max_size=n_rows))
    if kind == "text":
        return draw(st.lists(st.sampled_from(["north", "south", "x y"]),
                             min_size=n_rows, max_size=n_rows))
    values = draw(st.lists(numbers, min_size=n_rows, max_size=n_rows))
    if n_rows:
        row = draw(st.integers(0, n_rows - 1))
        values[row] = draw(cell)
    return values


@st.composite
def csv_tables(draw):
    n_rows = draw(st.integers(0, 30))
    frame = pd.DataFrame(index=range(n_rows))
    if draw(st.booleans()):
        name = draw(st.sampled_from(["ds", "date", "Timestamp"]))
        stamps = pd.date_range("2024-01-01", periods=n_rows, freq="h")
        if n_rows > 3 and draw(st.booleans()):  # a gap
            stamps = stamps.delete(draw(st.integers(1, n_rows - 2))).append(
                pd.DatetimeIndex([stamps[-1] + pd.Timedelta(hours=1)]))
        if n_rows > 3 and draw(st.booleans()):  # a repeated timestamp
            stamps = stamps.insert(1, stamps[0])[:n_rows]
        frame[name] = stamps.astype(str)
    for name in NAMES[:draw(st.integers(0, 3))]:
        frame[name] = draw(columns(n_rows))
    frame["y"] = draw(columns(n_rows))
    order = draw(st.sampled_from(["as is", "reversed", "shuffled"]))
    if order == "reversed":
        frame = frame.iloc[::-1]
    elif order == "shuffled":
        frame = frame.sample(frac=1.0, random_state=draw(st.integers(0, 9)))
    return frame


@given(csv_tables())
def test_forecast_on_any_small_csv_works_or_says_why(frame):
    from sktagembed.forecasting._regressor import TimeXerRegressor

    seen = []
    fit = TimeXerRegressor.fit

    def spy(self, X, y, *args, **kwargs):
        seen.append(list(X.columns))
        return fit(self, X, y, *args, **kwargs)

    with tempfile.TemporaryDirectory() as folder, contextlib.ExitStack() as stack:
        folder = Path(folder)
        path = folder / "data.csv"
        frame.to_csv(path, index=False)
        err = io.StringIO()
        stack.enter_context(contextlib.redirect_stderr(err))
        stack.enter_context(contextlib.redirect_stdout(io.StringIO()))
        original, TimeXerRegressor.fit = TimeXerRegressor.fit, spy
        try:
            status = main(["forecast", str(path), *TINY, "--out", str(folder)])
        finally:
            TimeXerRegressor.fit = original
        lines = err.getvalue().splitlines()
        assert "Traceback" not in err.getvalue()
        notes = [line for line in lines if line.startswith("sktagembed: note: ")]
        if status == 2:
            assert lines and lines[-1].startswith("sktagembed: error: ")
            assert notes == lines[:-1]
            return
        assert status == 0
        assert notes == lines  # nothing else on stderr
        table = pd.read_csv(folder / "forecast.csv")
        assert len(table) == HORIZON
        assert np.isfinite(table["prediction"]).all()
        fitted = set(seen[0])
        said = " ".join(notes)
        for column in frame.columns:
            if column in ("ds", "date", "Timestamp"):
                continue
            assert column in fitted or f"'{column}'" in said, column
