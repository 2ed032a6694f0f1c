"""What the verifier asks of this instance: its own issuers' keys and lists, and who is trusted.

Our own DID documents, keys and status lists are read from the database rather than over HTTP,
so verifying our own credentials needs no network and cannot be fooled by DNS.
"""

from __future__ import annotations

import asyncio
import functools
import re
import uuid
from collections.abc import Mapping
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
        named = _status_list_named(path)
        try:
            if named is None:
                raise NotFound(url)
            return (await status_lists.recent_publication(self._session, *named)).jwt
        except NotFound as exc:
            raise HttpStatusError(
                f"{url} is not a status list of this instance", status=404
            ) from exc


# Kept per path: every verification of one of our credentials reads the same few list URLs,
# and matching one and making its UUID was a few µs of each.
@functools.lru_cache(maxsize=1024)
def _status_list_named(path: str) -> tuple[uuid.UUID, str] | None:
    """(list id, purpose) of one of this instance's status-list paths; None for anything else."""
    match = _STATUS_PATH.match(path)
    try:
        return (uuid.UUID(match[1]), match[2]) if match else None
    except ValueError:  # 36 of the pattern's characters, but not a UUID ("-" * 36)
        return None


# Whether a credential was issued under the issuing policy never changes once it is issued, and
# the trust check runs only after the signature verified with this instance's key; kept so that
# verifying a credential again needs no database. A verifier checks many different credentials:
# with room for 4,096 of them, cycling through 10,000 read the database on every verification,
# a transaction each, and those queued at 64 clients for the pool. An entry is ~200 bytes.
_POLICY_ANSWERS_KEPT: Final = 65_536
# "Yes" is kept for an hour; "no" only for the usual seconds (the row may not be visible yet to a
# verification racing its issuance in another process).
_PASSED_POLICY_SECONDS: Final = 3600.0
_PolicyQuestion = tuple[uuid.UUID, str]  # (institution, the credential's own id)
_under_policy: ProcessCache[_PolicyQuestion, bool] = ProcessCache(_POLICY_ANSWERS_KEPT)


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
            cached = await _policy_answers.ask(self._session, key)
        return cached


def _keep_policy_answers(answers: dict[_PolicyQuestion, bool]) -> None:
    # With the process caches off (0 seconds), nothing is kept.
    passed = _PASSED_POLICY_SECONDS if _under_policy.seconds() > 0 else 0
    for key, answer in answers.items():
        _under_policy.put(key, answer, passed if answer else None)


class _PolicyAnswers:
    """The issuing-policy questions of verifications running at the same moment, asked in one
    query.

    A verifier going through many different credentials at 64 at a time had each verification
    read the database on its own, and each queued for one of the pool's connections (the
    overflow ones opened and closed again), which stretched the tail. The first verification
    to ask gathers the questions of those that reach the same point before the event loop
    turns, asks them all in its own session, and hands out the answers.
    """

    def __init__(self) -> None:
        self._gathering: dict[_PolicyQuestion, asyncio.Future[bool]] | None = None

    async def ask(self, session: AsyncSession, question: _PolicyQuestion) -> bool:
        gathering = self._gathering
        if gathering is not None:
            asked = gathering.get(question)
            if asked is None:
                asked = gathering[question] = asyncio.get_running_loop().create_future()
            try:
                return await asyncio.shield(asked)
            except asyncio.CancelledError:
                if not asked.cancelled():
                    raise  # this verification was cancelled, not the query
            # The query failed for the verification that asked it: ask for this one alone.
            alone = await self._answer(session, {question: None})
            return alone[question]
        gathering = self._gathering = {}
        gathering[question] = asyncio.get_running_loop().create_future()
        try:
            try:
                await asyncio.sleep(0)  # the verifications ready in this turn of the loop join
            finally:
                self._gathering = None
            answers = await self._answer(session, gathering)
        except BaseException:  # the others ask for themselves
            for asked in gathering.values():
                asked.cancel()
            raise
        for key, asked in gathering.items():
            asked.set_result(answers[key])
        return answers[question]

    @staticmethod
    async def _answer(
        session: AsyncSession, questions: Mapping[_PolicyQuestion, object]
    ) -> dict[_PolicyQuestion, bool]:
        passed = await credentials.passed_issuing_policy_among(session, list(questions))
        answers = {key: key in passed for key in questions}
        _keep_policy_answers(answers)
        return answers


_policy_answers = _PolicyAnswers()
