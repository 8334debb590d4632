"""The opt-in heap nudge: what it changes in glibc, and that nothing calls it.

The page faults it saves depend on the machine; ``benchmarks/bench_allocator.py``
counts them. Here only glibc's documented, deterministic behaviour is
checked: a block above the mmap threshold is served by ``mmap``, and after the
nudge a 1 MiB block no longer is.
"""

import json
import os
import platform
import subprocess
import sys

import pytest

from sktagembed import allocator

# With a preloaded malloc (jemalloc, tcmalloc) glibc's thresholds do not apply.
GLIBC = (sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
         and not os.environ.get("LD_PRELOAD"))

# Whether a 1 MiB malloc is served by mmap (mallinfo2's hblks counts mmapped
# blocks), in a fresh process, after an optional step.
PROBE = """
import ctypes, json, sys

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
        "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL(None)
libc.mallinfo2.restype = MallInfo2
libc.malloc.argtypes, libc.malloc.restype = [ctypes.c_size_t], ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
exec(sys.argv[1])
before = libc.mallinfo2().hblks
block = libc.malloc(2**20)
mmapped = libc.mallinfo2().hblks > before
libc.free(block)
print(json.dumps({"mmapped": mmapped}))
"""


def one_mib_block_is_mmapped(step: str, **environment) -> bool:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    env.update(environment)
    result = subprocess.run([sys.executable, "-c", PROBE, step], env=env,
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout)["mmapped"]


NUDGE = ("import importlib.util\n"
         f"spec = importlib.util.spec_from_file_location('a', {allocator.__file__!r})\n"
         "module = importlib.util.module_from_spec(spec)\n"
         "spec.loader.exec_module(module)\n"
         "assert module.adapt_heap_to_training() is True")


@pytest.mark.skipif(not GLIBC, reason="the thresholds are glibc's")
def test_nudge_raises_the_mmap_threshold_above_a_gradient_block():
    assert one_mib_block_is_mmapped("pass")
    assert not one_mib_block_is_mmapped(NUDGE)


@pytest.mark.skipif(not GLIBC, reason="the thresholds are glibc's")
def test_user_fixed_thresholds_are_left_alone():
    # A MALLOC_MMAP_THRESHOLD_ fixes glibc's thresholds: the nudge must not
    # raise them.
    assert one_mib_block_is_mmapped(NUDGE, MALLOC_MMAP_THRESHOLD_="131072")


def test_training_leaves_the_process_allocator_alone(monkeypatch):
    import numpy as np

    from sktagembed import TimeXerRegressor

    calls = []  # any call of adapt_heap_to_training looks up _glibc
    monkeypatch.setattr(allocator, "_glibc", lambda: calls.append(1))
    X = np.random.default_rng(0).normal(size=(40, 3))
    TimeXerRegressor(lookback=8, patch_len=4, d_model=8, n_heads=2, d_ff=16,
                     max_epochs=1, device="cpu").fit(X, X[:, -1])
    assert calls == []
    allocator.adapt_heap_to_training()
    assert calls == [1]


def test_other_platforms_are_left_alone(monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    assert allocator.adapt_heap_to_training() is False
