"""Giving freed memory back to the system, so a server's resident size follows what it holds.

A teaching allocates a few hundred MB of tensors (a float32 copy of the model, its gradients,
AdamW's state, the output layer's row buffer) and frees them seconds later, in a thread of its
own. glibc's allocator keeps much of that: its mmap threshold grows after each large free, so the
next large tensors come from the heap and a thread's arena, which it rarely hands back. Measured
on the Tiny OLMoE (bench/bench_teach.py): each teaching left the process about 160 MB larger.
`hold_less()` fixes the threshold, so blocks of `MMAP_THRESHOLD` and more are their own mappings
(returned on free), and `release()` asks glibc to return what is free now (`malloc_trim`).

Both do nothing where the C library is not glibc (macOS, musl): there the allocator's own policy
stands. `available_bytes()` is what the kernel says a process may still take without swapping
(MemAvailable), which the loader compares a model's weights with before it reads them. Leaves
out: a different allocator (jemalloc, tcmalloc) and torch's own caching (there is none on CPU).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import platform

M_MMAP_THRESHOLD = -3  # mallopt's parameter number in glibc's malloc.h
MMAP_THRESHOLD = 128 * 1024  # glibc's starting value, kept from growing


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt, libc.malloc_trim  # noqa: B018 - both must be there
    except (OSError, AttributeError):
        return None
    return libc


def hold_less() -> bool:
    """Keep large blocks as mappings of their own from now on (this process); True if set."""
    libc = _glibc()
    return bool(libc and libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))


def release() -> bool:
    """Return the allocator's free memory to the system now; True if some was returned."""
    libc = _glibc()
    return bool(libc and libc.malloc_trim(0))


def available_bytes() -> int | None:
    """Memory the system can still give without swapping (Linux's MemAvailable), or None where it
    does not say (macOS, Windows: then nothing is refused)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None
