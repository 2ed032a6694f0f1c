from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.verification.errors import KeyResolutionError
from app.verification.resolver import public_jwk


class HolderKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    holder_jwk: dict[str, Any] = Field(
        description="The public JWK the Learning Credential is bound to (its cnf): the key the "
        "holder's wallet will sign presentations with. Private members are refused."
    )

    @field_validator("holder_jwk")
    @classmethod
    def _public_signing_key(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            return public_jwk(value)
        except KeyResolutionError as error:
            raise ValueError(error.detail) from None


class SdJwtVcOut(BaseModel):
    format: str = Field(default="dc+sd-jwt")
    vct: str
    credential: str = Field(
        description="The SD-JWT VC with every disclosure: <JWT>~<disclosure>~...~"
    )
