"""Standard Webhooks secrets and signatures, for intake from an SIS and for outgoing events.

The signature scheme is the ``standardwebhooks`` library's; this module adds what it leaves to
us: making secrets, storing them wrapped under the key-encryption key, rejecting stale timestamps
with a clear reason, and trying every secret that is valid during a rotation's overlap.
"""

from __future__ import annotations

import base64
import hmac
import os
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from standardwebhooks.webhooks import Webhook

from app.errors import InvalidSignature, StaleTimestamp
from app.keys.wrapping import default_key_wrapper

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix, not a secret
TOLERANCE = timedelta(minutes=5)


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(os.urandom(32)).decode()


def wrap_secret(secret: str, owner: uuid.UUID) -> bytes:
    # The owner's id is the associated data: a wrapped secret copied to another row won't open.
    return default_key_wrapper().wrap(secret.encode(), b"webhook-secret:" + owner.bytes)


def unwrap_secret(wrapped: bytes, owner: uuid.UUID) -> str:
    return default_key_wrapper().unwrap(wrapped, b"webhook-secret:" + owner.bytes).decode()


def signed_headers(secret: str, message_id: str, moment: datetime, body: str) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, moment, body),
        "content-type": "application/json",
    }


def verify(
    body: bytes,
    headers: Mapping[str, str],
    secrets: Sequence[str],
    now: datetime | None = None,
) -> str:
    """Return the message id when one of ``secrets`` signed ``body``; raise why not otherwise."""
    message_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    signature = headers.get("webhook-signature", "")
    if not (message_id and timestamp and signature):
        raise InvalidSignature(
            "Send the webhook-id, webhook-timestamp and webhook-signature headers.",
            reason="headers_missing",
        )
    if len(message_id) > 255:
        raise InvalidSignature(
            "The webhook-id is longer than 255 characters.", reason="message_id_too_long"
        )
    moment = _checked_timestamp(timestamp, now or datetime.now(UTC))
    try:
        text = body.decode()
    except UnicodeDecodeError as exc:
        raise InvalidSignature("The body is not UTF-8.", reason="body_not_utf8") from exc
    offered = [part.encode() for part in signature.split(" ") if part.startswith("v1,")]
    if not offered:
        raise InvalidSignature("No v1 signature in webhook-signature.", reason="no_v1_signature")
    if not secrets:
        raise InvalidSignature(
            "No valid signature by a current secret of this integration.",
            reason="no_current_secret",
        )
    for secret in secrets:
        # The library computes the signature; the comparison is ours so that the clock is the
        # one checked above (injectable for the specification's 2021 test vector).
        expected = Webhook(secret).sign(message_id, moment, text).encode()
        if any(hmac.compare_digest(expected, candidate) for candidate in offered):
            return message_id
    raise InvalidSignature(
        "No valid signature by a current secret of this integration.", reason="signature_mismatch"
    )


def _checked_timestamp(raw: str, now: datetime) -> datetime:
    try:
        moment = datetime.fromtimestamp(int(raw), UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise InvalidSignature(
            "webhook-timestamp must be integer seconds since 1970.", reason="timestamp_invalid"
        ) from exc
    if abs(moment - now) > TOLERANCE:
        raise StaleTimestamp(
            "The webhook-timestamp is more than five minutes away from this server's clock.",
            off_by_seconds=round((moment - now).total_seconds()),
        )
    return moment
