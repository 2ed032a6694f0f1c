"""The development CA: made once, its key kept encrypted and private, its certificates marked."""

from __future__ import annotations

import logging
import stat
import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.certificates import development
from app.certificates.service import DEVELOPMENT_MARK, warn_of_development_certificates
from app.config import get_settings
from tests.factories import Tenant


def test_the_ca_is_created_once_with_an_encrypted_owner_only_key(tmp_path: Path) -> None:
    kek = get_settings().kek_bytes
    authority = development.load_or_create(tmp_path, kek)
    key_file = tmp_path / development.CA_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert b"ENCRYPTED PRIVATE KEY" in key_file.read_bytes()
    with pytest.raises(TypeError):  # not readable without the KEK
        serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    assert DEVELOPMENT_MARK in authority.certificate.subject.rfc4514_string()
    again = development.load_or_create(tmp_path, kek)
    assert again.certificate == authority.certificate


async def test_production_start_warns_of_an_institution_on_a_development_certificate(
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await warn_of_development_certificates(sessionmaker)
    assert not caplog.records
    authority = development.load_or_create(tmp_path, get_settings().kek_bytes)
    async with sessionmaker() as session, session.begin():
        await development.certify_active_key(session, uuid.UUID(tenant.id), authority, "test")
    with caplog.at_level(logging.WARNING):
        await warn_of_development_certificates(sessionmaker)
    [warning] = caplog.records
    assert tenant.slug in warning.getMessage()
    assert "development CA" in warning.getMessage()
