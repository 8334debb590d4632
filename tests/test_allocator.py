"""Freeing one large block before training keeps gradient memory in the heap."""

import json
import os
import platform
import subprocess
import sys

import pytest

from sktagembed import _allocator

# With a preloaded malloc (jemalloc, tcmalloc) glibc's thresholds do not apply.
GLIBC = (sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
         and not os.environ.get("LD_PRELOAD"))

# Frees and re-allocates 32 MiB in 1 MiB blocks, as a training step does with
# its gradients, and counts the page faults of the repeats. The module is
# loaded alone: importing the package would import torch, which allocates.
CHURN = """
import importlib.util, json, resource, sys
import numpy as np
spec = importlib.util.spec_from_file_location("_allocator", sys.argv[2])
_allocator = importlib.util.module_from_spec(spec)
spec.loader.exec_module(_allocator)
nudged = _allocator.adapt_heap_to_training() if sys.argv[1] == "nudge" else None
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


def run_churn(mode: str, **extra_environment) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    env.update(extra_environment)
    command = [sys.executable, "-c", CHURN, mode, _allocator.__file__]
    result = subprocess.run(command, env=env, capture_output=True, text=True,
                            check=True)
    return json.loads(result.stdout)


@pytest.mark.skipif(not GLIBC, reason="the thresholds are glibc's")
def test_nudge_stops_refaulting_freed_gradient_memory():
    default = run_churn("none")
    # 20 rounds of 32 MiB are 163,840 pages: by default glibc hands the
    # freed memory back and faults most of it in again.
    if default["faults"] < 20 * 32 * 256 / 2:
        pytest.skip("this allocator keeps freed memory already")
    nudged = run_churn("nudge")
    assert nudged["nudged"] is True
    assert nudged["faults"] < 1000


@pytest.mark.skipif(not GLIBC, reason="the thresholds are glibc's")
def test_user_fixed_thresholds_are_left_alone():
    # A user's MALLOC_TRIM_THRESHOLD_ fixes glibc's thresholds; the nudge
    # must not override it, so the churn faults as that setting says.
    outcome = run_churn("nudge", MALLOC_TRIM_THRESHOLD_="131072")
    assert outcome["faults"] > 20 * 32 * 256 / 2


def test_other_platforms_are_left_alone(monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    assert _allocator.adapt_heap_to_training() is False


@pytest.mark.parametrize("max_epochs, expected_calls", [(1, 1), (0, 0)])
def test_timexer_fit_on_cpu_adapts_the_heap_before_training(
        monkeypatch, max_epochs, expected_calls):
    import numpy as np

    import sktagembed.timexer
    from sktagembed import TimeXerRegressor

    calls = []
    monkeypatch.setattr(sktagembed.timexer, "adapt_heap_to_training",
                        lambda: calls.append(True) or True)
    X = np.random.default_rng(0).normal(size=(40, 3))
    TimeXerRegressor(lookback=8, patch_len=4, d_model=8, n_heads=2, d_ff=16,
                     max_epochs=max_epochs, device="cpu").fit(X, X[:, -1])
    assert len(calls) == expected_calls
