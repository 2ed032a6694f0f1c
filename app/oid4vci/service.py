"""The rules of wallet pickup (OpenID4VCI 1.0, pre-authorised code flow with a tx_code).

Staff or the learner make an offer; the wallet fetches it once, trades its pre-authorised code
and the tx_code for an access token, fetches a c_nonce, and asks for the credential with key
proofs. What it receives is the credential record it was offered (same id, same status entries)
signed afresh and bound to the holder's key, so revoking the record revokes every copy.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditEntry, record
from app.auth.principal import Principal
from app.auth.tokens import secret_matches
from app.config import get_settings
from app.credentials import repository as credentials
from app.credentials.models import Credential
from app.credentials.securing import secure
from app.errors import InvalidState, NotFound
from app.eudi.service import learning_credential
from app.institutions.cache import institution_by_id, institution_by_slug
from app.institutions.models import Institution
from app.institutions.service import institution_of
from app.keys.service import active_algorithm, signer_for
from app.oid4vci import repository
from app.oid4vci.errors import (
    CredentialRequestDenied,
    InvalidCredentialRequest,
    InvalidGrant,
    InvalidNonce,
    InvalidNotificationId,
    InvalidNotificationRequest,
    InvalidProof,
    InvalidRequest,
    InvalidToken,
    IssuerNotFound,
    OAuthError,
    UnknownCredentialConfiguration,
    UnsupportedGrantType,
)
from app.oid4vci.metadata import (
    CONFIGURATIONS,
    PRE_AUTHORIZED_CODE_GRANT,
    authorization_server_metadata,
    credential_issuer,
    issuer_metadata,
)
from app.oid4vci.models import WalletAccessToken, WalletOffer
from app.oid4vci.proofs import ProvenKey, read_proof
from app.sharing.tokens import new_claim_token, parse_claim_token

OFFER_SCHEME = "openid-credential-offer://"
TX_CODE_LENGTH = 6
NOTIFICATION_EVENTS = frozenset({"credential_accepted", "credential_failure", "credential_deleted"})
_MAX_DESCRIPTION = 1024


@dataclass(frozen=True, slots=True)
class MadeOffer:
    """An offer as made: its addresses and tx_code exist only in this answer."""

    offer_uri: str
    credential_offer_uri: str
    tx_code: str
    expires_at: datetime
    configuration_ids: list[str]


@dataclass(frozen=True, slots=True)
class GrantedToken:
    access_token: str
    expires_in: int


@dataclass(frozen=True, slots=True)
class IssuedToWallet:
    credentials: list[str]
    notification_id: str


async def issuer_of(session: AsyncSession, slug: str) -> Institution:
    institution = await institution_by_slug(session, slug)
    if institution is None:
        raise IssuerNotFound("No credential issuer at this address.")
    return institution


async def credential_issuer_metadata(session: AsyncSession, slug: str) -> dict[str, Any]:
    institution = await issuer_of(session, slug)
    # The algorithm only: the private key has no business being unwrapped for metadata.
    algorithm = await active_algorithm(session, institution.id)
    return issuer_metadata(institution, algorithm, get_settings().wallet_batch_size)


async def token_server_metadata(session: AsyncSession, slug: str) -> dict[str, Any]:
    return authorization_server_metadata((await issuer_of(session, slug)).slug)


def ensure_pickable(credential: Credential, now: datetime) -> None:
    """A wallet may take only a credential that is valid now."""
    if credential.state != "active":
        raise InvalidState(f"A {credential.state} credential cannot be taken into a wallet.")
    if credential.valid_until is not None and credential.valid_until <= now:
        raise InvalidState("An expired credential cannot be taken into a wallet.")


def is_pickable(credential: Credential, now: datetime) -> bool:
    try:
        ensure_pickable(credential, now)
    except InvalidState:
        return False
    return True


async def _pickable(
    session: AsyncSession, credential_id: uuid.UUID, now: datetime, refusal: type[OAuthError]
) -> Credential:
    """The credential, share-locked and valid now; else ``refusal``, in the step's own words."""
    credential = await repository.credential_for_share(session, credential_id)
    if credential is None:
        raise refusal("The credential no longer exists.")
    try:
        ensure_pickable(credential, now)
    except InvalidState as state:
        raise refusal(state.detail) from None
    return credential


