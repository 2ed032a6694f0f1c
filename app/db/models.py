"""Imports every model so that ``Base.metadata`` knows all tables (Alembic, tests)."""

from app.achievements.models import Achievement, AchievementVersion
from app.audit.models import AuditEvent
from app.auth.models import ApiClient
from app.credentials.models import Credential
from app.db.base import Base
from app.institutions.models import Institution, OrgUnit
from app.keys.models import SigningKey
from app.status_lists.models import StatusList, StatusListPublication

__all__ = [
    "Achievement",
    "AchievementVersion",
    "ApiClient",
    "AuditEvent",
    "Base",
    "Credential",
    "Institution",
    "OrgUnit",
    "SigningKey",
    "StatusList",
    "StatusListPublication",
]
