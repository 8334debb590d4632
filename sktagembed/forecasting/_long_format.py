"""Long tables: one row per series and time step, as Nixtla's libraries and
most of the ecosystem hold panels (``unique_id``, ``ds``, ``y`` and the
covariates), and the horizon's covariates as a table of their own.

:class:`LongTable` reads such a table into the wide, index-based form the
forecaster trains on (rows sorted by series and time, the time as the index,
the series ids apart) and writes its forecasts back as a long table. The
time column is the time, never a feature: each series is sorted by it and
must advance one regular step per row.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..exceptions import IgnoredParameterWarning, InputValueError
from ._forecast_frame import make_forecast_frame
from ._targets import check_sample_weight
from ._time_index import _infer_frequency

#: A column of original row numbers carried through the reshaping.
_ROW = "__sktagembed_row__"


def irregular_step(times: np.ndarray) -> tuple[int, object] | None:
    """The first irregular step of one series' sorted times: ``(i, usual)``
    when ``times[i + 1] - times[i]`` is not the series' usual step, else
    None. Calendar steps (months, years) are regular; so is a series of
    fewer than three times, whose step cannot be told."""
    if len(times) < 3:
        return None
    steps = np.diff(times)
    if (steps == steps[0]).all():
        return None
    if np.issubdtype(times.dtype, np.datetime64) and _infer_frequency(
            pd.DatetimeIndex(times)) is not None:
        return None
    values, counts = np.unique(steps, return_counts=True)
    usual = values[np.argmax(counts)]
    return int(np.flatnonzero(steps != usual)[0]), usual


def _series_runs(codes: np.ndarray) -> np.ndarray:
    """For codes sorted by series, where each series' run begins (and, last,
    the length)."""
    return np.flatnonzero(np.r_[True, codes[1:] != codes[:-1], True])


@dataclass(frozen=True)
class LongTable:
    """How a long table is read: its series-id, time and target columns.

    Parameters
    ----------
    id_column : str or None
        Series ids; None for a table of one series.
    time_column : str
        Timestamps (or integer steps), one regular step apart in each series.
    target : str
        The column to forecast.
    """

    id_column: str | None
    time_column: str
    target: str

    # -- reading ----------------------------------------------------------------

    def check_columns(self, df, name: str = "X", extra=()) -> None:
        """``df`` is a DataFrame with the id and time columns and the
        ``(column, parameter)`` pairs of ``extra``; an error names what is
        missing and the parameter that names it."""
        if not isinstance(df, pd.DataFrame):
            raise InputValueError(
                f"{name} must be a long table (a DataFrame with the columns "
                f"{self._key_names()}), got {type(df).__name__}."
            )
        needed = [(self.id_column, "id_column"), (self.time_column, "time_column"),
                  *extra]
        columns = set(map(str, df.columns))
        for column, parameter in needed:
            if column is None or column in columns:
                continue
            fix = f"name it with {parameter}=..."
            if parameter == "id_column":
                fix += " (None for a table of one series)"
            elif parameter == "future_covariates":
                fix = "give its values at each step of the horizon"
            raise InputValueError(
                f"{name} has no column {column!r} ({parameter}); {fix}. Its "
                f"columns are {list(map(str, df.columns))}."
            )

    def wide(self, df: pd.DataFrame, name: str = "X"
             ) -> tuple[pd.DataFrame, np.ndarray]:
        """``df`` in the wide form: rows sorted by series (by id) and time, the
        time as the index (a DatetimeIndex for dates), the target last, the
        id column kept; and its rows' positions in ``df``, in that order.

        A missing id or time, a repeated ``(id, time)`` and a series whose
        step changes are errors naming the series and the time.
        """
        self.check_columns(df, name, [(self.target, "target")])
        times = self._times(df[self.time_column], name)
        if self.id_column is None:
            codes = np.zeros(len(df), dtype=np.int64)
        else:
            ids = df[self.id_column]
            if ids.isna().any():
                row = int(np.flatnonzero(ids.isna().to_numpy())[0])
                raise InputValueError(
                    f"Column {self.id_column!r} of {name} (id_column) has no "
                    f"series id at row {row}; fill it in or drop the row."
                )
            try:  # by id, so that a shuffled table is read as the sorted one
                codes, _ = pd.factorize(ids, sort=True)
            except TypeError:  # ids of mixed types: in order of appearance
                codes, _ = pd.factorize(ids)
        order = np.lexsort((times, codes))
        codes, times = codes[order], times[order]
        self._check_steps(df, order, codes, times, name)
        frame = df.iloc[order].drop(columns=[self.time_column])
        frame.index = (pd.DatetimeIndex(times, name=self.time_column)
                       if np.issubdtype(times.dtype, np.datetime64)
                       else pd.Index(times, name=self.time_column))
        columns = [c for c in frame.columns if c != self.target] + [self.target]
        return frame[columns], order

    def training_data(self, df, horizon: int, future_covariates):
        """``(X, y, groups, rows)`` for ``fit``: the wide table without its id
        column, the target's next ``horizon`` values, the series ids and each
        row's position in ``df``."""
        if isinstance(future_covariates, str):
            future_covariates = [future_covariates]
        frame, order = self.wide(df)
        self._check_covariates(frame, future_covariates)
        frame = frame.assign(**{_ROW: order})
        X, y = make_forecast_frame(frame, self.target, horizon,
                                   group_column=self.id_column,
                                   future_covariates=future_covariates)
        X.attrs.clear()  # the ids leave X: they are passed as groups
        rows = X.pop(_ROW).to_numpy()
        groups = None if self.id_column is None else X.pop(self.id_column).to_numpy()
        return X, y, groups, rows

    def _check_covariates(self, frame, future_covariates) -> None:
        """The other columns are numeric covariates, and the future ones are
        among them."""
        keys = {self.id_column, self.target}
        for name, dtype in frame.dtypes.items():
            if name in keys or pd.api.types.is_numeric_dtype(dtype):
                continue
            raise InputValueError(
                f"Column {name!r} of X is not numeric (dtype {dtype}): the "
                "columns of a long table other than its id, time and target "
                "are numeric covariates. Drop it, or describe each series by "
                "it in series_tags (a tag table indexed by series id)."
            )
        unknown = [c for c in future_covariates or () if c not in frame.columns
                   or c in keys]
        if unknown:
            others = [c for c in frame.columns if c not in keys]
            raise InputValueError(
                f"future_covariates {unknown} are not covariates of X; they "
                f"are {others}."
            )

    def rows(self, df) -> tuple[pd.DataFrame, np.ndarray | None, np.ndarray]:
        """``(X, groups, inverse)`` for ``predict``: the wide table of every
        row of ``df``, the series ids, and where each row of ``df`` went."""
        frame, order = self.wide(df)
        groups = (None if self.id_column is None
                  else frame.pop(self.id_column).to_numpy())
        inverse = np.empty_like(order)
        inverse[order] = np.arange(len(order))
        return frame, groups, inverse

    # -- forecasting --------------------------------------------------------------

    def forecast_input(self, df, future, future_columns: list[str], horizon: int
                       ) -> tuple[pd.DataFrame, np.ndarray | None]:
        """The wide table to forecast from: the history ``df`` and, after it,
        the rows of ``future`` (the horizon's known-future covariates); and
        the series ids. Each series needs the ``horizon`` steps after its
        last known target with every future covariate."""
        self.check_columns(df, "X", [(self.target, "target")])
        if future is not None:
            df = self._joined(df, future, future_columns)
        frame, _ = self.wide(df)
        self._check_horizon(frame, future_columns, horizon, future is not None)
        groups = (None if self.id_column is None
                  else frame.pop(self.id_column).to_numpy())
        return frame, groups

    def forecast_frame(self, table: pd.DataFrame, X: pd.DataFrame,
                       groups: np.ndarray | None) -> pd.DataFrame:
        """The forecaster's table of forecasts as a long table: the id column,
        the time column, ``prediction`` and the quantile columns."""
        table = table.rename(columns={"series": self.id_column})
        if "timestamp" in table.columns:
            table = table.rename(columns={"timestamp": self.time_column})
        else:  # integer steps, or dates whose step could not be told
            table.insert(int(self.id_column is not None), self.time_column,
                         self._future_times(table, X, groups))
        return table.drop(columns="step")

    def _future_times(self, table, X, groups):
        known = X[self.target].notna().to_numpy()
        codes = (np.zeros(len(X), dtype=np.int64) if groups is None
                 else pd.factorize(groups)[0])
        times = X.index.to_numpy()
        if not np.issubdtype(times.dtype, np.integer):
            raise InputValueError(
                f"The step of the time column {self.time_column!r} cannot be "
                "told from so few rows; give each series three rows or more."
            )
        origin = pd.Series(times[known]).groupby(codes[known]).max()
        steps = np.concatenate([np.diff(times[codes == c])
                                for c in np.unique(codes)])
        values, counts = np.unique(steps, return_counts=True)
        unit = values[np.argmax(counts)] if len(values) else 1
        labels = (np.zeros(len(table), dtype=np.int64) if groups is None else
                  pd.Index(pd.unique(groups)).get_indexer(table[self.id_column]))
        return origin.to_numpy()[labels] + table["step"].to_numpy() * unit

    def _joined(self, df, future, future_columns: list[str]) -> pd.DataFrame:
        """``df`` with the rows of ``future`` after it (their target and
        past-only covariates missing)."""
        if not future_columns:
            raise InputValueError(
                "future= holds the horizon's known-future covariates, and this "
                "model has none: fit it with future_covariates=[...], or leave "
                "future out."
            )
        self.check_columns(future, "future",
                           [(c, "future_covariates") for c in future_columns])
        if self.target in future.columns and future[self.target].notna().any():
            raise InputValueError(
                f"future holds values of the target {self.target!r}; future "
                "holds the horizon's known covariates only: drop the column."
            )
        keys = [c for c in (self.id_column, self.time_column) if c is not None]
        future = future[keys + list(future_columns)]
        if self.id_column is not None:
            extra = set(future[self.id_column]) - set(df[self.id_column])
            if extra:
                raise InputValueError(
                    f"future holds the series {sorted(map(str, extra))[:10]}, "
                    "which X (the history) lacks; give their history, or drop "
                    "their rows from future."
                )
        times = self._times(df[self.time_column], "X")
        later = self._times(future[self.time_column], "future")
        key = pd.MultiIndex.from_arrays(
            [df[self.id_column] if self.id_column else np.zeros(len(df)), times])
        later_key = pd.MultiIndex.from_arrays(
            [future[self.id_column] if self.id_column else np.zeros(len(future)),
             later])
        both = np.flatnonzero(later_key.isin(key))
        if len(both):
            row = future.iloc[both[0]]
            raise InputValueError(
                f"future repeats {self._where(row)}, a row of X already: future "
                "holds the time steps after the history only."
            )
        return pd.concat([df, future], ignore_index=True)

    def _check_horizon(self, frame, future_columns, horizon, given) -> None:
        """Each series needs its future covariates in the ``horizon`` rows
        after its last known target; the error says where to give them."""
        if not future_columns:
            return
        codes = (np.zeros(len(frame), dtype=np.int64) if self.id_column is None
                 else pd.factorize(frame[self.id_column])[0])
        runs = _series_runs(codes)
        known = frame[self.target].notna().to_numpy()
        filled = frame[future_columns].notna().all(axis=1).to_numpy()
        for start, stop in zip(runs[:-1], runs[1:], strict=True):
            last = np.flatnonzero(known[start:stop])
            if not len(last):
                continue  # the forecaster names series without a known value
            origin = start + last[-1]
            have = int(filled[origin + 1:min(origin + 1 + horizon, stop)].sum())
            if have < horizon:
                where = "future" if given else "X (or future=...)"
                series = ("" if self.id_column is None else
                          f"Series {frame[self.id_column].iloc[origin]!r}: ")
                raise InputValueError(
                    f"{series}the forecast of {horizon} steps after its last "
                    f"known target (at {frame.index[origin]}) needs the future "
                    f"covariates {future_columns} at each step, and {have} of "
                    f"those steps have them; give one row per series and step "
                    f"in {where}, with the columns {self._key_names()} and "
                    f"{future_columns}."
                )

    # -- helpers --------------------------------------------------------------------

    def _times(self, values: pd.Series, name: str) -> np.ndarray:
        """The time column as datetime64 (dates, or text read as dates) or
        int64 (integer steps); anything else is an error naming the cell."""
        column = self.time_column
        missing = values.isna().to_numpy()
        if missing.any():
            raise InputValueError(
                f"Column {column!r} of {name} (time_column) has no time at row "
                f"{int(np.flatnonzero(missing)[0])}; fill it in or drop the row."
            )
        if pd.api.types.is_datetime64_any_dtype(values.dtype):
            dates = pd.DatetimeIndex(values)
            if dates.tz is not None:  # in UTC, where every step is regular
                dates = dates.tz_convert("UTC").tz_localize(None)
            return dates.to_numpy()
        if pd.api.types.is_integer_dtype(values.dtype):
            return values.to_numpy(dtype=np.int64)
        if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(
                values.dtype):
            raise InputValueError(
                f"Column {column!r} of {name} (time_column) holds {values.dtype} "
                "values; the time column holds dates or integer steps."
            )
        parsed = pd.to_datetime(values.astype(str), errors="coerce", format="mixed")
        bad = parsed.isna().to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InputValueError(
                f"Column {column!r} of {name} (time_column) holds "
                f"{values.iloc[row]!r} at row {row}, which is not a date; "
                "convert it with pd.to_datetime, or name the time column with "
                "time_column=..."
            )
        return self._times(parsed, name)

    def _check_steps(self, df, order, codes, times, name) -> None:
        """No repeated time in a series, and one regular step per row."""
        runs = _series_runs(codes)
        same = codes[1:] == codes[:-1]
        repeated = np.flatnonzero(same & (times[1:] == times[:-1]))
        if len(repeated):
            row = df.iloc[order[repeated[0]]]
            raise InputValueError(
                f"{name} has two rows for {self._where(row)}; drop the "
                "repeated rows (one row per series and time step)."
            )
        if len(times) < 3:
            return
        steps = np.diff(times)
        # Only a series whose step varies is looked at closely (months vary).
        varied = same & (steps != np.r_[steps[:1], steps[:-1]])
        for start in np.unique(np.searchsorted(runs, np.flatnonzero(varied),
                                               side="right") - 1):
            found = irregular_step(times[runs[start]:runs[start + 1]])
            if found is None:
                continue
            i, usual = found
            first = runs[start] + i
            series = ("" if self.id_column is None else
                      f" of series {df[self.id_column].iloc[order[first]]!r}")
            before, after = (self._time_text(t) for t in times[first:first + 2])
            gap = times[first + 1] - times[first]
            if np.issubdtype(times.dtype, np.datetime64):
                gap, usual = pd.Timedelta(gap), pd.Timedelta(usual)
            raise InputValueError(
                f"Column {self.time_column!r}{series} has an irregular step: "
                f"{after} comes {gap} after {before}, but the series' usual "
                f"step is {usual}. Insert the missing "
                "steps as rows with missing values (NaN, which the model "
                "masks), or resample the series to one regular step."
            )
        self._check_one_step(df, order, runs, times)

    def _check_one_step(self, df, order, runs, times) -> None:
        """One model reads one time step: the series' steps agree (within
        calendar lengths: months of 28 to 31 days are one step)."""
        starts, stops = runs[:-1], runs[1:]
        long_enough = stops - starts >= 2
        if long_enough.sum() < 2:
            return
        first = starts[long_enough]
        steps = (times[first + 1] - times[first]).astype(np.float64)
        shortest, longest = int(np.argmin(steps)), int(np.argmax(steps))
        if steps[longest] <= 1.5 * steps[shortest]:
            return

        def described(k: int) -> str:
            row = order[first[k]]
            step = times[first[k] + 1] - times[first[k]]
            if np.issubdtype(times.dtype, np.datetime64):
                step = pd.Timedelta(step)
            return f"series {df[self.id_column].iloc[row]!r} steps by {step}"

        raise InputValueError(
            f"Column {self.time_column!r}: {described(longest)} and "
            f"{described(shortest)}, but one model reads one time step; "
            "resample the series to a common step, or fit one model per step."
        )

    def _where(self, row) -> str:
        time = f"the time {self._time_text(row[self.time_column])}"
        if self.id_column is None:
            return time
        return f"series {row[self.id_column]!r} at {time}"

    @staticmethod
    def _time_text(value) -> str:
        return str(pd.Timestamp(value)) if isinstance(
            value, (np.datetime64, pd.Timestamp)) else str(value)

    def _key_names(self) -> list[str]:
        return [c for c in (self.id_column, self.time_column) if c is not None]



