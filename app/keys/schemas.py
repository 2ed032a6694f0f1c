from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from app.keys.algorithms import Algorithm


class KeyRotate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    algorithm: Algorithm = "ES256"


class SigningKeyOut(BaseModel):
    """A signing key's public face. The private key is never returned."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kid: str
    algorithm: Algorithm
    status: Literal["active", "retired"]
    public_jwk: dict[str, Any]
    created_at: datetime
    retired_at: datetime | None
