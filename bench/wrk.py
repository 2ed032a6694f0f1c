"""Running wrk with the harness's Lua scripts and reading the JSON its done() hook prints."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.environment import HarnessError, Pinning

LUA_DIR = Path(__file__).resolve().parent / "lua"
MARKER = "BENCH_JSON "
TIMEOUT = "30s"


@dataclass(frozen=True)
class WrkRequest:
    """One wrk run: a Lua script of bench/lua, its key=value arguments and extra headers."""

    url: str
    script: str
    connections: int
    duration: float
    options: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class WrkResult:
    seconds: float
    requests: int
    socket_errors: dict[str, int]
    unexpected: int  # responses with the wrong status or body
    statuses: dict[str, int]
    latency_ms: dict[str, float]
    distinct: int | None = None  # entries of a cycled list sent at least once (bench/lua)

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        socket = sum(v for k, v in self.socket_errors.items() if k != "status")
        return socket + self.unexpected


@dataclass
class Wrk:
    path: str
    pinning: Pinning
    work_dir: Path

    def threads(self) -> int:
        return max(1, len(self.pinning.load_cores)) if self.pinning.pinned else 2

    def threads_for(self, connections: int) -> int:
        """wrk's thread count at ``connections``: the ``threads`` option of cycling scripts."""
        return min(self.threads(), connections)

    def script_path(self, script: str) -> Path:
        """common.lua followed by the scenario's script, written once into the work dir."""
        target = self.work_dir / f"wrk-{script}"
        if not target.exists():
            common = (LUA_DIR / "common.lua").read_text()
            target.write_text(common + "\n" + (LUA_DIR / script).read_text())
        return target

    def command(self, request: WrkRequest) -> list[str]:
        threads = self.threads_for(request.connections)
        command = [
            *self.pinning.load_prefix(),
            self.path,
            f"-t{threads}",
            f"-c{request.connections}",
            f"-d{max(1, round(request.duration))}s",
            f"--timeout={TIMEOUT}",
            "--latency",
            "-s",
            str(self.script_path(request.script)),
        ]
        for name, value in request.headers.items():
            command += ["-H", f"{name}: {value}"]
        command += [request.url, "--", *(f"{k}={v}" for k, v in request.options.items())]
        return command

    def run(self, request: WrkRequest) -> WrkResult:
        command = self.command(request)
        completed = subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=False,
            timeout=request.duration + 120,
        )
        line = next((x for x in completed.stdout.splitlines() if x.startswith(MARKER)), None)
        if completed.returncode != 0 or line is None:
            raise HarnessError(
                f"wrk failed (exit {completed.returncode}): "
                f"{completed.stderr.strip()[-800:] or completed.stdout.strip()[-800:]}"
            )
        return parse(json.loads(line.removeprefix(MARKER)))


def parse(raw: dict[str, Any]) -> WrkResult:
    latency = raw["latency_us"]
    distinct = int(raw.get("distinct", -1))
    return WrkResult(
        seconds=raw["duration_us"] / 1e6,
        requests=int(raw["requests"]),
        socket_errors={k: int(v) for k, v in raw["errors"].items()},
        unexpected=int(raw["unexpected"]),
        statuses={str(k): int(v) for k, v in raw["statuses"].items()},
        latency_ms={k: round(float(v) / 1000, 2) for k, v in latency.items()},
        distinct=distinct if distinct >= 0 else None,
    )
