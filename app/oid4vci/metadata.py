"""The documents a wallet reads before it asks for anything: what this issuer offers, and how.

Each institution is its own Credential Issuer, ``{base}/issuers/{slug}``, and its own
authorisation server for the pre-authorised code grant (so its issuer metadata names no
``authorization_servers``). The two credential configurations are one Open Badges 3.0
credential in two securings: ``jwt_vc_json`` (the VCDM 1.1 ``vc``-claim JWT, our ``vc-jwt-11``)
and ``vc+jwt`` (the VCDM 2.0 credential itself as the payload, our ``vc-jose``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.config import SecuringProfileName
from app.contexts import OB_V3P0, VC_V2, eu_microcredential_url
from app.institutions.models import Institution
from app.keys.did import issuer_base_url
from app.oid4vci.proofs import BINDING_METHODS, PROOF_ALGORITHMS

PRE_AUTHORIZED_CODE_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
CREDENTIAL_TYPE = ["VerifiableCredential", "OpenBadgeCredential"]
# Colours of the card a wallet draws; an institution has none of its own to give yet.
_BACKGROUND, _TEXT = "#12355B", "#FFFFFF"


@dataclass(frozen=True, slots=True)
class Configuration:
    format: str
    profile: SecuringProfileName
    # The JSON-LD format (vc+jwt) names the credential's contexts as well; jwt_vc_json does not.
    names_contexts: bool

    def definition(self) -> dict[str, Any]:
        if not self.names_contexts:
            return {"type": CREDENTIAL_TYPE}
        return {"@context": [VC_V2, OB_V3P0, eu_microcredential_url()], "type": CREDENTIAL_TYPE}


CONFIGURATIONS: dict[str, Configuration] = {
    "OpenBadgeCredential_jwt_vc_json": Configuration("jwt_vc_json", "vc-jwt-11", False),
    "OpenBadgeCredential_vc+jwt": Configuration("vc+jwt", "vc-jose", True),
}

_CARD_NAMES = {"nl": "Microcredential", "en": "Micro-credential"}
_CARD_DESCRIPTIONS = {
    "nl": "Open Badge 3.0, uitgegeven met Stapel",
    "en": "Open Badge 3.0, issued with Stapel",
}


def credential_issuer(slug: str) -> str:
    return issuer_base_url(slug)


def issuer_metadata(
    institution: Institution, signing_algorithm: str | None, batch_size: int
) -> dict[str, Any]:
    """Credential Issuer Metadata (OpenID4VCI 1.0 §12.2)."""
    issuer = credential_issuer(institution.slug)
    display: list[dict[str, Any]] = []
    for locale in _CARD_NAMES:
        entry: dict[str, Any] = {"name": institution.display_name, "locale": locale}
        if institution.logo_url:
            entry["logo"] = {"uri": institution.logo_url, "alt_text": institution.display_name}
        display.append(entry)
    return {
        "credential_issuer": issuer,
        "credential_endpoint": f"{issuer}/credential",
        "nonce_endpoint": f"{issuer}/nonce",
        "notification_endpoint": f"{issuer}/notification",
        "batch_credential_issuance": {"batch_size": batch_size},
        "display": display,
        "credential_configurations_supported": {
            configuration_id: _configuration(configuration, institution, signing_algorithm)
            for configuration_id, configuration in CONFIGURATIONS.items()
        },
    }


def _configuration(
    configuration: Configuration, institution: Institution, signing_algorithm: str | None
) -> dict[str, Any]:
    cards: list[dict[str, Any]] = []
    for locale, name in _CARD_NAMES.items():
        card: dict[str, Any] = {
            "name": name,
            "locale": locale,
            "description": _CARD_DESCRIPTIONS[locale],
            "background_color": _BACKGROUND,
            "text_color": _TEXT,
        }
        if institution.logo_url:
            card["logo"] = {"uri": institution.logo_url, "alt_text": institution.display_name}
        cards.append(card)
    return {
        "format": configuration.format,
        "credential_definition": configuration.definition(),
        "cryptographic_binding_methods_supported": list(BINDING_METHODS),
        # Empty while the institution has no active key: then nothing can be signed.
        "credential_signing_alg_values_supported": [signing_algorithm] if signing_algorithm else [],
        "proof_types_supported": {
            "jwt": {"proof_signing_alg_values_supported": list(PROOF_ALGORITHMS)}
        },
        "credential_metadata": {"display": cards},
    }


def authorization_server_metadata(slug: str) -> dict[str, Any]:
    """RFC 8414 metadata of the token endpoint: the pre-authorised code grant and nothing else.

    There is no authorisation endpoint, so no response type is supported (the list that RFC 8414
    requires is empty); wallets need no client registration (anonymous access).
    """
    issuer = credential_issuer(slug)
    return {
        "issuer": issuer,
        "token_endpoint": f"{issuer}/token",
        "response_types_supported": [],
        "grant_types_supported": [PRE_AUTHORIZED_CODE_GRANT],
        "token_endpoint_auth_methods_supported": ["none"],
        "pre-authorized_grant_anonymous_access_supported": True,
    }
