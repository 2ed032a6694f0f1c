"""A document's ``credentialStatus``, which VC Data Model 2.0 lets be one object or a list.

Pure functions, for the issuing side and the verifier alike.
"""

from __future__ import annotations

from typing import Any


def entries_of(document: dict[str, Any]) -> list[Any]:
    """A document's ``credentialStatus`` as a list: it may be one object, a list or absent."""
    entries = document.get("credentialStatus")
    if entries is None:
        return []
    return entries if isinstance(entries, list) else [entries]


def as_credential_status(entries: list[Any]) -> Any:
    """What to write: one entry as an object, as OB 3.0's schema wants it; several as a list."""
    return entries[0] if len(entries) == 1 else entries
