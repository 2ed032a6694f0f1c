"""CPU accounting around a scenario: how much the server used, how busy the machine was.

On a shared machine throughput alone misleads; the server's CPU time says whether it was
saturated, and the machine's busy time shows other work competing with it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class CpuSample:
    wall: float
    server_seconds: float
    machine_busy: int
    machine_total: int


def process_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # After the command: state is field 3, utime field 14, stime field 15 (1-based).
    return (int(fields[11]) + int(fields[12])) / TICKS


def machine_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of all cores since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    total = sum(values[:8])  # guest time is already counted in user
    return total - idle, total


def sample(pids: Callable[[], list[int]]) -> CpuSample:
    busy, total = machine_jiffies()
    return CpuSample(time.monotonic(), sum(process_seconds(p) for p in pids()), busy, total)


def usage(before: CpuSample, after: CpuSample) -> dict[str, float]:
    """Cores used on average: by the server processes, and by everything on the machine."""
    wall = max(after.wall - before.wall, 1e-9)
    cores = os.cpu_count() or 1
    total = max(after.machine_total - before.machine_total, 1)
    return {
        "server_cores": round((after.server_seconds - before.server_seconds) / wall, 2),
        "machine_busy_cores": round((after.machine_busy - before.machine_busy) / total * cores, 2),
    }
