"""LinkedIn's "Add to profile" link for a certification, filled in from the credential.

A plain link to LinkedIn's form (no script or widget of theirs on the page). LinkedIn shows
``certUrl`` to whoever looks at the profile, so it is only ever the credential's public page:
the link is offered while the learner publishes the credential, and never carries the claim
link. The learner's name is not part of it; LinkedIn knows whose profile it is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final
from urllib.parse import quote, urlencode

ADD_TO_PROFILE: Final = "https://www.linkedin.com/profile/add"


def _month(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def add_certification_url(document: dict[str, Any], public_url: str) -> str:
    subject = document.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    issuer = document.get("issuer")
    name = (achievement or {}).get("name") if isinstance(achievement, dict) else None
    params: dict[str, str] = {
        "startTask": "CERTIFICATION_NAME",
        "name": name if isinstance(name, str) else str(document.get("name") or ""),
        "organizationName": str(issuer.get("name") or "") if isinstance(issuer, dict) else "",
    }
    issued = _month(document.get("validFrom"))
    if issued:
        params.update(issueYear=str(issued.year), issueMonth=str(issued.month))
    expires = _month(document.get("validUntil"))
    if expires:
        params.update(expirationYear=str(expires.year), expirationMonth=str(expires.month))
    params["certUrl"] = public_url
    if isinstance(document.get("id"), str):
        params["certId"] = document["id"]
    return f"{ADD_TO_PROFILE}?{urlencode(params, quote_via=quote)}"
