"""TimeXer training speed and memory.

speed: training windows per second of ``TimeXerRegressor`` in the paper's NP
configuration (look-back 168, horizon 24, patch 24, d_model 512, 3 layers,
d_ff 512, 8 heads, MS mode with 2 exogenous series), at batch 4 and batch 256,
timed over ``--steps`` optimiser steps after a warm-up. With ``--reference DIR``
(a checkout of the reference implementation, thuml/TimeXer, kept outside this
project) its model is timed the same way, its windows sliced in numpy as its
data loader does, for a side-by-side ratio.

``--threads`` sets torch's intra-op threads. On a CPU that other processes
share, use 1: a busy core stalls every parallel region of a multi-threaded
step (tens of times slower at batch 4).

memory: peak RSS of one training epoch of a small model on a generated panel of
``--rows`` rows x 80 float32 columns (100 series, look-back 96), measured in a
fresh process.

Run: ``python benchmarks/bench_timexer.py [speed|memory] [--threads 1]
[--reference /path/to/TimeXer] [--rows 2000000]``
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
import types
from pathlib import Path

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


def our_rate(batch: int, n_steps: int) -> float:
    rng = np.random.default_rng(0)
    n_rows = 3000
    X = pd.DataFrame(rng.normal(size=(n_rows, 3)), columns=["load", "wind", "OT"])
    X.index = pd.date_range("2013-01-01", periods=n_rows, freq="h")
    y = rng.normal(size=(n_rows, 24))
    timer = StopAfter(warmup=3, steps=n_steps)
    model = TimeXerRegressor(**NP_CONFIG, calendar=True, batch_size=batch,
                             max_epochs=1, validation_fraction=0, random_state=0,
                             callbacks=[timer])
    try:
        model.fit(X, y)
    except KeyboardInterrupt:
        pass
    return n_steps * batch / timer.elapsed


def reference_rate(directory: Path, batch: int, n_steps: int) -> float:
    """Windows/s of the reference model's training step (Adam, MSE loss)."""
    # Only its full attention is used; its other attention modules import
    # packages this environment need not have.
    for name in ("reformer_pytorch", "einops"):
        if name not in sys.modules:
            try:
                __import__(name)
            except ImportError:
                sys.modules[name] = types.SimpleNamespace(
                    LSHSelfAttention=None, rearrange=None, repeat=None)
    sys.path.insert(0, str(directory))
    from models.TimeXer import Model

    config = types.SimpleNamespace(
        task_name="long_term_forecast", features="MS", seq_len=168, pred_len=24,
        use_norm=1, patch_len=24, d_model=512, n_heads=8, e_layers=3, d_ff=512,
        dropout=0.1, activation="gelu", embed="timeF", freq="h", factor=1,
        enc_in=3)
    torch.manual_seed(0)
    model = Model(config).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    rng = np.random.default_rng(0)
    data = rng.normal(size=(3000, 3)).astype(np.float32)
    marks = rng.uniform(-0.5, 0.5, size=(3000, 4)).astype(np.float32)

    def step():
        ends = rng.integers(168, 3000 - 24, size=batch)

        def stack(array, before, after):
            return torch.from_numpy(np.stack([array[e - before:e + after]
                                              for e in ends]))

        x, x_mark = stack(data, 168, 0), stack(marks, 168, 0)
        y, y_mark = stack(data, 48, 24), stack(marks, 48, 24)
        optimizer.zero_grad()
        out = model(x, x_mark, y, y_mark)[:, -24:, -1:]
        torch.nn.functional.mse_loss(out, y[:, -24:, -1:]).backward()
        optimizer.step()

    for _ in range(3):
        step()
    start = time.perf_counter()
    for _ in range(n_steps):
        step()
    return n_steps * batch / (time.perf_counter() - start)


def speed(steps: int, reference: Path | None) -> None:
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    header = f"{'batch':>6}{'ours w/s':>11}"
    if reference:
        header += f"{'reference w/s':>15}{'ratio':>7}"
    print(header)
    for batch in (4, 256):
        n_steps = steps if batch == 4 else max(3, steps // 20)
        ours = our_rate(batch, n_steps)
        line = f"{batch:>6}{ours:>11.1f}"
        if reference:
            theirs = reference_rate(reference, batch, n_steps)
            line += f"{theirs:>15.1f}{ours / theirs:>7.2f}"
        print(line, flush=True)


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
    parser.add_argument("--threads", type=int, default=None,
                        help="torch intra-op threads (default: torch's choice)")
    parser.add_argument("--reference", type=Path, default=None,
                        help="checkout of thuml/TimeXer to time side by side")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.part == "memory-child":
        memory_child(args.rows)
        return
    if args.part in ("all", "speed"):
        speed(args.steps, args.reference)
    if args.part in ("all", "memory"):
        threads = ["--threads", str(args.threads)] if args.threads else []
        subprocess.run([sys.executable, __file__, "memory-child", "--rows",
                        str(args.rows), *threads], check=True)


if __name__ == "__main__":
    main()
