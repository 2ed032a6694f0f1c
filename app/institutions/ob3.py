"""The awarding body as an Open Badges 3.0 ``Profile``."""

from __future__ import annotations

from typing import Any

from app.institutions.models import Institution
from app.keys.did import institution_did

_IDENTIFIER_TYPES = {
    "brin": "ext:BRIN",
    "erasmus": "ext:ErasmusCode",
    "schac_home_organisation": "ext:SCHACHomeOrganisation",
    "pic": "ext:PIC",
    "ror": "ext:ROR",
    "other": "identifier",
}


def issuer_profile(institution: Institution) -> dict[str, Any]:
    profile: dict[str, Any] = {
        "id": institution_did(institution.slug),
        "type": ["Profile"],
        "name": institution.display_name,
        "legalName": institution.legal_name,
        "address": {"type": ["Address"], "addressCountryCode": institution.country_code},
    }
    if institution.region:
        profile["address"]["addressRegion"] = institution.region
    if institution.url:
        profile["url"] = institution.url
    if institution.contact_email:
        profile["email"] = institution.contact_email
    if institution.logo_url:
        profile["image"] = {"id": institution.logo_url, "type": "Image"}
    if institution.identifiers:
        profile["otherIdentifier"] = [
            {
                "type": "IdentifierEntry",
                "identifier": i["value"],
                "identifierType": _IDENTIFIER_TYPES[i["type"]],
            }
            for i in institution.identifiers
        ]
    if institution.quality_assurance_statement:
        profile["qualityAssuranceStatement"] = institution.quality_assurance_statement
    if institution.quality_assurance_framework:
        profile["qualityAssuranceFramework"] = institution.quality_assurance_framework
    return profile
