from __future__ import annotations

import uuid

from app.config import get_settings


def achievement_url(achievement_id: uuid.UUID, version: int) -> str:
    """The OB3 ``Achievement.id`` of one version; issued credentials carry it."""
    return f"{get_settings().public_base_url}/achievements/{achievement_id}/versions/{version}"


def latest_achievement_url(achievement_id: uuid.UUID) -> str:
    """The achievement as it is now (its current published version)."""
    return f"{get_settings().public_base_url}/achievements/{achievement_id}"
