"""Webhook subscriptions and deliveries over REST."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.schemas_common import HttpUrlStr, ShortText, fits
from app.webhooks.models import WebhookEndpoint

EventTypeName = Literal[
    "credential.issued",
    "credential.revoked",
    "credential.suspended",
    "credential.reinstated",
    "sis.result_failed",
    "request.created",
    "request.approved",
    "request.denied",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EndpointCreate(_Strict):
    url: HttpUrlStr = Field(description="HTTPS URL events are posted to.")
    event_types: list[EventTypeName] = Field(min_length=1)
    description: Annotated[ShortText, fits(WebhookEndpoint.description)] | None = None


class EndpointUpdate(_Strict):
    url: HttpUrlStr | None = None
    event_types: list[EventTypeName] | None = Field(default=None, min_length=1)
    description: Annotated[ShortText, fits(WebhookEndpoint.description)] | None = None
    enabled: bool | None = Field(
        default=None, description="Set true to resume an endpoint disabled after failures."
    )


class EndpointOut(BaseModel):
    id: uuid.UUID
    url: str
    event_types: list[str]
    description: str | None
    enabled: bool
    disabled_reason: str | None
    consecutive_failures: int
    created_at: datetime


class EndpointCreated(EndpointOut):
    secret: str = Field(description="The Standard Webhooks secret (`whsec_…`); shown only once.")


class AttemptOut(BaseModel):
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryOut(BaseModel):
    id: uuid.UUID = Field(description="Also the `webhook-id` header of every attempt.")
    endpoint_id: uuid.UUID
    event_type: str
    payload: dict[str, Any]
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    delivered_at: datetime | None
    attempt_log: list[AttemptOut]
