"""Imports every model so that ``Base.metadata`` knows all tables (Alembic, tests)."""

from app.achievements.models import Achievement, AchievementVersion
from app.audit.models import AuditEvent
from app.auth.models import ApiClient
from app.certificates.models import IssuerCertificate
from app.credentials.models import Credential
from app.db.base import Base
from app.images.models import StoredImage
from app.institutions.models import Institution, OrgUnit
from app.keys.models import SigningKey
from app.learner_requests.models import CredentialRequest, ExternalCredential
from app.mail.models import MailOutboxEntry, SmtpSettings
from app.oid4vci.models import WalletAccessToken, WalletIssuance, WalletNonce, WalletOffer
from app.pathways.models import PathwayApproval, PathwayAward, PathwayEvent
from app.recognition.models import Recognition
from app.sharing.models import ClaimLink
from app.sis.models import CourseMapping, Integration, IntegrationSecret, SisEvent, SisResult
from app.status_lists.models import StatusList, StatusListPublication
from app.token_status.models import TokenStatusEntry, TokenStatusList, TokenStatusPublication
from app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "Achievement",
    "AchievementVersion",
    "ApiClient",
    "AuditEvent",
    "Base",
    "ClaimLink",
    "CourseMapping",
    "Credential",
    "CredentialRequest",
    "ExternalCredential",
    "Institution",
    "Integration",
    "IntegrationSecret",
    "IssuerCertificate",
    "MailOutboxEntry",
    "OrgUnit",
    "PathwayApproval",
    "PathwayAward",
    "PathwayEvent",
    "Recognition",
    "SigningKey",
    "SisEvent",
    "SisResult",
    "SmtpSettings",
    "StatusList",
    "StatusListPublication",
    "StoredImage",
    "TokenStatusEntry",
    "TokenStatusList",
    "TokenStatusPublication",
    "WalletAccessToken",
    "WalletIssuance",
    "WalletNonce",
    "WalletOffer",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
