"""Reading a request body without ever holding more than a route's own limit."""

from __future__ import annotations

from fastapi import Request

from app.errors import DomainError


async def read_within(request: Request, limit: int, too_large: DomainError) -> bytes:
    """The raw body; ``too_large`` as soon as it is known to exceed ``limit``, from the declared
    ``content-length`` or while streaming, before the rest is read."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    return bytes(body)
