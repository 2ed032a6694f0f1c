"""Floors measured in the same run: what signing and storing a credential cost at the least.

(i) ES256 compact JWS of a real issued credential with ``cryptography`` directly, on one core;
(ii) credential rows into a scratch table shaped like ``credentials`` with asyncpg directly,
1,000 rows per transaction, with COPY and with executemany.
The batch floor is one core doing both in turn: 1 / (1/sign_rate + 1/insert_rate).
(iii) one credential row per transaction — BEGIN, one INSERT, COMMIT — from
``SINGLE_CONNECTIONS`` concurrent asyncpg connections: what storing credentials one request
at a time costs the client core at the least, before any lookup, audit entry or HTTP.
The single-credential floor is 1 / (1/sign_rate + 1/transaction_rate).
(iv) the same with ``ISSUANCE_LOOKUPS`` indexed look-ups before the INSERT: the round trips an
issuance makes, with no ORM, validation, HTTP or logging around them.
"""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from dataclasses import asdict, dataclass
from typing import Any

import asyncpg
import orjson
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from bench.database import asyncpg_url
from bench.seed import SampleCredential

SCRATCH_TABLE = "bench_scratch_credentials"
ROWS_PER_TRANSACTION = 1_000
SINGLE_CONNECTIONS = 16
# What issuing one credential reads before it writes, besides BEGIN and COMMIT: the
# idempotency key, the achievement and its version, and (as two statements after the insert)
# the audit entry and the outbox fan-out — four more round trips than the bare insert.
ISSUANCE_LOOKUPS = 4
FIRST_SCRATCH_INDEX = 100_000_000  # far above any status index the seeding handed out
ROW_SIZE_QUERY = (
    "SELECT avg(pg_column_size(t.*))::int "  # noqa: S608 - the table name is a constant
    f"FROM (SELECT * FROM {SCRATCH_TABLE} LIMIT 1000) AS t"
)


@dataclass(frozen=True)
class Floors:
    sign_per_s: float
    payload_bytes: int
    jws_bytes: int
    copy_rows_per_s: float
    executemany_rows_per_s: float
    row_bytes: int
    single_transactions_per_s: float
    issuance_shaped_transactions_per_s: float

    @property
    def insert_rows_per_s(self) -> float:
        """The better of the two ways to insert: the floor is what is possible."""
        return max(self.copy_rows_per_s, self.executemany_rows_per_s)

    @property
    def batch_per_s(self) -> float:
        return 1 / (1 / self.sign_per_s + 1 / self.insert_rows_per_s)

    @property
    def single_per_s(self) -> float:
        return 1 / (1 / self.sign_per_s + 1 / self.single_transactions_per_s)

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "insert_rows_per_s": round(self.insert_rows_per_s, 1),
            "batch_floor_per_s": round(self.batch_per_s, 1),
            "single_floor_per_s": round(self.single_per_s, 1),
        }


# --- signing ----------------------------------------------------------------------------------


def b64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def sign_compact(key: ec.EllipticCurvePrivateKey, header: dict[str, Any], document: Any) -> bytes:
    """Serialise and sign: what any issuer of this credential has to do, and nothing more."""
    signing_input = b64url(orjson.dumps(header)) + b"." + b64url(orjson.dumps(document))
    r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
    return signing_input + b"." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def measure_signing(sample: SampleCredential, seconds: float) -> tuple[float, int]:
    """Signatures per second on this core, and the size of one compact JWS."""
    key = ec.generate_private_key(ec.SECP256R1())
    document = orjson.loads(sample.payload)
    jws = sign_compact(key, sample.header, document)
    count, began = 0, time.perf_counter()
    deadline = began + seconds
    while time.perf_counter() < deadline:
        for _ in range(50):
            sign_compact(key, sample.header, document)
        count += 50
    return count / (time.perf_counter() - began), len(jws)


# --- inserting --------------------------------------------------------------------------------


async def _scratch_table(connection: asyncpg.Connection) -> list[asyncpg.Record]:
    await connection.execute(f"DROP TABLE IF EXISTS {SCRATCH_TABLE}")
    # Columns, defaults, unique constraints and indexes of credentials; no foreign keys.
    await connection.execute(
        f"CREATE TABLE {SCRATCH_TABLE} (LIKE credentials INCLUDING DEFAULTS "
        "INCLUDING CONSTRAINTS INCLUDING INDEXES)"
    )
    # Rows whose document id is urn:uuid:<row id>, as every credential seeded through the API
    # has: _fresh_row makes each copy's document id unique by replacing that text.
    return list(
        await connection.fetch(
            "SELECT * FROM credentials WHERE document->>'id' = 'urn:uuid:' || id::text LIMIT $1",
            ROWS_PER_TRANSACTION,
        )
    )


