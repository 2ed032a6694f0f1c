from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final, cast

from sqlalchemy import Table, Text, literal_column, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.credentials.models import Credential
from app.db.writes import Write, rows_param


def written(row: dict[str, Any]) -> Credential:
    """The credential of a row this transaction has just written, without reading it back.

    Built the way a query's loading builds an instance (its attributes straight into the
    instance's dict), not through the constructor, which records each attribute as a change
    for a flush that never comes: ~21 µs a credential against ~2 µs. The instance is never
    added to a session; attributes the row does not hold read as ``None``, as they would
    after the constructor.
    """
    credential: Credential = _CREDENTIAL_CLASS.new_instance()
    credential.__dict__.update(row)
    return credential


_CREDENTIAL_CLASS: Final = Credential.__mapper__.class_manager


async def by_idempotency_keys_among(
    session: AsyncSession, keys: Sequence[tuple[uuid.UUID, str]]
) -> dict[tuple[uuid.UUID, str], Credential]:
    """The credentials issued under these (institution, idempotency key) pairs."""
    if not keys:
        return {}
    query = select(Credential).where(
        tuple_(Credential.institution_id, Credential.idempotency_key).in_(keys)
    )
    return {
        (c.institution_id, c.idempotency_key): c
        for c in (await session.execute(query)).scalars()
        if c.idempotency_key
    }


# Rows per INSERT statement of a batch. Encoding 1,000 signed credentials into one statement
# held about 30 MB of buffers at once (parameters, rendered SQL, the wire message), the largest
# share of a server's peak memory when two batches arrive together; 100 rows per statement hold
# a tenth of that and cost nine more round trips per batch, a few milliseconds.
ROWS_PER_STATEMENT = 100

# A Core insert into the table, not an ORM-enabled insert of the entity: the rows are complete
# and no ORM object is made from them here, so the ORM's bulk bookkeeping per row (insert
# commands, primary keys from RETURNING) was a tenth of a batch's CPU for nothing.
_CREDENTIALS = cast(Table, Credential.__table__)
_INSERT_NEW = (
    insert(_CREDENTIALS)
    .on_conflict_do_nothing(index_elements=["institution_id", "idempotency_key"])
    .returning(_CREDENTIALS.c.id)
    .execution_options(insertmanyvalues_page_size=ROWS_PER_STATEMENT)
)


