"""Forward-pass speed and memory of the nine tag-embedding modules.

Three parts, each printed as a table:

(a) dense   ``n`` rows x ``K=17`` tags (about 3 active per row), ``d=16``:
    forward throughput in rows/s of the whole batch in one call
    (``torch.no_grad``, eval mode, best of ``--repeats``).
(b) sparse  ``n`` rows as :class:`~sktagembed.nn.TagBags` over ``K=100,000``
    tags, 5 active per row: time of one forward over all rows and the peak
    resident memory, each method measured in a fresh subprocess
    (``resource.getrusage(...).ru_maxrss`` in the child) so peaks are separate.
(c) naive   on a ``--naive-rows`` subset of (a): ``interaction`` and
    ``attention`` against straightforward per-row Python loops of the same
    formulas (pairs enumerated one by one; softmax over each row's active tags),
    checking both give the same numbers.

Run ``python benchmarks/bench_methods.py`` (full size) or, for a quick look,
``python benchmarks/bench_methods.py --rows 100000 --parts dense naive``.
Timings depend on the machine and on whatever else shares its cores.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# torch and sktagembed are imported only where needed: on Linux a child
# process inherits its parent's peak RSS through fork+exec, so the sparse
# children are started while this process is still a bare interpreter.
METHODS = (
    "sum", "linear", "multihead", "interaction", "mlp", "bilinear",
    "attention", "hierarchical", "pretrained",
)

DENSE_TAGS = 17
EMBEDDING_DIM = 16
SPARSE_TAGS = 100_000
SPARSE_ACTIVE = 5


def tree_hierarchy(num_tags: int, branching: int = 4) -> dict[int, list[int]]:
    """A complete ``branching``-ary tree over the tags (tag 0 is the root)."""
    hierarchy: dict[int, list[int]] = {}
    for child in range(1, num_tags):
        hierarchy.setdefault((child - 1) // branching, []).append(child)
    return hierarchy


def make_module(method: str, num_tags: int, seed: int = 0):
    import torch

    from sktagembed.nn import build_tag_embedding

    torch.manual_seed(seed)
    options = {}
    if method == "hierarchical":
        options["hierarchy"] = tree_hierarchy(num_tags)
    if method == "pretrained":
        options["pretrained"] = torch.randn(num_tags, EMBEDDING_DIM)
    module = build_tag_embedding(method, num_tags, EMBEDDING_DIM, **options)
    return module.eval()


def dense_batch(n_rows: int, seed: int = 0):
    import torch

    generator = torch.Generator().manual_seed(seed)
    probability = 3 / DENSE_TAGS
    return (torch.rand(n_rows, DENSE_TAGS, generator=generator) < probability).float()


def sparse_batch(n_rows: int, seed: int = 0):
    import torch

    from sktagembed.nn import TagBags

    # Indices drawn with replacement: a repeated tag in a row is rare (K=1e5)
    # and legal (it counts twice), so it does not change the cost.
    generator = torch.Generator().manual_seed(seed)
    indices = torch.randint(
        SPARSE_TAGS, (n_rows * SPARSE_ACTIVE,), generator=generator
    )
    offsets = torch.arange(0, n_rows * SPARSE_ACTIVE, SPARSE_ACTIVE)
    return TagBags(indices, offsets)


def best_time(function, repeats: int) -> float:
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def run_dense(methods, n_rows: int, repeats: int) -> None:
    import torch

    batch = dense_batch(n_rows)
    print(f"\n(a) dense: {n_rows:,} rows x {DENSE_TAGS} tags "
          f"({batch.sum(1).mean():.2f} active/row), d={EMBEDDING_DIM}, "
          f"one forward over the whole batch, best of {repeats}")
    print(f"{'method':<14}{'seconds':>10}{'rows/s':>16}")
    with torch.no_grad():
        for method in methods:
            module = make_module(method, DENSE_TAGS)
            module(batch[:1000])  # warm-up
            seconds = best_time(lambda m=module: m(batch), repeats)
            print(f"{method:<14}{seconds:>10.3f}{n_rows / seconds:>16,.0f}")


def sparse_child(method: str, n_rows: int, repeats: int) -> None:
    """Measure one method in this (fresh) process and print JSON."""
    import torch

    from sktagembed.nn import TagBags

    batch = sparse_batch(n_rows)
    module = make_module(method, SPARSE_TAGS)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with torch.no_grad():
        module(TagBags(batch.indices[:5000], batch.offsets[:1000]))  # warm-up
        seconds = best_time(lambda: module(batch), repeats)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"seconds": seconds, "peak_kib": peak, "setup_kib": before}))


def measure_sparse(methods, n_rows: int, repeats: int) -> dict:
    results = {}
    for method in methods:
        result = subprocess.run(
            [sys.executable, __file__, "--sparse-child", method,
             "--rows", str(n_rows), "--repeats", str(repeats)],
            capture_output=True, text=True, check=True,
        )
        results[method] = json.loads(result.stdout.strip().splitlines()[-1])
    return results


def print_sparse(results: dict, n_rows: int, repeats: int) -> None:
    print(f"\n(b) sparse TagBags: {n_rows:,} rows, K={SPARSE_TAGS:,}, "
          f"{SPARSE_ACTIVE} tags/row, d={EMBEDDING_DIM}, one forward over all "
          f"rows, best of {repeats}, fresh process per method; 'after setup' is "
          "the peak before the forward (interpreter, torch, batch, module)")
    print(f"{'method':<14}{'seconds':>10}{'peak RSS MiB':>14}{'after setup':>13}")
    for method, stats in results.items():
        print(f"{method:<14}{stats['seconds']:>10.3f}"
              f"{stats['peak_kib'] / 1024:>14,.0f}"
              f"{stats['setup_kib'] / 1024:>13,.0f}")


def naive_interaction(module, batch):
    import torch

    table = module.weight
    rows = []
    for row in batch:
        active = torch.nonzero(row).flatten().tolist()
        pooled = torch.zeros(table.shape[1])
        pairs = torch.zeros(table.shape[1])
        for position, j in enumerate(active):
            pooled += row[j] * table[j]
            for k in active[position + 1:]:
                pairs += row[j] * row[k] * table[j] * table[k]
        rows.append(torch.cat([pooled, pairs]))
    return torch.stack(rows)


def naive_attention(module, batch):
    import torch

    table = module.weight
    rows = []
    for row in batch:
        active = torch.nonzero(row).flatten()
        if len(active) == 0:
            rows.append(torch.zeros(table.shape[1]))
            continue
        scores = module.scorer(table[active]).flatten() + torch.log(row[active])
        weights = torch.softmax(scores, dim=0)
        rows.append((weights.unsqueeze(1) * table[active]).sum(0))
    return torch.stack(rows)


def run_naive(n_rows: int, repeats: int) -> None:
    import torch

    batch = dense_batch(n_rows, seed=1)
    print(f"\n(c) vectorised vs naive per-row loops on {n_rows:,} dense rows "
          f"(naive timed once, vectorised best of {repeats})")
    print(f"{'method':<14}{'naive s':>10}{'module s':>12}{'speed-up':>12}"
          f"{'max |diff|':>12}")
    naive = {"interaction": naive_interaction, "attention": naive_attention}
    with torch.no_grad():
        for method, reference in naive.items():
            module = make_module(method, DENSE_TAGS)
            module(batch[:1000])  # warm-up
            start = time.perf_counter()
            expected = reference(module, batch)
            naive_seconds = time.perf_counter() - start
            seconds = best_time(lambda m=module: m(batch), repeats)
            diff = float((module(batch) - expected).abs().max())
            print(f"{method:<14}{naive_seconds:>10.3f}{seconds:>12.5f}"
                  f"{naive_seconds / seconds:>11,.0f}x{diff:>12.1e}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000,
                        help="rows in parts (a) and (b)")
    parser.add_argument("--naive-rows", type=int, default=20_000,
                        help="rows in part (c)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--methods", nargs="+", default=list(METHODS),
                        choices=METHODS)
    parser.add_argument("--parts", nargs="+", default=["dense", "sparse", "naive"],
                        choices=["dense", "sparse", "naive"])
    parser.add_argument("--sparse-child", choices=METHODS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.sparse_child:
        sparse_child(args.sparse_child, args.rows, args.repeats)
        return 0
    sparse = None
    if "sparse" in args.parts:
        sparse = measure_sparse(args.methods, args.rows, args.repeats)
    import torch

    from sktagembed.nn import METHODS as PACKAGE_METHODS

    assert METHODS == PACKAGE_METHODS, "update METHODS in this script"
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{os.cpu_count()} CPUs visible")
    if "dense" in args.parts:
        run_dense(args.methods, args.rows, args.repeats)
    if sparse is not None:
        print_sparse(sparse, args.rows, args.repeats)
    if "naive" in args.parts:
        run_naive(args.naive_rows, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