async def offer_by_learner(session: AsyncSession, credential: Credential, actor: str) -> MadeOffer:
    """An offer made from the learner's claim view, the claim link being the learner's proof."""
    institution = await institution_by_id(session, credential.institution_id)
    if institution is None:
        raise NotFound("No such institution.")
    return await make_offer(session, institution, credential, actor)


async def offer_by_staff(
    session: AsyncSession, principal: Principal, credential_id: uuid.UUID
) -> MadeOffer:
    institution = await institution_of(session, principal)
    credential = await credentials.get(session, principal.tenant(), credential_id)
    if credential is None:
        raise NotFound("No such credential.")
    return await make_offer(session, institution, credential, principal.actor)


async def make_offer(
    session: AsyncSession, institution: Institution, credential: Credential, actor: str
) -> MadeOffer:
    """A new offer of every configuration, for a credential the caller may offer."""
    now = datetime.now(UTC)
    ensure_pickable(credential, now)
    settings = get_settings()
    offer_id = uuid.uuid4()
    reference, code = new_claim_token(), new_claim_token()
    tx_code = f"{secrets.randbelow(10**TX_CODE_LENGTH):0{TX_CODE_LENGTH}d}"
    expires_at = now + timedelta(minutes=settings.offer_minutes)
    configuration_ids = list(CONFIGURATIONS)
    await repository.insert_offer(
        session,
        {
            "id": offer_id,
            "institution_id": institution.id,
            "credential_id": credential.id,
            "configuration_ids": configuration_ids,
            "offer_key_id": reference.key_id,
            "offer_secret_hash": reference.secret_hash,
            "code_key_id": code.key_id,
            "code_secret_hash": code.secret_hash,
            "tx_code_hash": _tx_code_hash(offer_id, tx_code),
            "tx_code_attempts": 0,
            "expires_at": expires_at,
            "created_at": now,
        },
    )
    await record(
        session,
        actor,
        AuditEntry(
            "credential.wallet_offer_created",
            "credential",
            str(credential.id),
            institution.id,
            {"offer_id": str(offer_id), "expires_at": expires_at.isoformat()},
        ),
    )
    # The pre-authorised code travels inside the offer's address, so that it is stored nowhere
    # in clear: serving the offer reads it back from the address it was asked for at.
    offer_url = f"{credential_issuer(institution.slug)}/offers/{reference.token}.{code.token}"
    return MadeOffer(
        offer_uri=f"{OFFER_SCHEME}?credential_offer_uri={quote(offer_url, safe='')}",
        credential_offer_uri=offer_url,
        tx_code=tx_code,
        expires_at=expires_at,
        configuration_ids=configuration_ids,
    )


def _tx_code_hash(offer_id: uuid.UUID, tx_code: str) -> bytes:
    return hashlib.sha256(offer_id.bytes + tx_code.encode()).digest()


async def serve_offer(session: AsyncSession, slug: str, reference: str) -> dict[str, Any]:
    """The credential offer object behind a ``credential_offer_uri``, served once."""
    institution = await issuer_of(session, slug)
    offer_token, _, code_token = reference.partition(".")
    parsed, code = parse_claim_token(offer_token), parse_claim_token(code_token)
    offer = (
        await repository.serve_offer(session, parsed.key_id, datetime.now(UTC))
        if parsed and code
        else None
    )
    if (
        parsed is None
        or code is None
        or offer is None
        or offer.institution_id != institution.id
        or offer.code_key_id != code.key_id
        or not parsed.matches(offer.offer_secret_hash)
        or not code.matches(offer.code_secret_hash)
    ):
        # Unknown, served already and expired read alike: the wallet can only ask for a new one.
        raise InvalidRequest("No such credential offer, or it was fetched already or expired.")
    return {
        "credential_issuer": credential_issuer(institution.slug),
        "credential_configuration_ids": offer.configuration_ids,
        "grants": {
            PRE_AUTHORIZED_CODE_GRANT: {
                "pre-authorized_code": code.token,
                "tx_code": {
                    "input_mode": "numeric",
                    "length": TX_CODE_LENGTH,
                    "description": "The code shown beside the QR code / de code naast de QR-code",
                },
            }
        },
    }


