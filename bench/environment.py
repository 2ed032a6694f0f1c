"""The machine: cores and pinning, the load generator, free ports, per-run secrets."""

from __future__ import annotations

import base64
import os
import platform
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

WRK_INSTALL_HINT = "apt-get install -y wrk  (Debian/Ubuntu; run as root or with sudo)"


class HarnessError(RuntimeError):
    """The benchmark cannot run (missing tool, database unreachable, server did not start)."""


@dataclass(frozen=True)
class Pinning:
    """Which cores the server side and the load side get (empty: not pinned)."""

    server_cores: tuple[int, ...] = ()
    load_cores: tuple[int, ...] = ()
    note: str = "not pinned"

    @property
    def pinned(self) -> bool:
        return bool(self.server_cores)

    def server_prefix(self) -> list[str]:
        return _taskset(self.server_cores)

    def load_prefix(self) -> list[str]:
        return _taskset(self.load_cores)

    def pin_this_process(self) -> None:
        """The harness (its httpx clients, floors) runs on the load side."""
        if self.load_cores:
            os.sched_setaffinity(0, set(self.load_cores))


def _taskset(cores: tuple[int, ...]) -> list[str]:
    if not cores:
        return []
    return ["taskset", "-c", ",".join(str(core) for core in cores)]


def choose_pinning() -> Pinning:
    """Server (API and worker) on every core but the last, wrk and the harness on the last."""
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        return Pinning(note=f"not pinned: only {len(cores)} core available")
    if shutil.which("taskset") is None:
        return Pinning(note="not pinned: taskset not found (util-linux)")
    server, load = tuple(cores[:-1]), (cores[-1],)
    note = (
        f"server and SIS worker on core(s) {','.join(map(str, server))}; "
        f"wrk and the harness on core {load[0]}; Postgres not pinned"
    )
    return Pinning(server_cores=server, load_cores=load, note=note)


def ensure_wrk() -> str:
    """The path of wrk; installed with apt-get when missing and running as root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk not found; installing it with apt-get (running as root) ...", file=sys.stderr)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]):
            subprocess.run(command, check=False, env=env, stdout=subprocess.DEVNULL)
        found = shutil.which("wrk")
        if found:
            return found
    raise HarnessError(
        f"the load generator wrk is not installed; install it with: {WRK_INSTALL_HINT}"
    )


def wrk_version(wrk: str) -> str:
    result = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
    first = (result.stdout or result.stderr).splitlines()
    return first[0].strip() if first else "unknown"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def random_key() -> str:
    """32 random bytes, base64: a KEK or learner look-up key for this run only."""
    return base64.b64encode(os.urandom(32)).decode("ascii")


def app_env(
    values: dict[str, str], settings: tuple[str, ...] = (), app_dir: Path | None = None
) -> dict[str, str]:
    """This process's environment for a process of the app: no ``STAPEL_*`` of its own, then
    ``values``, then ``--setting NAME=VALUE`` (which win), and ``app_dir``'s app ahead of the
    editable install of the work tree."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("STAPEL_")}
    env.update(values)
    for setting in settings:  # --setting NAME=VALUE, e.g. a cache turned off
        name, _, value = setting.partition("=")
        env[name] = value
    if app_dir is not None:
        env["PYTHONPATH"] = str(app_dir)
    return env


def venv_bin(name: str) -> str:
    """A console script of the interpreter running the harness (the project's .venv)."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise HarnessError(f"'{name}' not found next to {sys.executable}; run `make venv`")
    return found


@dataclass(frozen=True)
class MachineInfo:
    cpu_model: str
    cores: int
    memory_gib: float
    python: str = field(default_factory=platform.python_version)
    kernel: str = field(default_factory=platform.release)


def machine_info() -> MachineInfo:
    return MachineInfo(cpu_model=_cpu_model(), cores=os.cpu_count() or 1, memory_gib=_memory_gib())


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return 0.0


def git_commit(repo: Path) -> str:
    result = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    # Only what the server runs from counts as a change: app code, migrations, Alembic.
    dirty = subprocess.run(
        ["git", "-C", str(repo), "status", "--porcelain", "--", "app", "migrations", "alembic.ini"],
        capture_output=True,
        text=True,
        check=False,
    )
    commit = result.stdout.strip() or "unknown"
    return commit + ("+changes" if dirty.stdout.strip() else "")
