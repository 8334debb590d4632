"""Page faults of a gradient-like churn, with and without the heap nudge.

Frees and re-allocates 32 MiB in 1 MiB blocks, as a CPU training step does
with its gradients, 20 times, each setting in a fresh process, and prints
the minor page faults of the repeats. By default glibc hands the freed memory
back and faults it in again; after ``sktagembed.allocator.adapt_heap_to_training``
it keeps it. The counts depend on the machine and its C library, so they are
measured here, not asserted in the tests.

    python benchmarks/bench_allocator.py
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ALLOCATOR = Path(__file__).resolve().parents[1] / "sktagembed" / "allocator.py"

CHURN = """
import importlib.util, json, resource, sys
import numpy as np
spec = importlib.util.spec_from_file_location("allocator", sys.argv[2])
allocator = importlib.util.module_from_spec(spec)
spec.loader.exec_module(allocator)
nudged = allocator.adapt_heap_to_training() if sys.argv[1] == "nudge" else None
def churn():
    blocks = [np.ones(2**18, dtype=np.float32) for _ in range(32)]
    del blocks
churn()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    churn()
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
print(json.dumps({"nudged": nudged, "faults": faults}))
"""


def run(mode: str, **environment) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    env.update(environment)
    out = subprocess.run([sys.executable, "-c", CHURN, mode, str(ALLOCATOR)],
                         env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> None:
    pages = 20 * 32 * 256
    print(f"20 rounds of 32 x 1 MiB: {pages:,} pages touched")
    print(f"{'setting':<42} {'page faults':>12}")
    for label, mode, env in [
        ("glibc defaults", "none", {}),
        ("after adapt_heap_to_training()", "nudge", {}),
        ("nudge, MALLOC_TRIM_THRESHOLD_=131072", "nudge",
         {"MALLOC_TRIM_THRESHOLD_": "131072"}),
    ]:
        print(f"{label:<42} {run(mode, **env)['faults']:>12,}")


if __name__ == "__main__":
    main()
