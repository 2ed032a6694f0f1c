from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.config import get_settings


@pytest.fixture
def private_smtp_allowed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The test SMTP server listens on 127.0.0.1, which production never connects to."""
    monkeypatch.setenv("STAPEL_SMTP_ALLOW_PRIVATE_ADDRESSES", "true")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("STAPEL_SMTP_ALLOW_PRIVATE_ADDRESSES")
    get_settings.cache_clear()
