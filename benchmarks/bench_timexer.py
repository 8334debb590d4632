"""TimeXer training speed and memory.

speed: training windows per second of ``TimeXerRegressor`` in the paper's NP
configuration (look-back 168, horizon 24, patch 24, d_model 512, 3 layers,
d_ff 512, 8 heads, MS mode with 2 exogenous series), at batch 4 and batch 256,
timed over ``--steps`` optimiser steps after a warm-up.

memory: peak RSS of one training epoch of a small model on a generated panel of
``--rows`` rows x 80 float32 columns (100 series, look-back 96), measured in a
fresh process.

Run: ``python benchmarks/bench_timexer.py [speed|memory] [--rows 2000000]``
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import torch
from skorch.callbacks import Callback

from sktagembed import TimeXerRegressor

NP_CONFIG = {"lookback": 168, "patch_len": 24, "d_model": 512, "e_layers": 3,
             "d_ff": 512, "n_heads": 8}


class StopAfter(Callback):
    """Times ``steps`` training batches after ``warmup`` batches, then stops."""

    def __init__(self, warmup: int, steps: int):
        self.warmup, self.steps = warmup, steps

    def on_train_begin(self, net, **kwargs):
        self.seen, self.started, self.elapsed = 0, None, None

    def on_batch_end(self, net, training=False, **kwargs):
        if not training:
            return
        self.seen += 1
        if self.seen == self.warmup:
            self.started = time.perf_counter()
        if self.seen == self.warmup + self.steps:
            self.elapsed = time.perf_counter() - self.started
            raise KeyboardInterrupt  # stop fit here: only timing matters


def speed(steps: int) -> None:
    rng = np.random.default_rng(0)
    n_rows = 3000
    X = pd.DataFrame(rng.normal(size=(n_rows, 3)), columns=["load", "wind", "OT"])
    y = rng.normal(size=(n_rows, 24))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"{'batch':>6}{'windows/s':>12}{'s/step':>10}")
    for batch in (4, 256):
        n_steps = steps if batch == 4 else max(3, steps // 20)
        timer = StopAfter(warmup=3, steps=n_steps)
        model = TimeXerRegressor(**NP_CONFIG, batch_size=batch, max_epochs=1,
                                 validation_fraction=0, random_state=0,
                                 callbacks=[timer])
        try:
            model.fit(X, y)
        except KeyboardInterrupt:
            pass
        rate = n_steps * batch / timer.elapsed
        print(f"{batch:>6}{rate:>12.1f}{timer.elapsed / n_steps:>10.4f}")


def memory_child(n_rows: int) -> None:
    n_series, n_columns = 100, 80
    rng = np.random.default_rng(0)
    data = rng.standard_normal((n_rows, n_columns), dtype=np.float32)
    groups = np.repeat(np.arange(n_series), n_rows // n_series)
    y = rng.standard_normal(n_rows, dtype=np.float32)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    TimeXerRegressor(lookback=96, patch_len=16, d_model=16, n_heads=2, d_ff=32,
                     batch_size=1024, max_epochs=1, validation_fraction=0,
                     random_state=0).fit(data, y, groups=groups)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"rows={n_rows:,} columns={n_columns} data={data.nbytes / 2**20:.0f} MiB "
          f"peak RSS before fit={before:.0f} MiB after one epoch={peak:.0f} MiB "
          f"({seconds:.0f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", nargs="?", default="all",
                        choices=["all", "speed", "memory", "memory-child"])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--rows", type=int, default=2_000_000)
    args = parser.parse_args()
    if args.part == "memory-child":
        memory_child(args.rows)
        return
    if args.part in ("all", "speed"):
        speed(args.steps)
    if args.part in ("all", "memory"):
        subprocess.run([sys.executable, __file__, "memory-child", "--rows",
                        str(args.rows)], check=True)


if __name__ == "__main__":
    main()
