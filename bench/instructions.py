"""Instructions a request costs, counted by callgrind over the in-process driver.

A VM's clock moves with its neighbours: on the development VMs `/healthz` ran anywhere from
5,300 to 10,600 requests a second within half an hour, and a change of a few per cent cannot
be seen in rates. callgrind counts every instruction the process executes, the same from one
run to the next. The driver (:mod:`bench.inprocess`) runs twice under
``valgrind --tool=callgrind --instr-atstart=no``, counting only its measured requests, once
with ``n`` and once with ``3n`` of them; the difference over ``2n`` is what one request costs,
without what a run costs once (its warm-up, its set-up, the first uses of a cache).

Instructions are not time: a page fault, a cache miss or a system call costs far more than
its instructions, and callgrind's SHA-256 (valgrind runs OpenSSL's AVX2 code, not the CPU's
SHA extensions) far more instructions than the real one. Compare trees with it, not paths.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

_TOTALS: Final = re.compile(r"^(totals|summary):\s*(\d+)\s*$", re.MULTILINE)


def callgrind_total(output: str) -> int:
    """The instructions an output file of callgrind counts: its ``totals:`` line, or its
    ``summary:`` line where there is none."""
    found = dict(_TOTALS.findall(output))
    count = found.get("totals", found.get("summary"))
    if count is None:
        raise ValueError("no totals in callgrind's output")
    return int(count)


def total_of_files(paths: list[Path]) -> int:
    """The instructions of every process of one run (valgrind writes a file per process)."""
    if not paths:
        raise ValueError("callgrind wrote no output")
    return sum(callgrind_total(path.read_text(encoding="utf-8")) for path in paths)


def per_request(fewer: int, more: int, requests_fewer: int, requests_more: int) -> float:
    """What one request adds: the difference of two runs over the difference of their
    requests."""
    if requests_more <= requests_fewer:
        raise ValueError("the second run must send more requests than the first")
    if more < fewer:
        raise ValueError("the run with more requests counted fewer instructions")
    return (more - fewer) / (requests_more - requests_fewer)
