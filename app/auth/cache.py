"""API keys this process checked a moment ago (see :mod:`app.process_cache` for the bound)."""

from __future__ import annotations

from dataclasses import dataclass

from app.auth.principal import Principal
from app.process_cache import RENEW_AHEAD, ProcessCache


@dataclass(frozen=True, slots=True)
class ActiveKey:
    """An unrevoked key: the hash its secret must match, and whom it stands for."""

    secret_hash: bytes
    principal: Principal


# A revoked key must stop working once its entry runs out: never served stale. Renewed ahead,
# so a key in steady use is not looked up by a crowd of requests at the moment it runs out.
active_keys: ProcessCache[str, ActiveKey | None] = ProcessCache(
    renew_ahead=RENEW_AHEAD, serve_stale=False
)
