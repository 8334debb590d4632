"""Opt-in: let glibc keep the memory one training step frees for the next step.

Nothing in sktagembed calls this module; a user who trains on the CPU can
call :func:`adapt_heap_to_training` once, before training, to make every
step of a small-batch TimeXer fit about a tenth faster on glibc systems. It
changes the allocator of the whole process, which is why it is left to the
user.

Training on the CPU frees and re-allocates every gradient at every step.
glibc's ``malloc`` gives the free memory at the top of its heap back to the
operating system once more than its *trim threshold* of it is free, so the
next step writes to fresh pages and the kernel zero-fills each one on a page
fault. For TimeXer in the NP configuration at batch 4 (32 MiB of gradients)
that is about 3,000 page faults and a tenth of every step
(``benchmarks/bench_timexer.py``).

glibc adapts its thresholds to the program: whenever a block it served with
``mmap`` (above the *mmap threshold*, 128 KiB at start) is freed, and the
block is at most 32 MiB, the mmap threshold rises to that block's size and
the trim threshold to twice that. Freeing one block of almost 32 MiB before
training therefore lets up to 64 MiB of free heap stay in the process, as
any program that once freed such a block gets anyway. Nothing is switched
off: the thresholds stay dynamic, and settings a user made through
``MALLOC_*`` variables (which fix the thresholds) are left as they are.
"""

from __future__ import annotations

import ctypes
import platform
import sys

#: glibc's largest dynamic mmap threshold on 64-bit systems.
LARGEST_DYNAMIC_MMAP_THRESHOLD = 32 * 2**20

#: A block safely above any smaller threshold and, with glibc's chunk
#: header and page rounding, still within the largest.
_NUDGE_BYTES = LARGEST_DYNAMIC_MMAP_THRESHOLD - 2 * 2**12


def _glibc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return None
    try:
        libc = ctypes.CDLL(None)
        libc.malloc.argtypes, libc.malloc.restype = [ctypes.c_size_t], ctypes.c_void_p
        libc.free.argtypes, libc.free.restype = [ctypes.c_void_p], None
    except (OSError, AttributeError):
        return None
    return libc


def adapt_heap_to_training() -> bool:
    """Raise glibc's dynamic heap thresholds by freeing one large block.

    Call it once before training on the CPU. It affects the whole process
    for the rest of its life: up to 64 MiB of freed memory stays in the
    process instead of going back to the operating system, as it would after
    the process had freed any block of that size. Thresholds fixed through
    ``MALLOC_*`` environment variables are left alone; on other C libraries
    it does nothing. ``benchmarks/bench_timexer.py speed`` measures the gain.

    Returns
    -------
    bool
        Whether the block was freed (False on other C libraries).

    Examples
    --------
    >>> from sktagembed.allocator import adapt_heap_to_training
    >>> adapt_heap_to_training() in (True, False)
    True
    """
    libc = _glibc()
    if libc is None:
        return False
    # malloc does not touch the block's pages, so this costs two system calls.
    block = libc.malloc(_NUDGE_BYTES)
    if not block:
        return False
    libc.free(block)
    return True
