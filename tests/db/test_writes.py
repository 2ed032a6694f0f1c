"""Several inserts sent as one statement: each with its own parameters, announced when it wrote."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.notify import WORK_CHANNEL
from app.db.writes import Write, execute_writes, statement_for

Sessions = async_sessionmaker[AsyncSession]

# Both writes name their parameter alike: combined, each must still get its own value.
_INSERT_NOTE = "INSERT INTO written_notes (note) SELECT CAST(:note AS text)"
_INSERT_NOTE_IF = (
    "INSERT INTO written_notes (note) SELECT CAST(:note AS text) WHERE CAST(:wanted AS boolean)"
)
_NOTES_TABLE = text("CREATE TEMP TABLE written_notes (note text) ON COMMIT DROP")


async def _notes(session: AsyncSession) -> list[str]:
    rows = await session.execute(text("SELECT note FROM written_notes ORDER BY 1"))
    return [str(note) for note in rows.scalars()]


@contextmanager
def _statements_sent(session: AsyncSession) -> Iterator[list[str]]:
    sent: list[str] = []

    def note(_connection: object, _cursor: object, statement: str, *_: object) -> None:
        sent.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", note)


async def test_writes_go_as_one_statement_each_with_its_own_parameters(
    sessionmaker: Sessions,
) -> None:
    async with sessionmaker() as session, session.begin():
        await session.execute(_NOTES_TABLE)
        with _statements_sent(session) as sent:
            await execute_writes(
                session,
                [
                    Write(_INSERT_NOTE, {"note": "first"}),
                    None,
                    Write(_INSERT_NOTE, {"note": "second"}),
                ],
            )
        assert len(sent) == 1
        assert await _notes(session) == ["first", "second"]


async def test_no_writes_send_nothing(sessionmaker: Sessions) -> None:
    async with sessionmaker() as session, session.begin():
        with _statements_sent(session) as sent:
            await execute_writes(session, [None, None])
        assert sent == []


async def test_a_write_is_announced_only_when_it_inserted_a_row(
    sessionmaker: Sessions, database_url: str
) -> None:
    heard: list[str] = []
    listener = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    await listener.add_listener(WORK_CHANNEL, lambda *args: heard.append(str(args[3])))
    try:
        async with sessionmaker() as session, session.begin():
            await session.execute(_NOTES_TABLE)
            await execute_writes(
                session,
                [
                    Write(_INSERT_NOTE_IF, {"note": "kept", "wanted": True}, notify="kept-work"),
                    Write(_INSERT_NOTE_IF, {"note": "none", "wanted": False}, notify="no-work"),
                ],
            )
            assert await _notes(session) == ["kept"]
        for _ in range(200):
            if heard:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)  # a wrong second announcement would have arrived with it
        assert heard == ["kept-work"]
    finally:
        await listener.close()


def test_parameters_are_renamed_and_double_colon_casts_left_alone() -> None:
    combined = str(statement_for((("INSERT INTO t (a) SELECT CAST(:a AS int)::text", False),)))
    assert "CAST(:w0_a AS int)::text" in combined
