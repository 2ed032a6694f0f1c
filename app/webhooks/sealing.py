"""Values an event carries that must not lie in the outbox in clear, such as a claim link.

The outbox row holds ``{"sealed": <base64 AES-GCM under the KEK>}`` in the value's place; the
sender opens it just before signing the body, so the receiver gets the plain value and the
database (and the deliveries API, which shows payloads) never holds it.
"""

from __future__ import annotations

import base64
from typing import Any

from app.keys.wrapping import default_key_wrapper

_CONTEXT = b"outbox-sealed-value"
_MARK = "sealed"


def seal(value: str) -> dict[str, str]:
    wrapped = default_key_wrapper().wrap(value.encode(), _CONTEXT)
    return {_MARK: base64.b64encode(wrapped).decode()}


def _is_sealed(value: object) -> bool:
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get(_MARK), str)


def unsealed(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload with every sealed value of its ``data`` opened."""
    data = payload.get("data")
    if not isinstance(data, dict) or not any(_is_sealed(v) for v in data.values()):
        return payload
    opened = {
        key: (
            default_key_wrapper().unwrap(base64.b64decode(value[_MARK]), _CONTEXT).decode()
            if _is_sealed(value)
            else value
        )
        for key, value in data.items()
    }
    return {**payload, "data": opened}
