"""Rows grouped into series: where each row sits, and validation splits."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..exceptions import InputValueError


class SeriesIndex:
    """Rows of one or many series, stored contiguously in time order.

    Parameters
    ----------
    order : ndarray or None
        Rows sorted by series (stable, so time order within a series is
        kept); None when the rows are stored as they come.
    position : ndarray of shape (n_rows,)
        Position of each row in the stored (sorted) data.
    start : ndarray of shape (n_rows,)
        Position of the first row of each row's series.
    codes : ndarray of shape (n_rows,)
        Series number of each row, an index into ``labels``.
    labels : ndarray
        The series ids, in order of first appearance (``[None]`` for a
        table of one series without ids).
    """

    def __init__(self, order: np.ndarray | None, position: np.ndarray,
                 start: np.ndarray, codes: np.ndarray, labels: np.ndarray):
        self.order = order
        self.position = position
        self.start = start
        self.codes = codes
        self.labels = labels

    @property
    def stop(self) -> np.ndarray:
        """Position one past the last row of each row's series."""
        lengths = np.bincount(self.codes, minlength=len(self.labels))
        return self.start + lengths[self.codes]

    @classmethod
    def from_groups(cls, groups, n_rows: int) -> SeriesIndex:
        """Index ``n_rows`` rows by their series ids (None: one series)."""
        if groups is None:
            return cls(None, np.arange(n_rows), np.zeros(n_rows, dtype=np.int64),
                       np.zeros(n_rows, dtype=np.int64), np.array([None]))
        groups = np.asarray(groups)
        if groups.shape != (n_rows,):
            raise InputValueError(
                f"groups must have one id per row of X ({n_rows}), got shape "
                f"{groups.shape}."
            )
        if pd.isna(groups).any():
            raise InputValueError("groups contains missing series ids.")
        codes, labels = pd.factorize(groups)
        labels = np.asarray(labels)
        if np.all(codes[1:] >= codes[:-1]):  # series already contiguous
            return cls(None, np.arange(n_rows), _run_starts(codes), codes, labels)
        order = np.argsort(codes, kind="stable")
        position = np.empty(n_rows, dtype=np.int64)
        position[order] = np.arange(n_rows)
        return cls(order, position, _run_starts(codes[order])[position], codes,
                   labels)

    def last_rows(self, rows_known: np.ndarray) -> np.ndarray:
        """For each series, its last row (original numbering) among the rows
        flagged in ``rows_known``; -1 for a series with none."""
        rows = np.flatnonzero(rows_known)
        # Within a series a later storage position is a later time.
        last = np.full(len(self.labels), -1, dtype=np.int64)
        np.maximum.at(last, self.codes[rows], self.position[rows])
        found = last >= 0
        last[found] = self._row_at(last[found])
        return last

    def next_rows(self, rows: np.ndarray) -> np.ndarray:
        """The row after each of ``rows`` in its series (original numbering);
        -1 after a series' last row."""
        later = self.position[rows] + 1
        inside = later < self.stop[rows]
        following = np.full(len(rows), -1, dtype=np.int64)
        following[inside] = self._row_at(later[inside])
        return following

    def sorted(self, data: np.ndarray) -> np.ndarray:
        """``data`` rows in storage order."""
        return data if self.order is None else data[self.order]

    def full_window_ends(self, lookback: int) -> np.ndarray:
        """Rows with at least ``lookback`` rows of their series up to them."""
        return np.flatnonzero(self.position - self.start + 1 >= lookback)

    def split_last(self, rows: np.ndarray, fraction: float
                   ) -> tuple[np.ndarray, np.ndarray]:
        """Split rows into (train, valid): valid is the last ``fraction`` of
        each series' rows, in time order (none from a series where that would
        leave no training row). Vectorised: O(n log n) for any number of
        series."""
        if fraction == 0 or len(rows) < 2:
            return rows, rows[:0]
        stored = np.sort(self.position[rows])  # by series, then time
        series_start = self.start[self._row_at(stored)]
        first = np.flatnonzero(np.r_[True, series_start[1:] != series_start[:-1]])
        counts = np.diff(np.r_[first, len(stored)])
        n_valid = np.ceil(fraction * counts).astype(np.int64)
        n_valid[n_valid >= counts] = 0
        rank_from_end = np.repeat(first + counts, counts) - np.arange(len(stored))
        valid = rank_from_end <= np.repeat(n_valid, counts)
        to_row = self._row_at
        return np.sort(to_row(stored[~valid])), np.sort(to_row(stored[valid]))

    def _row_at(self, positions: np.ndarray) -> np.ndarray:
        """Original row numbers of stored positions."""
        return positions if self.order is None else self.order[positions]


def _run_starts(codes: np.ndarray) -> np.ndarray:
    """For sorted codes, the index where each element's run begins."""
    first = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    counts = np.diff(np.r_[first, len(codes)])
    return np.repeat(first, counts)
