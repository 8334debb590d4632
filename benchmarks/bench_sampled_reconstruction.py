"""Unsupervised tag embeddings with a large vocabulary: the sampled
reconstruction objective against the dense one.

large: 20,000 rows x 100,000 tags (5 a row, sparse), 3 epochs, ``linear`` and
``attention``: fit time and peak RSS, each in a fresh process (the first
fit of a process also pays torch's one-off import of its compiler stack, so
the time of a second fit is given too). Floors: at most 5 s and 1 GB.

quality: on a small vocabulary (300 tags in 30 latent groups, 6,000 rows)
both objectives are trained on 5,000 rows and compared on the other 1,000:
the AUC of the reconstruction head's scores (active against inactive tags of
each row) and the R^2 of a ridge regression on the embeddings of a target
that depends on the tags.

Run: ``python benchmarks/bench_sampled_reconstruction.py [large|quality]
[--threads 1]``
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.linear_model import Ridge
from sklearn.metrics import r2_score, roc_auc_score

from sktagembed import TagEmbeddingTransformer


def large_matrix(n_rows=20_000, n_tags=100_000, per_row=5, seed=0):
    rng = np.random.default_rng(seed)
    rows = np.repeat(np.arange(n_rows), per_row)
    columns = rng.integers(0, n_tags, size=n_rows * per_row)
    matrix = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, columns)),
                           shape=(n_rows, n_tags))
    matrix.data[:] = 1.0  # a tag drawn twice in a row is one tag
    return matrix


def large_child(method: str) -> None:
    X = large_matrix()
    times = []
    for _ in range(2):
        start = time.perf_counter()
        model = TagEmbeddingTransformer(method, 16, max_epochs=3,
                                        random_state=0).fit(X)
        times.append(time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"method": method, "objective": model.objective_,
                      "first fit s": times[0], "second fit s": times[1],
                      "peak RSS MiB": peak}))


def large(threads: int | None) -> None:
    print("20,000 rows x 100,000 tags, 5 a row, 3 epochs, embedding_dim 16")
    print(f"{'method':<10} {'objective':<24} {'first fit s':>12} "
          f"{'second fit s':>13} {'peak RSS MiB':>13}")
    for method in ("linear", "attention"):
        command = [sys.executable, __file__, "large-child", "--method", method]
        if threads:
            command += ["--threads", str(threads)]
        out = json.loads(subprocess.run(command, capture_output=True, text=True,
                                        check=True).stdout.splitlines()[-1])
        print(f"{method:<10} {out['objective']:<24} {out['first fit s']:12.2f} "
              f"{out['second fit s']:13.2f} {out['peak RSS MiB']:13.0f}")


def grouped_tags(n_rows=6000, n_tags=300, n_groups=30, seed=0):
    """Rows draw 2-6 tags from one or two latent groups of 10 tags."""
    rng = np.random.default_rng(seed)
    group_of = np.arange(n_tags) % n_groups
    dense = np.zeros((n_rows, n_tags), dtype=np.float32)
    for i in range(n_rows):
        groups = rng.choice(n_groups, size=rng.integers(1, 3), replace=False)
        pool = np.flatnonzero(np.isin(group_of, groups))
        dense[i, rng.choice(pool, size=rng.integers(2, 7), replace=False)] = 1
    effect = rng.normal(size=n_groups)[group_of]
    y = dense @ effect + 0.5 * rng.normal(size=n_rows)
    return dense, y


def quality() -> None:
    dense, y = grouped_tags()
    train, test = slice(0, 5000), slice(5000, None)
    print("300 tags in 30 groups, 5,000 rows to train, 1,000 to score; "
          "embedding_dim 16, 30 epochs")
    print(f"{'method':<10} {'objective':<24} {'AUC':>7} {'ridge R^2':>10}")
    for method in ("linear", "attention"):
        for objective in ("reconstruction", "sampled_reconstruction"):
            model = TagEmbeddingTransformer(method, 16, objective=objective,
                                            max_epochs=30, random_state=0)
            model.fit(dense[train])
            module = model.net_.module_
            with torch.no_grad():
                embedded = module.embed(torch.from_numpy(dense[test]))
                scores = module.head(embedded).numpy()
            auc = roc_auc_score(dense[test].ravel(), scores.ravel())
            features = model.transform(dense)
            ridge = Ridge(1.0).fit(features[train], y[train])
            r2 = r2_score(y[test], ridge.predict(features[test]))
            print(f"{method:<10} {objective:<24} {auc:7.3f} {r2:10.3f}",
                  flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", nargs="?", default="all",
                        choices=["all", "large", "quality", "large-child"])
    parser.add_argument("--method", default="linear")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.part == "large-child":
        large_child(args.method)
        return
    if args.part in ("all", "large"):
        large(args.threads)
    if args.part in ("all", "quality"):
        quality()


if __name__ == "__main__":
    main()
