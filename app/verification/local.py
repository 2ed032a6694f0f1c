"""What the verifier asks of this instance: its own issuers' keys and lists, and who is trusted.

Our own DID documents, keys and status lists are read from the database rather than over HTTP,
so verifying our own credentials needs no network and cannot be fooled by DNS.
"""

from __future__ import annotations

import re
import uuid
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import get_settings
from app.credentials import repository as credentials
from app.errors import NotFound
from app.institutions.cache import institution_by_slug
from app.keys import service as keys
from app.keys.did import institution_did
from app.process_cache import ProcessCache
from app.status_lists import service as status_lists
from app.verification.errors import HttpStatusError
from app.verification.fetching import SafeFetcher
from app.verification.verifier import IssuerStanding

_STATUS_PATH = re.compile(r"^/status-lists/([0-9a-f-]{36})/(revocation|suspension)$")
_KEY_PATH = re.compile(r"^/issuers/([a-z0-9-]{1,63})/keys/([A-Za-z0-9_-]{1,64})$")
_STATUS_LIST_ACCEPT = "application/vc+jwt, application/jwt;q=0.9"


def _local_path(url: str) -> str | None:
    base = get_settings().public_base_url
    return url[len(base) :] if url.startswith(base + "/") else None


class DatabaseIdentity:
    """This instance's issuers, answered from the database (a ``LocalIdentity``)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._prefix = institution_did("")
        # One verification asks for the same document for the credential and its status lists.
        self._documents: dict[str, dict[str, Any] | None] = {}

    def is_local_did(self, did: str) -> bool:
        return did.startswith(self._prefix)

    async def did_document(self, did: str) -> dict[str, Any] | None:
        if did not in self._documents:
            self._documents[did] = await self._load(did)
        return self._documents[did]

    async def _load(self, did: str) -> dict[str, Any] | None:
        try:
            return await keys.public_did_document(self._session, did.removeprefix(self._prefix))
        except NotFound:
            return None

    def is_local_url(self, url: str) -> bool:
        return _local_path(url) is not None

    async def jwk_at(self, url: str) -> dict[str, Any] | None:
        match = _KEY_PATH.match(_local_path(url) or "")
        if match is None:
            return None
        try:
            return await keys.public_key(self._session, match[1], match[2])
        except NotFound:
            return None


class StatusLists:
    """Status-list credentials: ours from the database, others' through the safe fetcher."""

    def __init__(self, session: AsyncSession, fetcher: SafeFetcher) -> None:
        self._session = session
        self._fetcher = fetcher

    async def fetch(self, url: str) -> str:
        path = _local_path(url)
        if path is not None:
            return await self._local(url, path)
        fetched = await self._fetcher.get(url, accept=_STATUS_LIST_ACCEPT)
        return fetched.body.decode("utf-8", errors="replace").strip()

    def remember(self, url: str, ttl_seconds: int) -> None:
        """Keep a foreign list as long as its ttl says (ours are read from the database)."""
        if _local_path(url) is None:
            self._fetcher.remember(url, _STATUS_LIST_ACCEPT, ttl_seconds)

    async def _local(self, url: str, path: str) -> str:
        match = _STATUS_PATH.match(path)
        try:
            if match is None:
                raise NotFound(url)
            return (
                await status_lists.recent_publication(self._session, uuid.UUID(match[1]), match[2])
            ).jwt
        except NotFound as exc:
            raise HttpStatusError(
                f"{url} is not a status list of this instance", status=404
            ) from exc


# Whether a credential was issued under the issuing policy never changes once it is issued, and
# the trust check runs only after the signature verified with this instance's key; kept so that
# verifying a credential again needs no database. A verifier checks many different credentials:
# with room for 4,096 of them, cycling through 10,000 read the database on every verification,
# a transaction each, and those queued at 64 clients for the pool. An entry is ~200 bytes.
_POLICY_ANSWERS_KEPT: Final = 65_536
# "Yes" is kept for an hour; "no" only for the usual seconds (the row may not be visible yet to a
# verification racing its issuance in another process).
_PASSED_POLICY_SECONDS: Final = 3600.0
_under_policy: ProcessCache[tuple[uuid.UUID, str], bool] = ProcessCache(_POLICY_ANSWERS_KEPT)


_OUTSIDE_POLICY = (
    "the credential was signed from the caller's own document (VC-API), outside the issuing "
    "policy, and claims no recognition"
)


class Trust:
    """Institutions of this instance are known; others only when on the trust list.

    Whether an institution of this instance is recognised is stated only for its credentials
    that passed the issuing policy: a credential signed from a caller's own VC-API document did
    not, and claims no recognition however the institution stands.
    """

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._prefix = institution_did("")

    async def standing(self, issuer: str, credential_id: str | None) -> IssuerStanding:
        if issuer.startswith(self._prefix):
            institution = await institution_by_slug(
                self._session, issuer.removeprefix(self._prefix)
            )
            if institution is not None:
                under_policy = credential_id is not None and await self._under_policy(
                    institution.id, credential_id
                )
                if under_policy:
                    return IssuerStanding(
                        "this_instance", institution.display_name, institution.recognised
                    )
                return IssuerStanding(
                    "this_instance", institution.display_name, None, _OUTSIDE_POLICY
                )
        if issuer in get_settings().trusted_issuers:
            return IssuerStanding("trust_list")
        return IssuerStanding(None)

    async def _under_policy(self, institution_id: uuid.UUID, credential_id: str) -> bool:
        key = (institution_id, credential_id)
        cached = _under_policy.get(key)
        if cached is None:
            cached = await credentials.passed_issuing_policy(
                self._session, institution_id, credential_id
            )
            # With the process caches off (0 seconds), nothing is kept.
            passed = _PASSED_POLICY_SECONDS if _under_policy.seconds() > 0 else 0
            _under_policy.put(key, cached, passed if cached else None)
        return cached
