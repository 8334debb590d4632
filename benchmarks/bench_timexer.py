"""TimeXer training speed and memory.

speed: training windows per second of ``TimeXerRegressor`` in the paper's NP
configuration (look-back 168, horizon 24, patch 24, d_model 512, 3 layers,
d_ff 512, 8 heads, MS mode with 2 exogenous series), at batch 4 and batch 256,
timed over ``--steps`` optimiser steps after a warm-up. With ``--reference DIR``
(a checkout of the reference implementation, thuml/TimeXer, kept outside this
project) its model is timed the same way, its windows sliced in numpy as its
data loader does, for a side-by-side ratio. Every timing runs in a fresh
process, ours and the reference's taking turns ``--repeats`` times; the table
gives the medians. ``--allocator adapted`` times both after
``sktagembed.allocator.adapt_heap_to_training()`` (the opt-in heap nudge),
``--allocator fixed`` under fixed glibc heap thresholds, the setting that
helps the reference most; ``all`` runs the three.

``--precision bfloat16`` times both under bfloat16 autocast (ours through
``TimeXerRegressor(precision="bfloat16")``); ``--compile`` times ours with
``compile=True`` and reports the seconds spent compiling before training;
``--device cuda`` times both on a GPU.

``--threads`` sets torch's intra-op threads. On a CPU that other processes
share, use 1: a busy core stalls every parallel region of a multi-threaded
step (tens of times slower at batch 4).

memory: peak RSS of one training epoch of a small model on a generated panel of
``--rows`` rows x 80 float32 columns (100 series, look-back 96), measured in a
fresh process.

Run: ``python benchmarks/bench_timexer.py [speed|memory] [--threads 1]
[--reference /path/to/TimeXer] [--repeats 5]
[--allocator default|adapted|fixed|all] [--precision float32|bfloat16]
[--compile] [--device cpu|cuda]
[--rows 2000000]``
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
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
from sktagembed.allocator import adapt_heap_to_training

NP_CONFIG = {"lookback": 168, "patch_len": 24, "d_model": 512, "e_layers": 3,
             "d_ff": 512, "n_heads": 8, "linear_skip": False,
             "quantiles": None}  # the reference's point model


class StopAfter(Callback):
    """Times ``steps`` training batches after ``warmup`` batches, then stops."""

    def __init__(self, warmup: int, steps: int, device: str):
        self.warmup, self.steps, self.device = warmup, steps, device

    def on_train_begin(self, net, **kwargs):
        self.seen, self.started, self.elapsed = 0, None, None
        self.began = time.perf_counter()

    def on_batch_end(self, net, training=False, **kwargs):
        if not training:
            return
        self.seen += 1
        if self.device == "cuda":
            torch.cuda.synchronize()
        if self.seen == 1:
            self.first_batch = time.perf_counter() - self.began
        if self.seen == self.warmup:
            self.started = time.perf_counter()
        if self.seen == self.warmup + self.steps:
            self.elapsed = time.perf_counter() - self.started
            raise KeyboardInterrupt  # stop fit here: only timing matters


def our_rate(batch: int, n_steps: int, device: str = "cpu",
             precision: str = "float32", compile: bool = False) -> dict:
    rng = np.random.default_rng(0)
    warmup = 3
    # one epoch must hold the warm-up and the timed steps
    n_rows = max(3000, batch * (warmup + n_steps + 1) + 168 + 24)
    X = pd.DataFrame(rng.normal(size=(n_rows, 3)), columns=["load", "wind", "OT"])
    X.index = pd.date_range("2013-01-01", periods=n_rows, freq="h")
    y = rng.normal(size=(n_rows, 24))
    timer = StopAfter(warmup=warmup, steps=n_steps, device=device)
    model = TimeXerRegressor(**NP_CONFIG, calendar=True, batch_size=batch,
                             max_epochs=1, steps_per_epoch=None,
                             validation_fraction=0, random_state=0,
                             device=device, precision=precision, compile=compile,
                             callbacks=[timer])
    start = time.perf_counter()
    try:
        model.fit(X, y)
    except KeyboardInterrupt:
        pass
    # Compilation happens before training: the time from fit to the first
    # training step, less one step.
    before = timer.began - start
    return {"rate": n_steps * batch / timer.elapsed, "setup s": before}


def reference_rate(directory: Path, batch: int, n_steps: int,
                   device: str = "cpu", precision: str = "float32") -> float:
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
    model = Model(config).to(device).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    autocast = (torch.autocast(torch.device(device).type, dtype=torch.bfloat16)
                if precision == "bfloat16" else contextlib.nullcontext())
    rng = np.random.default_rng(0)
    data = rng.normal(size=(3000, 3)).astype(np.float32)
    marks = rng.uniform(-0.5, 0.5, size=(3000, 4)).astype(np.float32)

    def step():
        ends = rng.integers(168, 3000 - 24, size=batch)

        def stack(array, before, after):
            return torch.from_numpy(np.stack([array[e - before:e + after]
                                              for e in ends])).to(device)

        x, x_mark = stack(data, 168, 0), stack(marks, 168, 0)
        y, y_mark = stack(data, 48, 24), stack(marks, 48, 24)
        optimizer.zero_grad()
        with autocast:
            out = model(x, x_mark, y, y_mark)[:, -24:, -1:]
        torch.nn.functional.mse_loss(out.float(), y[:, -24:, -1:]).backward()
        optimizer.step()

    for _ in range(3):
        step()
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(n_steps):
        step()
    if device == "cuda":
        torch.cuda.synchronize()
    return n_steps * batch / (time.perf_counter() - start)


ALLOCATORS = {
    # glibc as it starts.
    "default": {},
    # After the opt-in nudge of sktagembed.allocator (set in the child).
    "adapted": {},
    # Fixed thresholds that keep up to 1 GiB of freed heap: the setting that
    # would help the reference most, for a fair comparison.
    "fixed": {"MALLOC_MMAP_THRESHOLD_": str(32 * 2**20),
              "MALLOC_TRIM_THRESHOLD_": str(2**30)},
}


def speed_child(implementation: str, batch: int, steps: int,
                reference: Path | None, allocator: str, options: dict) -> None:
    if allocator == "adapted":
        adapt_heap_to_training()
    if implementation == "ours":
        print(json.dumps(our_rate(batch, steps, **options)))
    else:
        options = {k: v for k, v in options.items() if k != "compile"}
        print(json.dumps({"rate": reference_rate(reference, batch, steps,
                                                 **options)}))


def measure(implementation: str, batch: int, steps: int, threads: int | None,
            reference: Path | None, allocator: str, options: dict) -> dict:
    """Windows/s (and, for ours, the seconds before training) of one
    implementation, timed in a fresh process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    env.update(ALLOCATORS[allocator])
    command = [sys.executable, __file__, "speed-child", "--implementation",
               implementation, "--batch", str(batch), "--steps", str(steps),
               "--allocator", allocator]
    if threads:
        command += ["--threads", str(threads)]
    if reference:
        command += ["--reference", str(reference)]
    command += ["--device", options["device"], "--precision", options["precision"]]
    if options["compile"]:
        command.append("--compile")
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"timing {implementation} at batch {batch} failed:\n{result.stderr}")
    return json.loads(result.stdout.splitlines()[-1])


