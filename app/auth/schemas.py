from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.auth.scopes import Scope
from app.schemas_common import ShortText


class ApiClientCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ShortText
    scopes: list[Scope] = Field(min_length=1)
    institution_id: uuid.UUID | None = Field(
        default=None, description="Operators only: the institution the new key belongs to."
    )


class ApiClientOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    institution_id: uuid.UUID | None
    name: str
    key_id: str
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None


class ApiClientCreated(ApiClientOut):
    api_key: str = Field(description="The secret key. It is shown this once and never again.")