def _fresh_row(template: asyncpg.Record, status_index: int) -> dict[str, Any]:
    """A copy of a real row with new values in its unique columns: the row id, the status
    index and the document's own ``id`` (``urn:uuid:`` and the row id, unique over every
    credential), which the JSONB text read back holds once."""
    row = dict(template)
    row_id = uuid.uuid4()
    document: str = row["document"]
    row.update(
        id=row_id,
        status_index=status_index,
        idempotency_key=None,
        document=document.replace(f"urn:uuid:{template['id']}", f"urn:uuid:{row_id}", 1),
    )
    return row


def _fresh_rows(templates: list[asyncpg.Record], start: int) -> list[tuple[Any, ...]]:
    return [
        tuple(
            _fresh_row(
                templates[offset % len(templates)], FIRST_SCRATCH_INDEX + start + offset
            ).values()
        )
        for offset in range(ROWS_PER_TRANSACTION)
    ]


async def _rate(
    connection: asyncpg.Connection,
    templates: list[asyncpg.Record],
    seconds: float,
    start: int,
    use_copy: bool,
) -> tuple[float, int]:
    columns = list(templates[0].keys())
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    # Identifiers from the constant and the table's own column names, never from input.
    insert = f"INSERT INTO {SCRATCH_TABLE} ({', '.join(columns)}) VALUES ({placeholders})"  # noqa: S608
    inserted, spent, rounds = 0, 0.0, 0
    while spent < seconds or rounds < 2:
        rows = _fresh_rows(templates, start + inserted)
        began = time.perf_counter()
        async with connection.transaction():
            if use_copy:
                await connection.copy_records_to_table(SCRATCH_TABLE, records=rows, columns=columns)
            else:
                await connection.executemany(insert, rows)
        spent += time.perf_counter() - began
        inserted += len(rows)
        rounds += 1
    return inserted / spent, start + inserted


async def _single_rate(
    database_url: str,
    templates: list[asyncpg.Record],
    seconds: float,
    start: int,
    lookups: int = 0,
) -> float:
    """Transactions of one row each per second, from concurrent connections; each first makes
    ``lookups`` indexed look-ups (a round trip each), as an issuance reads before it writes."""
    columns = list(templates[0].keys())
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    insert = f"INSERT INTO {SCRATCH_TABLE} ({', '.join(columns)}) VALUES ({placeholders})"  # noqa: S608
    lookup = f"SELECT id FROM {SCRATCH_TABLE} WHERE id = $1"  # noqa: S608 - a constant
    pool = await asyncpg.create_pool(
        asyncpg_url(database_url), min_size=SINGLE_CONNECTIONS, max_size=SINGLE_CONNECTIONS
    )
    next_index = start
    deadline = time.perf_counter() + seconds

    async def client() -> int:
        nonlocal next_index
        done = 0
        while time.perf_counter() < deadline:
            row = _fresh_row(templates[next_index % len(templates)], next_index)
            next_index += 1
            async with pool.acquire() as connection, connection.transaction():
                for _ in range(lookups):
                    await connection.fetchval(lookup, row["id"])
                await connection.execute(insert, *row.values())
            done += 1
        return done

    try:
        began = time.perf_counter()
        done = await asyncio.gather(*(client() for _ in range(SINGLE_CONNECTIONS)))
        return sum(done) / (time.perf_counter() - began)
    finally:
        await pool.close()


async def measure_inserting(
    database_url: str, seconds: float
) -> tuple[float, float, float, float, int]:
    """Rows per second with COPY, with executemany, one per transaction, and one per
    issuance-shaped transaction; a row's size."""
    connection = await asyncpg.connect(asyncpg_url(database_url))
    try:
        templates = await _scratch_table(connection)
        copy_rate, next_index = await _rate(connection, templates, seconds, 0, use_copy=True)
        many_rate, next_index = await _rate(
            connection, templates, seconds, next_index, use_copy=False
        )
        first = FIRST_SCRATCH_INDEX + next_index
        single_rate = await _single_rate(database_url, templates, seconds, first)
        shaped_rate = await _single_rate(
            database_url, templates, seconds, first + 10_000_000, ISSUANCE_LOOKUPS
        )
        row_bytes: int = await connection.fetchval(ROW_SIZE_QUERY)
        await connection.execute(f"DROP TABLE {SCRATCH_TABLE}")
        return copy_rate, many_rate, single_rate, shaped_rate, row_bytes
    finally:
        await connection.close()


async def measure(database_url: str, sample: SampleCredential, seconds: float) -> Floors:
    sign_rate, jws_bytes = measure_signing(sample, seconds)
    copy_rate, many_rate, single_rate, shaped_rate, row_bytes = await measure_inserting(
        database_url, seconds
    )
    return Floors(
        sign_per_s=round(sign_rate, 1),
        payload_bytes=len(sample.payload),
        jws_bytes=jws_bytes,
        copy_rows_per_s=round(copy_rate, 1),
        executemany_rows_per_s=round(many_rate, 1),
        row_bytes=row_bytes,
        single_transactions_per_s=round(single_rate, 1),
        issuance_shaped_transactions_per_s=round(shaped_rate, 1),
    )
