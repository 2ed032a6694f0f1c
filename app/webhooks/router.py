"""REST face of outgoing webhooks: subscriptions, their deliveries, redelivery."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from app.auth.dependencies import IntegrationManager
from app.db.session import DbSession
from app.pagination import Cursor, Limit, Page, decode_keyset_cursor, next_keyset_cursor
from app.responses import AUTHENTICATED, problems
from app.verification.router import Fetcher
from app.webhooks import service
from app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from app.webhooks.schemas import (
    AttemptOut,
    DeliveryOut,
    EndpointCreate,
    EndpointCreated,
    EndpointOut,
    EndpointUpdate,
)

router = APIRouter(prefix="/v1/webhook-endpoints", tags=["webhooks"])
deliveries_router = APIRouter(prefix="/v1/webhook-deliveries", tags=["webhooks"])


def _endpoint_out(endpoint: WebhookEndpoint) -> EndpointOut:
    return EndpointOut.model_validate(endpoint, from_attributes=True)


def _delivery_out(delivery: WebhookDelivery, attempts: list[WebhookAttempt]) -> DeliveryOut:
    return DeliveryOut(
        id=delivery.id,
        endpoint_id=delivery.endpoint_id,
        event_type=delivery.event_type,
        payload=delivery.payload,
        status=delivery.status,
        attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at,
        created_at=delivery.created_at,
        delivered_at=delivery.delivered_at,
        attempt_log=[AttemptOut.model_validate(a, from_attributes=True) for a in attempts],
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=problems(*AUTHENTICATED),
    summary="Subscribe a URL to events; its signing secret is shown once",
)
async def create_endpoint(
    body: EndpointCreate, session: DbSession, principal: IntegrationManager, fetcher: Fetcher
) -> EndpointCreated:
    endpoint, secret = await service.create_endpoint(session, principal, fetcher, body)
    return EndpointCreated(**_endpoint_out(endpoint).model_dump(), secret=secret)


@router.get("", responses=problems(*AUTHENTICATED))
async def list_endpoints(session: DbSession, principal: IntegrationManager) -> list[EndpointOut]:
    return [_endpoint_out(e) for e in await service.list_endpoints(session, principal)]


@router.get("/{endpoint_id}", responses=problems(*AUTHENTICATED, 404))
async def get_endpoint(
    endpoint_id: uuid.UUID, session: DbSession, principal: IntegrationManager
) -> EndpointOut:
    return _endpoint_out(await service.get_endpoint(session, principal, endpoint_id))


@router.patch(
    "/{endpoint_id}",
    responses=problems(*AUTHENTICATED, 404),
    summary="Change an endpoint, or enable it again after it was disabled for failing",
)
async def update_endpoint(
    endpoint_id: uuid.UUID,
    body: EndpointUpdate,
    session: DbSession,
    principal: IntegrationManager,
    fetcher: Fetcher,
) -> EndpointOut:
    endpoint = await service.update_endpoint(session, principal, fetcher, endpoint_id, body)
    return _endpoint_out(endpoint)


@router.delete(
    "/{endpoint_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(*AUTHENTICATED, 404),
)
async def delete_endpoint(
    endpoint_id: uuid.UUID, session: DbSession, principal: IntegrationManager
) -> None:
    await service.delete_endpoint(session, principal, endpoint_id)


@router.get(
    "/{endpoint_id}/deliveries",
    responses=problems(*AUTHENTICATED, 400, 404),
    summary="Deliveries to this endpoint, newest first, with every attempt",
)
async def list_deliveries(
    endpoint_id: uuid.UUID,
    session: DbSession,
    principal: IntegrationManager,
    status_filter: Annotated[
        Literal["pending", "delivered", "failed"] | None, Query(alias="status")
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[DeliveryOut]:
    found, attempts = await service.list_deliveries(
        session, principal, endpoint_id, status_filter, decode_keyset_cursor(cursor), limit + 1
    )
    items = [_delivery_out(d, attempts.get(d.id, [])) for d in found[:limit]]
    next_cursor = next_keyset_cursor(found, limit, lambda d: (d.created_at, d.id))
    return Page[DeliveryOut](items=items, next_cursor=next_cursor)


@deliveries_router.post(
    "/{delivery_id}/redeliver",
    responses=problems(*AUTHENTICATED, 404),
    summary="Send a delivery again now (same webhook-id), whatever became of it",
)
async def redeliver(
    delivery_id: uuid.UUID, session: DbSession, principal: IntegrationManager
) -> DeliveryOut:
    delivery, attempts = await service.redeliver(session, principal, delivery_id)
    return _delivery_out(delivery, attempts)