@dataclass(frozen=True, slots=True)
class TokenRequest:
    grant_type: str | None
    pre_authorized_code: str | None
    tx_code: str | None


class WrongTxCode(InvalidGrant):
    """A wrong tx_code: refused, and counted, so the count must outlive the refusal."""


def offer_of(request: TokenRequest) -> str | None:
    """The key id of the offer a token request names (its rate limit's key); None for no code."""
    parsed = parse_claim_token(request.pre_authorized_code or "")
    return parsed.key_id if parsed else None


async def grant_token(session: AsyncSession, slug: str, request: TokenRequest) -> GrantedToken:
    """An access token for a live offer's pre-authorised code and its tx_code.

    Raises ``WrongTxCode`` after counting the attempt; the caller commits that count.
    """
    institution = await issuer_of(session, slug)
    if request.grant_type != PRE_AUTHORIZED_CODE_GRANT:
        refusal: type[OAuthError] = (
            InvalidRequest if request.grant_type is None else UnsupportedGrantType
        )
        raise refusal(f"Use the grant type {PRE_AUTHORIZED_CODE_GRANT}.")
    if request.pre_authorized_code is None:
        raise InvalidRequest("The pre-authorized_code parameter is missing.")
    if request.tx_code is None:
        raise InvalidRequest("This offer needs its tx_code, sent beside the QR code.")
    now = datetime.now(UTC)
    offer = await _live_offer(session, institution, request.pre_authorized_code, now)
    if not secrets.compare_digest(_tx_code_hash(offer.id, request.tx_code), offer.tx_code_hash):
        attempts = await repository.count_wrong_tx_code(session, offer.id)
        left = get_settings().offer_tx_code_attempts - attempts
        raise WrongTxCode(
            f"The tx_code is wrong; {left} attempt(s) left."
            if left > 0
            else "The tx_code is wrong; the offer is dead now, ask for a new one."
        )
    credential = await _pickable(session, offer.credential_id, now, InvalidGrant)
    if not await repository.redeem(session, offer.id, now):
        raise InvalidGrant("The pre-authorized code was used already.")
    await record(
        session,
        f"wallet:offer:{offer.id}",
        AuditEntry(
            "credential.wallet_offer_redeemed",
            "credential",
            str(credential.id),
            institution.id,
            {"offer_id": str(offer.id)},
        ),
    )
    return await _new_access_token(session, offer, now)


async def _live_offer(
    session: AsyncSession, institution: Institution, code_token: str, now: datetime
) -> WalletOffer:
    code = parse_claim_token(code_token)
    offer = await repository.offer_by_code_for_update(session, code.key_id) if code else None
    if (
        code is None
        or offer is None
        or offer.institution_id != institution.id
        or not code.matches(offer.code_secret_hash)
    ):
        raise InvalidGrant("The pre-authorized code is not known.")
    if offer.redeemed_at is not None:
        raise InvalidGrant("The pre-authorized code was used already.")
    if offer.expires_at <= now:
        raise InvalidGrant("The offer has expired; ask for a new one.")
    if offer.tx_code_attempts >= get_settings().offer_tx_code_attempts:
        raise InvalidGrant("The offer is dead after too many wrong tx_codes; ask for a new one.")
    return offer


async def _new_access_token(
    session: AsyncSession, offer: WalletOffer, now: datetime
) -> GrantedToken:
    lifetime = get_settings().wallet_token_seconds
    token = new_claim_token()
    await repository.insert_token(
        session,
        {
            "id": uuid.uuid4(),
            "offer_id": offer.id,
            "institution_id": offer.institution_id,
            "credential_id": offer.credential_id,
            "configuration_ids": offer.configuration_ids,
            "key_id": token.key_id,
            "secret_hash": token.secret_hash,
            "expires_at": now + timedelta(seconds=lifetime),
            "created_at": now,
        },
    )
    return GrantedToken(token.token, lifetime)