def speed(steps: int, threads: int | None, reference: Path | None,
          repeats: int, allocators: list[str], options: dict) -> None:
    """Each timing runs in its own process, ours and the reference's taking
    turns, so that a slow spell of a shared machine hits both alike; the table
    gives medians over the repeats."""
    print(f"torch {torch.__version__}, {threads or torch.get_num_threads()} "
          f"threads, {repeats} repeats (median, min-max), device "
          f"{options['device']}, {options['precision']}"
          + (", ours compiled" if options["compile"] else ""))
    implementations = ["ours"] + (["reference"] if reference else [])
    header = f"{'allocator':<10}{'batch':>6}{'ours w/s':>22}"
    if reference:
        header += f"{'reference w/s':>22}{'ratio':>7}"
    print(header)
    for allocator in allocators:
        for batch in (4, 256):
            n_steps = steps if batch == 4 else max(3, steps // 20)
            rates = {name: [] for name in implementations}
            setup = []
            for _ in range(repeats):
                for name in implementations:
                    out = measure(name, batch, n_steps, threads, reference,
                                  allocator, options)
                    rates[name].append(out["rate"])
                    if "setup s" in out:
                        setup.append(out["setup s"])
            medians = {name: statistics.median(r) for name, r in rates.items()}
            line = f"{allocator:<10}{batch:>6}"
            for name in implementations:
                spread = f"{min(rates[name]):.0f}-{max(rates[name]):.0f}"
                line += f"{medians[name]:>11.1f} ({spread:>8})"
            if reference:
                line += f"{medians['ours'] / medians['reference']:>7.2f}"
            if options["compile"]:
                line += f"  (compiling: {statistics.median(setup):.0f} s)"
            print(line, flush=True)


def memory_child(n_rows: int) -> None:
    n_series, n_columns = 100, 80
    rng = np.random.default_rng(0)
    data = rng.standard_normal((n_rows, n_columns), dtype=np.float32)
    groups = np.repeat(np.arange(n_series), n_rows // n_series)
    y = rng.standard_normal(n_rows, dtype=np.float32)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    # quantiles=None: the recorded figures were measured with the point model.
    TimeXerRegressor(lookback=96, patch_len=16, d_model=16, n_heads=2, d_ff=32,
                     batch_size=1024, max_epochs=1, steps_per_epoch=None,
                     validation_fraction=0,
                     quantiles=None, random_state=0).fit(data, y, groups=groups)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"rows={n_rows:,} columns={n_columns} data={data.nbytes / 2**20:.0f} MiB "
          f"peak RSS before fit={before:.0f} MiB after one epoch={peak:.0f} MiB "
          f"({seconds:.0f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", nargs="?", default="all",
                        choices=["all", "speed", "memory", "memory-child",
                                 "speed-child"])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=5,
                        help="timings per implementation and batch size")
    parser.add_argument("--allocator", choices=[*ALLOCATORS, "all"],
                        default="default",
                        help="glibc malloc settings of the timed processes")
    parser.add_argument("--implementation", choices=["ours", "reference"],
                        default="ours")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--threads", type=int, default=None,
                        help="torch intra-op threads (default: torch's choice)")
    parser.add_argument("--reference", type=Path, default=None,
                        help="checkout of thuml/TimeXer to time side by side")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--precision", default="float32",
                        choices=["float32", "bfloat16"])
    parser.add_argument("--compile", action="store_true",
                        help="time ours with compile=True")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    options = {"device": args.device, "precision": args.precision,
               "compile": args.compile}
    if args.part == "memory-child":
        memory_child(args.rows)
        return
    if args.part == "speed-child":
        speed_child(args.implementation, args.batch, args.steps, args.reference,
                    args.allocator, options)
        return
    if args.part in ("all", "speed"):
        allocators = list(ALLOCATORS) if args.allocator == "all" else [args.allocator]
        speed(args.steps, args.threads, args.reference, args.repeats, allocators,
              options)
    if args.part in ("all", "memory"):
        threads = ["--threads", str(args.threads)] if args.threads else []
        subprocess.run([sys.executable, __file__, "memory-child", "--rows",
                        str(args.rows), *threads], check=True)


if __name__ == "__main__":
    main()
