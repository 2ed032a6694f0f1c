"""What the SD-JWT VC verifier asks of this instance and of the world: issuer metadata, status
list tokens and who is trusted. This instance's own issuers and lists are read from the
database; others' are fetched with the safe fetcher (never from private addresses unless
configured)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import get_settings
from app.db.session import in_own_session
from app.errors import NotFound
from app.eudi.metadata import issuer_metadata_url
from app.institutions.cache import institution_by_slug
from app.keys.did import issuer_base_url
from app.keys.service import public_did_document
from app.status_lists import recent
from app.token_status.service import RECENT_KEY, publication
from app.verification.errors import FetchError, HttpStatusError, KeyResolutionError
from app.verification.fetching import SafeFetcher
from app.verification.resolver import parse_json, public_jwk

_TOKEN_PATH = re.compile(r"^/status-lists/token/([0-9a-f-]{36})$")
_ISSUER_PATH = re.compile(r"^/issuers/([a-z0-9-]{1,63})$")
_STATUS_ACCEPT = "application/statuslist+jwt"
_METADATA_MAX_AGE = 300


def _local_path(url: str) -> str | None:
    base = get_settings().public_base_url
    return url[len(base) :] if url.startswith(base + "/") else None


class IssuerMetadata:
    """The keys of JWT VC Issuer Metadata (an ``IssuerMetadataSource``)."""

    def __init__(self, session: AsyncSession, fetcher: SafeFetcher) -> None:
        self._session = session
        self._fetcher = fetcher

    async def keys_of(self, issuer: str) -> list[dict[str, Any]]:
        match = _ISSUER_PATH.match(_local_path(issuer) or "")
        if match is not None:
            # The keys the JWT VC Issuer Metadata serves, from the process-cached DID document
            # that lists the same keys, so verifying our own needs no query.
            try:
                document = await public_did_document(self._session, match[1])
            except NotFound:
                raise KeyResolutionError(
                    "issuer_not_found", f"{issuer} is not an issuer here"
                ) from None
            # Each key is listed as a JsonWebKey and (P-256, Ed25519) again as a Multikey.
            return [
                public_jwk(m["publicKeyJwk"])
                for m in document["verificationMethod"]
                if "publicKeyJwk" in m
            ]
        metadata = await self._json(issuer_metadata_url(issuer))
        if not isinstance(metadata, dict) or metadata.get("issuer") != issuer:
            raise KeyResolutionError(
                "issuer_metadata_invalid", f"the JWT VC Issuer Metadata is not that of {issuer}"
            )
        jwks = metadata.get("jwks")
        if jwks is None and isinstance(metadata.get("jwks_uri"), str):
            jwks = await self._json(metadata["jwks_uri"])
        keys = jwks.get("keys") if isinstance(jwks, dict) else None
        if not isinstance(keys, list) or not keys:
            raise KeyResolutionError("issuer_metadata_invalid", "the issuer metadata lists no keys")
        return [public_jwk(k) for k in keys]

    async def _json(self, url: str) -> Any:
        try:
            fetched = await self._fetcher.get(
                url, accept="application/json", default_max_age=_METADATA_MAX_AGE
            )
        except FetchError as error:
            raise KeyResolutionError(error.code, error.detail) from error
        return parse_json(fetched.body, invalid_code="issuer_metadata_invalid", what=url)


class TokenStatusLists:
    """Status List Tokens: ours from the database, others' through the safe fetcher."""

    def __init__(self, session: AsyncSession, fetcher: SafeFetcher) -> None:
        self._session = session
        self._fetcher = fetcher

    async def fetch(self, uri: str) -> str:
        path = _local_path(uri)
        if path is None:
            fetched = await self._fetcher.get(uri, accept=_STATUS_ACCEPT)
            return fetched.body.decode("utf-8", errors="replace").strip()
        match = _TOKEN_PATH.match(path)
        try:
            if match is None:
                raise NotFound(uri)
            list_id = uuid.UUID(match[1])
            # As this process serves the list (app.status_lists.recent), so a verification
            # reads what a wallet fetching it would get.
            served = await recent.served(
                list_id,
                RECENT_KEY,
                lambda: publication(self._session, list_id),
                renew=in_own_session(lambda own: publication(own, list_id)),
            )
            return served.jwt
        except NotFound:
            raise HttpStatusError(
                f"{uri} is not a status list of this instance", status=404
            ) from None


class IssuerTrust:
    """Institutions of this instance by their issuer URL; others when on the trust list."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def known_as(self, issuer: str) -> tuple[str | None, str | None]:
        match = _ISSUER_PATH.match(_local_path(issuer) or "")
        if match is not None and issuer == issuer_base_url(match[1]):
            institution = await institution_by_slug(self._session, match[1])
            if institution is not None:
                return "this_instance", institution.display_name
        if issuer in get_settings().trusted_issuers:
            return "trust_list", None
        return None, None
