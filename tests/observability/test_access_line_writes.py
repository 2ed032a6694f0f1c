"""Access lines are written together once per turn of the event loop, in order with the rest."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Iterator

import pytest

from app.observability.logging import configure_logging, get_logger, log_access


class Stdout:
    """A stand-in for the process's stdout that keeps each write apart."""

    def __init__(self) -> None:
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def lines(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in "".join(self.writes).splitlines()]


@pytest.fixture
def stdout(monkeypatch: pytest.MonkeyPatch) -> Iterator[StdoutInstaller]:
    level = logging.getLogger().level
    configure_logging("INFO", json=True)
    try:
        yield StdoutInstaller(monkeypatch)
    finally:
        root = logging.getLogger()
        for handler in [h for h in root.handlers if h.get_name() == "stapel"]:
            handler.flush()
            root.removeHandler(handler)
        logging.captureWarnings(False)
        root.setLevel(level)


class StdoutInstaller:
    """Puts a :class:`Stdout` in place from within a test: pytest's own capture takes
    ``sys.stdout`` back between a fixture's setup and the test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._monkeypatch = monkeypatch

    def install(self) -> Stdout:
        fake = Stdout()
        self._monkeypatch.setattr("sys.stdout", fake)
        return fake


def _access(route: str) -> None:
    log_access(logging.INFO, method="GET", route=route, status=200, duration_ms=0.1)


async def test_the_lines_of_one_turn_of_the_event_loop_are_one_write(
    stdout: StdoutInstaller,
) -> None:
    written = stdout.install()
    for route in ("/a", "/b", "/c"):
        _access(route)
    assert written.writes == []  # not before the loop takes its turn

    await asyncio.sleep(0)
    await asyncio.sleep(0)

    assert len(written.writes) == 1
    assert [line["route"] for line in written.lines()] == ["/a", "/b", "/c"]


async def test_an_idle_server_writes_a_line_in_the_next_turn(stdout: StdoutInstaller) -> None:
    written = stdout.install()
    _access("/a")
    await asyncio.sleep(0)
    _access("/b")
    await asyncio.sleep(0)

    assert [json.loads(write)["route"] for write in written.writes] == ["/a", "/b"]


async def test_another_record_comes_after_the_access_lines_before_it(
    stdout: StdoutInstaller,
) -> None:
    written = stdout.install()
    _access("/a")
    get_logger("stapel.test").warning("after the request")
    _access("/b")
    await asyncio.sleep(0)

    assert [line.get("route", line["event"]) for line in written.lines()] == [
        "/a",
        "after the request",
        "/b",
    ]


async def test_a_long_turn_writes_without_waiting_for_its_end(stdout: StdoutInstaller) -> None:
    written = stdout.install()
    for number in range(300):
        _access(f"/{number}")

    assert len(written.lines()) == 256  # at most 256 are held back
    await asyncio.sleep(0)
    assert [line["route"] for line in written.lines()] == [f"/{n}" for n in range(300)]


def test_a_thread_without_an_event_loop_writes_at_once(stdout: StdoutInstaller) -> None:
    written = stdout.install()
    thread = threading.Thread(target=_access, args=("/a",))
    thread.start()
    thread.join()

    assert [line["route"] for line in written.lines()] == ["/a"]


def test_lines_still_held_are_written_when_logging_is_flushed(stdout: StdoutInstaller) -> None:
    written = stdout.install()
    loop = asyncio.new_event_loop()
    loop.call_soon(_access, "/a")
    loop.call_soon(loop.stop)  # as a server does at exit, in the turn of its last request
    loop.run_forever()
    loop.close()  # the turn that would have written the line never comes
    assert written.writes == []

    for handler in logging.getLogger().handlers:
        handler.flush()  # as logging.shutdown does at exit
    assert [line["route"] for line in written.lines()] == ["/a"]