async def new_nonce(session: AsyncSession, slug: str) -> str:
    institution = await issuer_of(session, slug)
    now = datetime.now(UTC)
    nonce = new_claim_token()
    await repository.insert_nonce(
        session,
        {
            "id": uuid.uuid4(),
            "key_id": nonce.key_id,
            "secret_hash": nonce.secret_hash,
            "institution_id": institution.id,
            "expires_at": now + timedelta(seconds=get_settings().wallet_nonce_seconds),
            "created_at": now,
        },
        now,
    )
    return nonce.token


async def access_token_of(
    session: AsyncSession, institution: Institution, authorization: str | None
) -> WalletAccessToken:
    """The live access token of a ``Bearer`` header; InvalidToken for anything else."""
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not value:
        raise InvalidToken("Send the access token as 'Authorization: Bearer <token>'.")
    parsed = parse_claim_token(value.strip())
    token = await repository.token_by_key_id(session, parsed.key_id) if parsed else None
    if (
        parsed is None
        or token is None
        or token.institution_id != institution.id
        or not secret_matches(parsed.secret, token.secret_hash)
    ):
        raise InvalidToken("The access token is not known.")
    if token.expires_at <= datetime.now(UTC):
        raise InvalidToken("The access token has expired.")
    return token


async def issue_to_wallet(
    session: AsyncSession, slug: str, authorization: str | None, body: object
) -> IssuedToWallet:
    """The credential in the asked configuration, once per proven holder key."""
    institution = await issuer_of(session, slug)
    token = await access_token_of(session, institution, authorization)
    configuration_id, proofs = _read_request(body)
    if configuration_id not in token.configuration_ids:
        raise UnknownCredentialConfiguration(
            f"This access token is for {', '.join(token.configuration_ids)} only."
        )
    settings = get_settings()
    if len(proofs) > settings.wallet_batch_size:
        raise InvalidProof(f"At most {settings.wallet_batch_size} proofs in one request.")
    now = datetime.now(UTC)
    audience = credential_issuer(institution.slug)
    keys = [
        read_proof(
            proof,
            audience=audience,
            now=now,
            max_age_seconds=settings.wallet_nonce_seconds,
            skew_seconds=settings.verification_clock_skew_seconds,
        )
        for proof in proofs
    ]
    for nonce in {key.nonce for key in keys}:
        await _use_nonce(session, institution, nonce, now)
    credential = await _pickable(session, token.credential_id, now, CredentialRequestDenied)
    issuance_id = uuid.uuid4()
    holders = list(dict.fromkeys(key.holder_did for key in keys))
    recorded = await repository.record_issuance(
        session,
        {
            "id": issuance_id,
            "access_token_id": token.id,
            "credential_id": credential.id,
            "configuration_id": configuration_id,
            "holder_dids": holders,
            "created_at": now,
        },
    )
    if not recorded:
        raise CredentialRequestDenied(
            "This credential was picked up in this configuration with this token already."
        )
    try:
        signer = await signer_for(session, institution)
    except NotFound:
        raise CredentialRequestDenied("The issuer has no signing key at the moment.") from None
    profile = CONFIGURATIONS[configuration_id].profile
    if profile is None:
        signed = [
            await learning_credential(session, institution, credential, key.jwk, now, signer)
            for key in keys
        ]
    else:
        signed = [secure(bound_to(credential.document, key), signer, profile, now) for key in keys]
    await record(
        session,
        f"wallet:access_token:{token.id}",
        AuditEntry(
            "credential.picked_up",
            "credential",
            str(credential.id),
            institution.id,
            {
                "configuration_id": configuration_id,
                "copies": len(signed),
                "holders": len(holders),
                "notification_id": str(issuance_id),
            },
        ),
    )
    return IssuedToWallet(signed, str(issuance_id))