# -- the estimator's side ---------------------------------------------------------

#: The parameters that name a long table's columns, and their defaults.
LONG_PARAMETERS = {"id_column": "unique_id", "time_column": "ds", "target": "y"}


def long_table_for(estimator, groups) -> LongTable:
    """The long table ``fit(X)`` (without ``y``) reads, with the
    estimator's parameters checked against it."""
    problems = []
    if estimator.horizon is None:
        problems.append("horizon=... (the number of steps to forecast) is "
                        "needed: the targets are made from the table")
    if estimator.group_column is not None or groups is not None:
        problems.append("the series are named by id_column; leave group_column "
                        "and groups out")
    if estimator.mode != "MS":
        problems.append("a long table has one target: mode must be 'MS'")
    if estimator.endogenous not in (None, estimator.target):
        problems.append(f"endogenous={estimator.endogenous!r} is not the "
                        f"target {estimator.target!r}; leave it None")
    if problems:
        raise InputValueError(
            "fit(X) without y reads X as a long table (one row per series and "
            "time step): " + "; ".join(problems) + "."
        )
    return LongTable(estimator.id_column, estimator.time_column, estimator.target)


def warn_idle_long_parameters(estimator) -> None:
    """With ``y`` given, the table is wide: the long table's column names
    cannot act."""
    for name, default in LONG_PARAMETERS.items():
        value = getattr(estimator, name)
        if value != default:
            warnings.warn(
                f"{name}={value!r} is ignored: fit(X, y) reads a wide table; the "
                "column names of a long table are read by fit(X) without y.",
                IgnoredParameterWarning, stacklevel=3)  # the caller of fit


