"""Indexing a panel and splitting off each series' validation tail.

``TimeXerRegressor.fit`` groups the rows of a panel into series and holds out
the chronologically last ``validation_fraction`` of each series' windows.
This times both on generated panels (rows of all series interleaved), with
the vectorised ``SeriesIndex.split_last`` beside the per-series Python loop it
replaced, in the same run. Floor: 100,000 series split in under a second.

Run: ``python benchmarks/bench_panel_split.py``
"""

from __future__ import annotations

import time

import numpy as np

from sktagembed.forecasting._series import SeriesIndex


def loop_split(series: SeriesIndex, rows: np.ndarray, fraction: float):
    """The earlier implementation: one pass over the rows per series."""
    starts = series.start[rows]
    train, valid = [], []
    for start in np.unique(starts):
        members = rows[starts == start]
        members = members[np.argsort(series.position[members])]
        n_valid = int(np.ceil(fraction * len(members)))
        if n_valid >= len(members):
            train.append(members)
            continue
        train.append(members[:-n_valid])
        valid.append(members[-n_valid:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(valid))


def timed(function, *args):
    start = time.perf_counter()
    out = function(*args)
    return out, time.perf_counter() - start


def main() -> None:
    rng = np.random.default_rng(0)
    print(f"{'series':>8} {'rows':>10} {'index s':>8} {'split s':>8} "
          f"{'loop split s':>13} {'ratio':>7}")
    for n_series, length in [(2_000, 400), (20_000, 40), (100_000, 8),
                             (100_000, 20)]:
        groups = np.repeat(np.arange(n_series), length)[
            rng.permutation(n_series * length)]
        series, index_s = timed(SeriesIndex.from_groups, groups, len(groups))
        rows = series.full_window_ends(4)
        (train, valid), split_s = timed(series.split_last, rows, 0.1)
        if n_series * length <= 800_000:
            (train2, valid2), loop_s = timed(loop_split, series, rows, 0.1)
            assert np.array_equal(train, train2) and np.array_equal(valid, valid2)
            loop = f"{loop_s:13.3f} {loop_s / split_s:7.0f}x"
        else:
            loop = f"{'(skipped)':>13} {'':>7}"
        print(f"{n_series:>8,} {len(groups):>10,} {index_s:8.3f} {split_s:8.3f} "
              f"{loop}", flush=True)


if __name__ == "__main__":
    main()
