"""Queries of wallet pickup. Each single use is a conditional write the database settles."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.credentials.models import Credential
from app.oid4vci.models import WalletAccessToken, WalletIssuance, WalletNonce, WalletOffer

_INSERT_OFFER = insert(cast(Table, WalletOffer.__table__))
_INSERT_TOKEN = insert(cast(Table, WalletAccessToken.__table__))
_INSERT_NONCE = insert(cast(Table, WalletNonce.__table__))
# Expired nonces no request used, cleared a few at a time by whoever asks for a new one.
_SWEEP_BATCH = 100


async def insert_offer(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(_INSERT_OFFER, [row])


async def serve_offer(
    session: AsyncSession, offer_key_id: str, now: datetime
) -> WalletOffer | None:
    """The offer, marked served; None once it was served, or after it expired."""
    query = (
        update(WalletOffer)
        .where(
            WalletOffer.offer_key_id == offer_key_id,
            WalletOffer.served_at.is_(None),
            WalletOffer.expires_at > now,
        )
        .values(served_at=now)
        .returning(WalletOffer)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def offer_by_code_for_update(session: AsyncSession, code_key_id: str) -> WalletOffer | None:
    query = select(WalletOffer).where(WalletOffer.code_key_id == code_key_id).with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def count_wrong_tx_code(session: AsyncSession, offer_id: uuid.UUID) -> int:
    query = (
        update(WalletOffer)
        .where(WalletOffer.id == offer_id)
        .values(tx_code_attempts=WalletOffer.tx_code_attempts + 1)
        .returning(WalletOffer.tx_code_attempts)
    )
    return int((await session.execute(query)).scalar_one())


async def redeem(session: AsyncSession, offer_id: uuid.UUID, now: datetime) -> bool:
    """Mark the offer's code used; False if another request redeemed it first."""
    query = (
        update(WalletOffer)
        .where(WalletOffer.id == offer_id, WalletOffer.redeemed_at.is_(None))
        .values(redeemed_at=now)
        .returning(WalletOffer.id)
    )
    return (await session.execute(query)).scalar_one_or_none() is not None


async def credential_for_share(
    session: AsyncSession, credential_id: uuid.UUID
) -> Credential | None:
    """The credential, share-locked: a revocation waits until this pickup has committed, and a
    pickup begun after a revocation sees it."""
    query = select(Credential).where(Credential.id == credential_id).with_for_update(read=True)
    return (await session.execute(query)).scalar_one_or_none()


async def insert_token(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(_INSERT_TOKEN, [row])


async def token_by_key_id(session: AsyncSession, key_id: str) -> WalletAccessToken | None:
    query = select(WalletAccessToken).where(WalletAccessToken.key_id == key_id)
    return (await session.execute(query)).scalar_one_or_none()


async def insert_nonce(session: AsyncSession, row: dict[str, Any], now: datetime) -> None:
    expired = (
        select(WalletNonce.id)
        .where(WalletNonce.expires_at <= now)
        .limit(_SWEEP_BATCH)
        .with_for_update(skip_locked=True)
    )
    await session.execute(delete(WalletNonce).where(WalletNonce.id.in_(expired.scalar_subquery())))
    await session.execute(_INSERT_NONCE, [row])


async def take_nonce(
    session: AsyncSession, key_id: str, institution_id: uuid.UUID, now: datetime
) -> bytes | None:
    """Delete a live nonce and give its hash to compare; None if none is live under ``key_id``.

    The delete is the single use: of two requests with the same nonce, one finds no row.
    """
    query = (
        delete(WalletNonce)
        .where(
            WalletNonce.key_id == key_id,
            WalletNonce.institution_id == institution_id,
            WalletNonce.expires_at > now,
        )
        .returning(WalletNonce.secret_hash)
    )
    found = (await session.execute(query)).scalar_one_or_none()
    return bytes(found) if found is not None else None


async def record_issuance(session: AsyncSession, row: dict[str, Any]) -> bool:
    """False when this token has had this configuration already (the unique constraint)."""
    query = (
        pg_insert(WalletIssuance)
        .values(**row)
        .on_conflict_do_nothing(
            index_elements=[WalletIssuance.access_token_id, WalletIssuance.configuration_id]
        )
        .returning(WalletIssuance.id)
    )
    return (await session.execute(query)).scalar_one_or_none() is not None


async def record_notification(
    session: AsyncSession,
    issuance_id: uuid.UUID,
    access_token_id: uuid.UUID,
    event: str,
    now: datetime,
) -> WalletIssuance | None:
    query = (
        update(WalletIssuance)
        .where(WalletIssuance.id == issuance_id, WalletIssuance.access_token_id == access_token_id)
        .values(notification_event=event, notified_at=now)
        .returning(WalletIssuance)
    )
    return (await session.execute(query)).scalar_one_or_none()
