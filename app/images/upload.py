"""Reading an uploaded image from a request body, never more than the limit."""

from __future__ import annotations

from typing import Any, Final

from fastapi import Request

from app.config import get_settings
from app.errors import ImageTooLarge
from app.request_bodies import read_within

IMAGE_BODY: Final[dict[str, Any]] = {
    "requestBody": {
        "required": True,
        "description": "The image itself (PNG or JPEG, recognised by its content), at most "
        "STAPEL_IMAGE_MAX_BYTES.",
        "content": {
            media_type: {"schema": {"type": "string", "format": "binary"}}
            for media_type in ("image/png", "image/jpeg")
        },
    }
}


async def read_image_body(request: Request) -> bytes:
    """The raw body; 413 as soon as it is known to exceed the limit, before reading the rest."""
    limit = get_settings().image_max_bytes
    return await read_within(
        request, limit, ImageTooLarge(f"The image is larger than {limit} bytes.")
    )
