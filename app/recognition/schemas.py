"""Request and response shapes of the recognition list."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from app.credentials.schemas import Did
from app.schemas_common import LongText

AchievementRef = Annotated[str, StringConstraints(min_length=1, max_length=2048)]


class RecognitionBounds(BaseModel):
    model_config = ConfigDict(extra="forbid")

    achievement_ids: list[AchievementRef] = Field(
        default_factory=list,
        max_length=200,
        description="Only these achievements of the issuer (its OB3 achievement ids; for an "
        "issuer on this instance the version-less achievement URL). Empty: all of them.",
    )
    eqf_min: int | None = Field(default=None, ge=1, le=8)
    eqf_max: int | None = Field(default=None, ge=1, le=8)
    ects_min: float | None = Field(default=None, ge=0, le=240)
    ects_max: float | None = Field(default=None, gt=0, le=240)
    note: LongText | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.eqf_min and self.eqf_max and self.eqf_min > self.eqf_max:
            raise ValueError("eqf_min is above eqf_max")
        if (
            self.ects_min is not None
            and self.ects_max is not None
            and self.ects_min > self.ects_max
        ):
            raise ValueError("ects_min is above ects_max")
        return self


class RecognitionCreate(RecognitionBounds):
    issuer_did: Did


class RecognitionOut(RecognitionBounds):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    institution_id: uuid.UUID
    issuer_did: str
    created_at: datetime
    updated_at: datetime
