"""Optional sampling profile of the server with py-spy (``--py-spy PATH``).

py-spy is not a dependency of the project; point the harness at any installed binary. The
profile pass runs after the measured scenarios, so sampling never disturbs the table.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.environment import HarnessError, Pinning

RATE = 200  # samples per second
PASS_THROUGH = (
    "(app/cli/__main__.py)",
    "(app/cli/__init__.py)",
    "(app/cli/running.py)",
    "(app/context.py)",
)
LINE_NUMBER = re.compile(r":\d+\)$")
PATH_PREFIX = re.compile(r"\((?:.*/site-packages/|.*/lib/python3\.\d+/|/work/main/|.*/main/)")


def find(explicit: str | None) -> str | None:
    if explicit is None:
        return None
    found = shutil.which(explicit) or (explicit if Path(explicit).exists() else None)
    if found is None:
        raise HarnessError(f"py-spy not found at {explicit}")
    return found


@dataclass
class Recording:
    process: subprocess.Popen[bytes]
    output: Path

    def finish(self) -> None:
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def record(
    py_spy: str, pid: int, seconds: float, output: Path, pinning: Pinning, subprocesses: bool
) -> Recording:
    command = [
        *pinning.load_prefix(),
        py_spy,
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(max(1, round(seconds))),
        "--rate",
        str(RATE),
        "--format",
        "raw",
        "--output",
        str(output),
        "--nonblocking",
    ]
    if subprocesses:
        command.append("--subprocesses")
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return Recording(process, output)


def _frame(raw: str) -> str:
    return PATH_PREFIX.sub("(", LINE_NUMBER.sub(")", raw.strip()))


def _stacks(path: Path) -> list[tuple[list[str], int]]:
    stacks = []
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append(([_frame(f) for f in stack.split(";")], int(count)))
    return stacks


def package_of(frame: str) -> str:
    """The top-level package or stdlib module of a frame "function (path/to/file.py)"."""
    location = frame.rpartition("(")[2].rstrip(")")
    return location.split("/", 1)[0].removesuffix(".py") or "?"


def summarise(path: Path, top: int = 15) -> dict[str, object]:
    """Shares of samples: per function as the leaf (self), per app function and per package
    anywhere on the stack (inclusive). Frames of the entry point and middleware are left out
    of the app list: every request passes through them."""
    if not path.exists():
        return {"samples": 0, "note": "py-spy wrote no profile"}
    stacks = _stacks(path)
    total = sum(count for _, count in stacks) or 1
    leaf: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    for frames, count in stacks:
        leaf[frames[-1]] += count
        for frame in set(frames):
            if "(app/" in frame and not frame.endswith(PASS_THROUGH):
                inclusive[frame] += count
        for package in {package_of(frame) for frame in frames}:
            packages[package] += count

    def shares(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(name, round(count / total, 3)) for name, count in counter.most_common(top)]

    return {
        "samples": total,
        "self": shares(leaf),
        "inclusive_app": shares(inclusive),
        "inclusive_packages": shares(packages),
    }
