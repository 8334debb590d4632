"""Throughput of ``TagEmbeddingTransformer.transform`` against its module.

For every method: a DataFrame of ``--rows`` rows x 17 boolean tag columns
(about 3 active tags a row) goes through the public ``transform`` (validation,
conversion, chunked forward, float32 array out), and the bare torch module
takes the same rows as one dense float32 tensor. The floor of the issue is
``transform >= 0.5 x module`` for every method.

Run: ``python benchmarks/bench_transformer.py [--rows 1000000]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import torch

from sktagembed import TagEmbeddingTransformer
from sktagembed.nn import METHODS

N_TAGS = 17
DIM = 16


def make_frame(n_rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    values = rng.random((n_rows, N_TAGS)) < 3 / N_TAGS
    return pd.DataFrame(values, columns=[f"tag_{i}" for i in range(N_TAGS)])


def method_params(method: str) -> dict:
    if method == "hierarchical":
        return {"hierarchy": {"tag_0": ["tag_1", "tag_2"], "tag_1": ["tag_3"]}}
    if method == "pretrained":
        table = np.random.default_rng(1).normal(size=(N_TAGS, DIM))
        return {"pretrained": table}
    return {}


def best_time(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    frame = make_frame(args.rows)
    dense = torch.from_numpy(frame.to_numpy(np.float32).copy())
    print(f"rows={args.rows:,} tags={N_TAGS} dim={DIM} torch threads="
          f"{torch.get_num_threads()}")
    print(f"{'method':<13}{'module rows/s':>16}{'transform rows/s':>18}{'ratio':>8}")
    ok = True
    for method in METHODS:
        emb = TagEmbeddingTransformer(
            method, DIM, max_epochs=0, random_state=0, **method_params(method)
        ).fit(frame.iloc[:1000])
        module = emb.net_.module_.embedding.eval()
        with torch.no_grad():
            module_time = best_time(lambda m=module: m(dense), args.repeats)
        transform_time = best_time(lambda e=emb: e.transform(frame), args.repeats)
        module_rate = args.rows / module_time
        transform_rate = args.rows / transform_time
        ratio = transform_rate / module_rate
        ok &= ratio >= 0.5
        print(f"{method:<13}{module_rate:>16,.0f}{transform_rate:>18,.0f}"
              f"{ratio:>8.2f}")
    print("floor transform >= 0.5 x module:", "met" if ok else "NOT met")


if __name__ == "__main__":
    main()
