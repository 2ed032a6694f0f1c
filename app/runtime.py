"""Process-wide tuning done once a server or worker process has started."""

from __future__ import annotations

import ctypes
import gc
from typing import Final

# Python collects its youngest generation every 700 allocations by default. Building a batch
# of credentials allocates hundreds of thousands of short-lived dicts and strings, and the
# collector scanned them ~0.2 s per 1,000-item batch; a larger first threshold lets most of
# them die before a collection sees them.
_GC_THRESHOLDS: Final = (10_000, 20, 20)


# glibc serves allocations above a threshold (128 KiB at first) with mmap and gives them back
# to the system when they are freed. By default it then raises the threshold to the size of the
# block just freed, up to 32 MiB: after the first batch answer (7 MB) every later large buffer
# (request bodies, answers, insert parameters) came from the heap instead, where freed memory
# stays resident and fragments. Fixing the threshold keeps the largest buffers returnable; in
# the benchmark it lowered the server's peak by about 20 MB and its resident size after seeding
# by about 35 MB.
#
# It is fixed at 1 MiB, not at glibc's first 128 KiB: the statement that writes a group of
# single issuances carries a few hundred KB of parameters (each credential's row and its JWT),
# and at 128 KiB each of its buffers was mapped afresh for every group, touched page by page
# and unmapped again: ~4.4 page faults a credential, ~10 % of its system time, where
# `/healthz` has none. A batch's 100-row statements (~1 MB and more) and its answer chunks
# still come from mmap.
_M_TRIM_THRESHOLD: Final = -1  # the options' numbers in glibc's <malloc.h>
_M_MMAP_THRESHOLD: Final = -3
_MMAP_THRESHOLD_BYTES: Final = 1024 * 1024
# Fixing the mmap threshold also fixes the trim threshold (how much free memory the top of the
# heap keeps before it is given back) at glibc's 128 KiB; a group's buffers, now on the heap,
# would be given back and faulted in again after every group. Up to 1 MiB stays: 4 MiB saved
# another ~0.3 faults a credential (a µs or less) and would hold 3 MiB more near a peak that
# sits a few MB under the benchmark's 250 MB.
_TRIM_THRESHOLD_BYTES: Final = 1024 * 1024


def fix_mmap_threshold() -> bool:
    """Fix glibc's mmap and trim thresholds; False where the C library has no such options
    (musl)."""
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library the interpreter is linked with
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_BYTES)) and bool(
        mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD_BYTES)
    )


def settle_heap() -> None:
    """Move everything start-up made (modules, routes, schemas, mappers) out of the collector's
    sight, and collect less eagerly: both cut the CPU and the pauses of every later collection,
    which otherwise walks those long-lived objects again and again. Then keep large buffers
    out of the C heap (see ``fix_mmap_threshold``)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*_GC_THRESHOLDS)
    fix_mmap_threshold()