def _read_request(body: object) -> tuple[str, list[object]]:
    if not isinstance(body, dict):
        raise InvalidCredentialRequest("The credential request must be a JSON object.")
    if "credential_identifier" in body:
        raise InvalidCredentialRequest(
            "This issuer hands out no credential identifiers; ask by credential_configuration_id."
        )
    if "credential_response_encryption" in body:
        raise InvalidCredentialRequest("Encrypted credential responses are not offered.")
    configuration_id = body.get("credential_configuration_id")
    if not isinstance(configuration_id, str):
        raise InvalidCredentialRequest("credential_configuration_id is missing.")
    if configuration_id not in CONFIGURATIONS:
        raise UnknownCredentialConfiguration(f"No credential configuration {configuration_id!r}.")
    if "proof" in body:
        raise InvalidCredentialRequest("Send key proofs in 'proofs', as OpenID4VCI 1.0 does.")
    proofs = body.get("proofs")
    if not isinstance(proofs, dict) or not proofs:
        raise InvalidProof("Each credential is bound to a key: send proofs.jwt.")
    if set(proofs) != {"jwt"}:
        raise InvalidProof("Only the jwt proof type is accepted.")
    jwts = proofs["jwt"]
    if not isinstance(jwts, list) or not jwts:
        raise InvalidProof("proofs.jwt must be a non-empty array of JWTs.")
    return configuration_id, jwts


async def _use_nonce(
    session: AsyncSession, institution: Institution, nonce: str, now: datetime
) -> None:
    parsed = parse_claim_token(nonce)
    stored = (
        await repository.take_nonce(session, parsed.key_id, institution.id, now) if parsed else None
    )
    if parsed is None or stored is None or not parsed.matches(stored):
        raise InvalidNonce("The proof's nonce is not a live c_nonce; fetch a new one.")


def bound_to(document: dict[str, Any], key: ProvenKey) -> dict[str, Any]:
    """The credential with the holder's DID as its subject's id (first, as people read it)."""
    bound: dict[str, Any] = orjson.loads(orjson.dumps(document))
    subject = {k: v for k, v in bound["credentialSubject"].items() if k != "id"}
    bound["credentialSubject"] = {"id": key.holder_did, **subject}
    return bound


async def notify(session: AsyncSession, slug: str, authorization: str | None, body: object) -> None:
    """Record what the wallet says became of credentials it received (OpenID4VCI §11)."""
    institution = await issuer_of(session, slug)
    token = await access_token_of(session, institution, authorization)
    if not isinstance(body, dict):
        raise InvalidNotificationRequest("The notification must be a JSON object.")
    event, description = body.get("event"), body.get("event_description")
    if not isinstance(event, str) or event not in NOTIFICATION_EVENTS:
        raise InvalidNotificationRequest(
            f"event must be one of {', '.join(sorted(NOTIFICATION_EVENTS))}."
        )
    if description is not None and not _is_printable_ascii(description):
        raise InvalidNotificationRequest(
            f"event_description must be printable ASCII of at most {_MAX_DESCRIPTION} characters."
        )
    try:
        issuance_id = uuid.UUID(str(body.get("notification_id")))
    except ValueError:
        raise InvalidNotificationId("notification_id is not one this token received.") from None
    now = datetime.now(UTC)
    issuance = await repository.record_notification(session, issuance_id, token.id, event, now)
    if issuance is None:
        raise InvalidNotificationId("notification_id is not one this token received.")
    await record(
        session,
        f"wallet:access_token:{token.id}",
        AuditEntry(
            f"credential.wallet_{event}",
            "credential",
            str(issuance.credential_id),
            institution.id,
            {"configuration_id": issuance.configuration_id, "notification_id": str(issuance.id)},
        ),
    )


def _is_printable_ascii(value: object) -> bool:
    return (
        isinstance(value, str)
        and len(value) <= _MAX_DESCRIPTION
        and all(" " <= c <= "~" for c in value)
    )
