from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    CATALOGUE_WRITE = "catalogue:write"
    CREDENTIALS_ISSUE = "credentials:issue"
    CREDENTIALS_REVOKE = "credentials:revoke"
    CREDENTIALS_READ = "credentials:read"
    REQUESTS_WRITE = "requests:write"
    REQUESTS_READ = "requests:read"
    KEYS_MANAGE = "keys:manage"
    INSTITUTION_ADMIN = "institution:admin"
    INTEGRATIONS_MANAGE = "integrations:manage"
    OPERATOR = "operator"


INSTITUTION_SCOPES = frozenset(s for s in Scope if s is not Scope.OPERATOR)
