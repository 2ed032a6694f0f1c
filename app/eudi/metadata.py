"""The public documents an EU wallet or verifier reads about our SD-JWT VCs.

- SD-JWT VC Type Metadata of the Learning Credential (what each claim is, how to show it, which
  claims may be withheld), at ``{base}/eudi/types/learning-credential``;
- JWT VC Issuer Metadata (SD-JWT VC draft, §5), at ``/.well-known/jwt-vc-issuer`` inserted
  between the host and the path of the issuer identifier ``{base}/issuers/{slug}``: the keys a
  verifier checks an issuer's signature with when the SD-JWT VC carries no certificate chain.
"""

from __future__ import annotations

from typing import Any

from app.config import get_settings
from app.eudi.learning import CLAIMS, VCT

TYPE_METADATA_PATH = "/eudi/types/learning-credential"
ISSUER_METADATA_PREFIX = "/.well-known/jwt-vc-issuer"


def type_metadata_url() -> str:
    return f"{get_settings().public_base_url}{TYPE_METADATA_PATH}"


def type_metadata() -> dict[str, Any]:
    return {
        "vct": VCT,
        "name": "Learning Credential",
        "description": "A micro-credential: what the learner achieved, issued with Stapel.",
        "display": [
            {"locale": "en", "name": "Learning Credential"},
            {"locale": "nl", "name": "Leerbewijs"},
        ],
        "claims": [
            {
                "path": [spec.name],
                "display": [
                    {"locale": "en", "label": spec.label_en},
                    {"locale": "nl", "label": spec.label_nl},
                ],
                "sd": "always",
                "mandatory": spec.mandatory,
            }
            for spec in CLAIMS
        ],
    }


def issuer_metadata(issuer: str, jwks: dict[str, Any]) -> dict[str, Any]:
    return {"issuer": issuer, "jwks": jwks}


def issuer_metadata_url(issuer: str) -> str:
    """The draft's rule: ``https://host/path`` -> ``https://host/.well-known/jwt-vc-issuer/path``."""
    scheme, _, rest = issuer.partition("://")
    host, slash, path = rest.partition("/")
    return f"{scheme}://{host}{ISSUER_METADATA_PREFIX}{slash}{path}".rstrip("/")