def check_horizon(horizon: int | None, fitted: int) -> None:
    """``horizon``, when given with ``y``, is the width ``y`` implies."""
    if horizon is not None and horizon != fitted:
        raise InputValueError(
            f"horizon={horizon}, but y holds {fitted} steps per endogenous "
            "variable; leave horizon None to read it from y."
        )


def check_long_input(table: LongTable, X, groups) -> None:
    """A model fitted on a long table reads long tables: ``X`` is one (a
    DataFrame with the id and time columns), and ``groups`` is left out."""
    keys = table._key_names()
    if not isinstance(X, pd.DataFrame) or not set(keys) <= set(map(str, X.columns)):
        got = (f"its columns are {list(map(str, X.columns))}"
               if isinstance(X, pd.DataFrame) else f"got {type(X).__name__}")
        raise InputValueError(
            "This model was fitted on a long table (fit(X) without y): give X "
            f"as a long table, with the columns {keys} as in fit ({got}); to "
            "read wide tables, fit the model on one with fit(X, y)."
        )
    if groups is not None:
        raise InputValueError("A long table names its series in its id column; "
                              "leave groups out.")


def check_wide_input(model, X) -> None:
    """A model fitted on a wide table is not given a long one: a DataFrame
    with the time column of a long table, which is not a column of ``fit``
    (or of ``feature_tags``), is an error naming the fix."""
    column = model.time_column
    if not isinstance(X, pd.DataFrame) or column not in set(map(str, X.columns)):
        return
    known = set(map(str, getattr(model, "feature_names_in_", ())))
    if model.feature_tags is not None:
        known |= set(map(str, model.feature_tags.index))
    if column in known:
        return
    raise InputValueError(
        f"X has the time column {column!r} of a long table, and this model was "
        "fitted on a wide table (fit(X, y)): fit it on the long table with "
        "fit(X) without y (given horizon), or give X in the wide form of fit "
        f"(make_forecast_frame(df.set_index({column!r}), ...))."
    )


