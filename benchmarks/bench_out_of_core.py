"""Peak memory and speed of ``sktagembed embed`` on a Parquet table larger
than the memory it may use.

Generates ``--rows`` rows (default 20,000,000) of 17 boolean tag columns plus
a row id, written row group by row group so the generator itself stays
small, then runs the command line in a child process twice:

1. fit on the first ``--fit-rows`` rows and embed the whole table in chunks
   of ``--chunk-size`` rows (``--fit-rows``, ``--save-model``);
2. embed the whole table with the saved model (``--model``).

Reports each run's wall time, rows/s and peak resident memory (the child's
``ru_maxrss``). The floor of the issue: peak RSS under 1.5 GB.

Run: ``python benchmarks/bench_out_of_core.py [--rows 20000000] [--dir DIR]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

N_TAGS = 17
ROW_GROUP = 1_000_000


def write_tag_table(path: Path, n_rows: int, seed: int = 0) -> None:
    """``n_rows`` rows of ``row_id`` and 17 boolean tags, about 3 set a row."""
    rng = np.random.default_rng(seed)
    names = [f"tag_{i}" for i in range(N_TAGS)]
    schema = pa.schema([("row_id", pa.int64())]
                       + [(name, pa.bool_()) for name in names])
    with pq.ParquetWriter(path, schema) as writer:
        for start in range(0, n_rows, ROW_GROUP):
            stop = min(start + ROW_GROUP, n_rows)
            tags = rng.random((stop - start, N_TAGS)) < 3 / N_TAGS
            columns = [pa.array(np.arange(start, stop))]
            columns += [pa.array(tags[:, i]) for i in range(N_TAGS)]
            writer.write_table(pa.Table.from_arrays(columns, schema=schema))


def run_child(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (GB) of one child process."""
    start = time.perf_counter()
    child = subprocess.Popen(command)
    # wait4 gives this child's own resource usage (ru_maxrss in KiB).
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(command)}")
    return seconds, usage.ru_maxrss / 1024**2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--chunk-size", type=int, default=500_000)
    parser.add_argument("--fit-rows", type=int, default=200_000)
    parser.add_argument("--method", default="linear")
    parser.add_argument("--dim", type=int, default=8)
    parser.add_argument("--dir", type=Path, default=None,
                        help="working folder (default: a temporary one)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        folder = Path(folder)
        source = folder / "tags.parquet"
        start = time.perf_counter()
        write_tag_table(source, args.rows)
        print(f"generated {args.rows:,} rows x {N_TAGS} tags in "
              f"{time.perf_counter() - start:.0f} s "
              f"({source.stat().st_size / 1e6:.0f} MB Parquet)")

        cli = [sys.executable, "-m", "sktagembed", "embed", str(source),
               "--tags", "tag_", "--method", args.method, "--dim",
               str(args.dim), "--chunk-size", str(args.chunk_size), "--quiet"]
        model = folder / "model.joblib"
        runs = {
            f"fit on {args.fit_rows:,} rows + embed": cli + [
                "--fit-rows", str(args.fit_rows), "--save-model", str(model),
                "-o", str(folder / "fitted.parquet")],
            "embed with the saved model": cli + [
                "--model", str(model), "-o", str(folder / "embedded.parquet")],
        }
        print(f"method={args.method} dim={args.dim} "
              f"chunk={args.chunk_size:,} rows")
        for name, command in runs.items():
            seconds, peak_gb = run_child(command)
            written = pq.ParquetFile(command[-1]).metadata.num_rows
            assert written == args.rows, (written, args.rows)
            print(f"{name:<36} {seconds:7.1f} s  {args.rows / seconds:>11,.0f} "
                  f"rows/s  peak RSS {peak_gb:.2f} GB")


if __name__ == "__main__":
    main()