async def insert_new(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> set[uuid.UUID]:
    """Insert rows; a row whose idempotency key another transaction took first is skipped.

    Returns the ids that were inserted. The statement is built once and sent as an
    executemany, which SQLAlchemy batches into multi-row INSERTs with a cached compilation.
    Every row has the same keys, the column names.
    """
    if not rows:
        return set()
    result = await session.execute(_INSERT_NEW, list(rows))
    return set(result.scalars())


# New credentials as one JSON parameter, for a write sent with the issuance's other writes
# (app.db.writes). Used where no row can conflict: without an idempotency key there is nothing
# for ON CONFLICT to skip, so every row is inserted and nothing needs reading back.
#
# The JWTs travel beside the JSON as a text array, zipped with its rows by ROWS FROM: inside the
# JSON, Postgres's parser read each ~6.4 KB JWT character by character as a JSON string, more than
# half of parsing a group's parameter (1.3 ms for 20 credentials against 0.56 without them),
# where an array element is copied as it is.
_INSERT_ROWS = """
    INSERT INTO credentials
        (id, institution_id, achievement_id, achievement_version_id, signing_key_id, profile,
         state, status_list_id, status_index, learner_lookup, issued_at, valid_until,
         awarded_on, document, jwt, idempotency_key, request_fingerprint)
    SELECT r.id, r.institution_id, r.achievement_id, r.achievement_version_id, r.signing_key_id,
           r.profile, r.state, r.status_list_id, r.status_index,
           ARRAY(SELECT jsonb_array_elements_text(r.learner_lookup)), r.issued_at,
           r.valid_until, r.awarded_on, r.document, r.jwt, r.idempotency_key,
           r.request_fingerprint
    FROM ROWS FROM (
        jsonb_to_recordset(CAST(CAST(:rows AS text) AS jsonb))
            AS (id uuid, institution_id uuid, achievement_id uuid, achievement_version_id uuid,
                signing_key_id uuid, profile text, state text, status_list_id uuid,
                status_index integer, learner_lookup jsonb, issued_at timestamptz,
                valid_until timestamptz, awarded_on date, document jsonb,
                idempotency_key text, request_fingerprint text),
        unnest(CAST(:jwts AS text[]))
    ) AS r(id, institution_id, achievement_id, achievement_version_id, signing_key_id, profile,
           state, status_list_id, status_index, learner_lookup, issued_at, valid_until,
           awarded_on, document, idempotency_key, request_fingerprint, jwt)
"""


def rows_write(rows: Sequence[dict[str, Any]]) -> Write | None:
    """Rows that cannot conflict (none has an idempotency key) as a write; none for none."""
    if not rows:
        return None
    if any(row["idempotency_key"] is not None for row in rows):
        raise ValueError("a row with an idempotency key may conflict: insert it with insert_new")
    without_jwts = [{name: value for name, value in row.items() if name != "jwt"} for row in rows]
    return Write(
        _INSERT_ROWS, {"rows": rows_param(without_jwts), "jwts": [row["jwt"] for row in rows]}
    )


async def get(
    session: AsyncSession, institution_id: uuid.UUID, credential_id: uuid.UUID
) -> Credential | None:
    query = select(Credential).where(
        Credential.id == credential_id, Credential.institution_id == institution_id
    )
    return (await session.execute(query)).scalar_one_or_none()


@dataclass(frozen=True, slots=True)
class CredentialFilter:
    achievement_id: uuid.UUID | None = None
    state: str | None = None
    learner_digest: str | None = None
    issued_after: datetime | None = None
    issued_before: datetime | None = None
    awarded_on: date | None = None


async def page(
    session: AsyncSession,
    institution_id: uuid.UUID,
    where: CredentialFilter,
    *,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[Credential]:
    """Newest first, keyset-paginated on (issued_at, id)."""
    query = (
        select(Credential)
        .where(Credential.institution_id == institution_id)
        .order_by(Credential.issued_at.desc(), Credential.id.desc())
        .limit(limit)
    )
    if where.achievement_id is not None:
        query = query.where(Credential.achievement_id == where.achievement_id)
    if where.state is not None:
        query = query.where(Credential.state == where.state)
    if where.learner_digest is not None:
        query = query.where(Credential.learner_lookup.contains([where.learner_digest]))
    if where.issued_after is not None:
        query = query.where(Credential.issued_at >= where.issued_after)
    if where.issued_before is not None:
        query = query.where(Credential.issued_at < where.issued_before)
    if where.awarded_on is not None:
        query = query.where(Credential.awarded_on == where.awarded_on)
    if before is not None:
        query = query.where(tuple_(Credential.issued_at, Credential.id) < before)
    return (await session.execute(query)).scalars().all()


async def get_for_update(
    session: AsyncSession, institution_id: uuid.UUID, credential_id: uuid.UUID
) -> Credential | None:
    """Lock the credential, so two status changes of one credential happen one after the other."""
    query = (
        select(Credential)
        .where(Credential.id == credential_id, Credential.institution_id == institution_id)
        .with_for_update()
    )
    return (await session.execute(query)).scalar_one_or_none()


# Spelled as the unique index's expression, with the key a constant rather than a bound
# parameter, so that the planner matches the index.
_DOCUMENT_ID = literal_column("(credentials.document ->> 'id')", Text)


def _has_document_id(document_id: str) -> ColumnElement[bool]:
    return _DOCUMENT_ID.op("=", is_comparison=True)(document_id)


async def passed_issuing_policy_among(
    session: AsyncSession, asked: Collection[tuple[uuid.UUID, str]]
) -> set[tuple[uuid.UUID, str]]:
    """Which of these (institution, document id) pairs name a credential the institution issued
    for one of its catalogue achievements, in one query (document ids are unique across
    institutions).

    Only those went through the issuing policy (recognition, ECTS bounds, formal or informal);
    a credential signed from a caller's own VC-API document did not.
    """
    query = select(Credential.institution_id, _DOCUMENT_ID).where(
        _DOCUMENT_ID.in_({document_id for _, document_id in asked}),
        Credential.achievement_id.is_not(None),
    )
    found = {(row[0], row[1]) for row in await session.execute(query)}
    return found & set(asked)


async def id_by_document_id(
    session: AsyncSession, institution_id: uuid.UUID, document_id: str
) -> uuid.UUID | None:
    """The row of this institution's credential whose own ``id`` is ``document_id``.

    At most one credential has any id (a unique index holds the database to it).
    """
    query = select(Credential.id).where(
        _has_document_id(document_id),
        Credential.institution_id == institution_id,
    )
    return (await session.execute(query)).scalar_one_or_none()


async def document_id_taken(session: AsyncSession, document_id: str) -> bool:
    """Does any credential, of any institution and either API, carry this id already?"""
    query = select(Credential.id).where(_has_document_id(document_id))
    return (await session.execute(query)).first() is not None