def long_scoring_data(model, table: LongTable, X, y, groups, sample_weight,
                      method: str):
    """``(X, y, groups, sample_weight, rows)`` of a long table to score: the
    wide table with its targets, as ``fit`` reads it, and each of its rows'
    position in ``X``."""
    check_long_input(table, X, groups)
    if y is not None:
        raise InputValueError(
            f"{method} of a model fitted on a long table reads the targets from "
            f"its column {table.target!r} (target); leave y out."
        )
    n_rows = len(X)
    X, y, groups, rows = table.training_data(X, model.horizon_,
                                             model.future_columns_ or None)
    if sample_weight is not None:
        sample_weight = check_sample_weight(sample_weight, n_rows)[rows]
    return X, y, groups, sample_weight, rows


def long_targets(model, X) -> np.ndarray:
    """The targets of the long table ``X`` for a model fitted on one, row by
    row in the order of ``X`` (as ``predict`` gives the forecasts): the
    target column's next ``horizon`` values, NaN where unknown."""
    _, y, _, _, rows = long_scoring_data(model, model._long_table, X, None,
                                         None, None, "scoring")
    out = np.full((len(X), model.n_outputs_), np.nan)
    out[rows] = np.asarray(y, dtype=np.float64).reshape(len(rows), -1)
    return out[:, 0] if model.n_outputs_ == 1 else out


def forecast_long(model, table: LongTable, X, groups, future) -> pd.DataFrame:
    """:meth:`TimeXerRegressor.forecast` of a model fitted on a long table."""
    check_long_input(table, X, groups)
    wide, ids = table.forecast_input(X, future, model.future_columns_,
                                     model.horizon_)
    out = table.forecast_frame(model._forecast_table(wide, ids), wide, ids)
    zone = getattr(X[table.time_column].dtype, "tz", None)
    if zone is not None:  # read in UTC, where every step is regular
        out[table.time_column] = out[table.time_column].dt.tz_localize(
            "UTC").dt.tz_convert(zone)
    return out
