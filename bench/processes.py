"""The server and the SIS worker as real subprocesses, and their peak memory."""

from __future__ import annotations

import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

from bench.environment import HarnessError, Pinning, venv_bin

STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
WORKER_GRACE = 5.0  # a worker without a health port is given this long to start


@dataclass
class ManagedProcess:
    """A child process started by the harness, with its log file."""

    role: str
    process: subprocess.Popen[bytes]
    log_path: Path
    log: IO[bytes]
    metrics_url: str | None = None  # the worker's /metrics, when it serves one

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        self.log.flush()
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


@dataclass(frozen=True)
class Launcher:
    """How the harness starts ``stapel`` commands: environment, source tree, cores, logs."""

    env: dict[str, str]
    cwd: Path
    pinning: Pinning
    log_dir: Path

    def start(self, role: str, args: list[str]) -> ManagedProcess:
        """Start ``stapel <args>`` pinned to the server cores; output goes to a log file."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{role}.log"
        log = log_path.open("wb")
        command = [*self.pinning.server_prefix(), venv_bin("stapel"), *args]
        # taskset execs the command, so the pid is the server's own.
        process = subprocess.Popen(
            command, env=self.env, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT
        )
        return ManagedProcess(role=role, process=process, log_path=log_path, log=log)

    def start_server(self, port: int, workers: int) -> ManagedProcess:
        args = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
        server = self.start("server", args)
        try:
            wait_healthy(server, f"http://127.0.0.1:{port}/healthz", workers)
        except HarnessError:
            server.stop()
            raise
        return server

    def start_worker(self, port: int, role: str = "worker") -> ManagedProcess:
        """``stapel worker``, ready when its health port answers (or after a pause without one).

        ``role`` names its log file, so that several workers side by side keep theirs apart.
        """
        usage = subprocess.run(
            [venv_bin("stapel"), "worker", "--help"],
            env=self.env,
            cwd=self.cwd,
            capture_output=True,
            text=True,
            check=False,
        )
        if "--metrics-port" not in usage.stdout:
            worker = self.start(role, ["worker"])
            time.sleep(WORKER_GRACE)
            return worker
        args = ["worker", "--metrics-port", str(port), "--metrics-host", "127.0.0.1"]
        worker = self.start(role, args)
        try:
            wait_healthy(worker, f"http://127.0.0.1:{port}/readyz", 1)
        except HarnessError:
            worker.stop()
            raise
        worker.metrics_url = f"http://127.0.0.1:{port}/metrics"
        return worker


def wait_healthy(server: ManagedProcess, url: str, workers: int) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if not server.alive():
            raise HarnessError(f"the {server.role} exited at start-up:\n{server.log_tail()}")
        try:
            if httpx.get(url, timeout=2.0).status_code == 200 and _workers_up(server, workers):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise HarnessError(f"the {server.role} did not answer {url} within {STARTUP_TIMEOUT:.0f} s")


def _workers_up(server: ManagedProcess, workers: int) -> bool:
    """With --workers N > 1 every worker process must be serving, not only the first."""
    if workers == 1:
        return True
    return server.log_tail(200).count("Application startup complete") >= workers


# --- memory -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessMemory:
    role: str
    pid: int
    peak_rss_mb: float
    rss_mb: float
    command: str


def children_of(pid: int) -> list[int]:
    """Direct children, from /proc/<pid>/task/*/children."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.extend(int(child) for child in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def process_tree(pid: int) -> list[int]:
    tree, queue = [], [pid]
    while queue:
        current = queue.pop(0)
        tree.append(current)
        queue.extend(children_of(current))
    return tree


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _command(pid: int) -> str:
    raw = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    return raw.strip()[:160]


def memory_of(managed: ManagedProcess) -> list[ProcessMemory]:
    """VmHWM (peak resident set) of the process and every descendant."""
    found: list[ProcessMemory] = []
    for index, pid in enumerate(process_tree(managed.pid)):
        try:
            command = _command(pid)
            found.append(
                ProcessMemory(
                    role=_role(managed.role, index, command),
                    pid=pid,
                    peak_rss_mb=round(_status_kb(pid, "VmHWM") / 1024, 1),
                    rss_mb=round(_status_kb(pid, "VmRSS") / 1024, 1),
                    command=command,
                )
            )
        except OSError:
            continue
    return found


def _role(role: str, index: int, command: str) -> str:
    if index == 0:
        return role if role != "server" else "server (uvicorn master or single process)"
    if "resource_tracker" in command:
        return f"{role}: multiprocessing resource tracker"
    return f"{role}: worker process" if role == "server" else f"{role}: child process"
