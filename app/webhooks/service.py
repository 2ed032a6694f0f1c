"""Managing webhook subscriptions and their deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditEntry, record
from app.auth.principal import Principal
from app.errors import AddressRefused, FieldError, NotFound
from app.verification.errors import FetchError
from app.verification.fetching import SafeFetcher
from app.webhooks import repository
from app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from app.webhooks.schemas import EndpointCreate, EndpointUpdate
from app.webhooks.signing import new_secret, wrap_secret


async def _vetted(fetcher: SafeFetcher, url: str) -> str:
    try:
        await fetcher.vet(url)
    except FetchError as exc:
        raise AddressRefused(
            "Webhooks are only sent to public HTTPS addresses.",
            errors=[FieldError("#/url", str(exc), "address_not_allowed")],
        ) from exc
    return url


async def _audit(
    session: AsyncSession, principal: Principal, action: str, endpoint: WebhookEndpoint
) -> None:
    await record(
        session,
        principal.actor,
        AuditEntry(
            action,
            "webhook_endpoint",
            str(endpoint.id),
            endpoint.institution_id,
            {"url": endpoint.url, "event_types": endpoint.event_types, "enabled": endpoint.enabled},
        ),
    )


async def create_endpoint(
    session: AsyncSession, principal: Principal, fetcher: SafeFetcher, body: EndpointCreate
) -> tuple[WebhookEndpoint, str]:
    url = await _vetted(fetcher, body.url)
    secret = new_secret()
    endpoint = WebhookEndpoint(
        id=uuid.uuid4(),
        institution_id=principal.tenant(),
        url=url,
        description=body.description,
        event_types=sorted(set(body.event_types)),
        enabled=True,
        consecutive_failures=0,
    )
    endpoint.secret_wrapped = wrap_secret(secret, endpoint.id)
    session.add(endpoint)
    await session.flush()
    await _audit(session, principal, "webhook_endpoint.created", endpoint)
    return endpoint, secret


async def get_endpoint(
    session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID
) -> WebhookEndpoint:
    endpoint = await repository.get_endpoint(session, principal.tenant(), endpoint_id)
    if endpoint is None:
        raise NotFound("No such webhook endpoint.")
    return endpoint


async def list_endpoints(session: AsyncSession, principal: Principal) -> list[WebhookEndpoint]:
    return await repository.list_endpoints(session, principal.tenant())


async def update_endpoint(
    session: AsyncSession,
    principal: Principal,
    fetcher: SafeFetcher,
    endpoint_id: uuid.UUID,
    body: EndpointUpdate,
) -> WebhookEndpoint:
    endpoint = await get_endpoint(session, principal, endpoint_id)
    if body.url is not None:
        endpoint.url = await _vetted(fetcher, body.url)
    if body.event_types is not None:
        endpoint.event_types = sorted(set(body.event_types))
    if body.description is not None:
        endpoint.description = body.description
    if body.enabled is not None:
        endpoint.enabled = body.enabled
        if body.enabled:
            endpoint.disabled_reason = None
            endpoint.consecutive_failures = 0
    await session.flush()
    await _audit(session, principal, "webhook_endpoint.updated", endpoint)
    return endpoint


async def delete_endpoint(
    session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID
) -> None:
    endpoint = await get_endpoint(session, principal, endpoint_id)
    await _audit(session, principal, "webhook_endpoint.deleted", endpoint)
    await session.delete(endpoint)
    await session.flush()


async def list_deliveries(
    session: AsyncSession,
    principal: Principal,
    endpoint_id: uuid.UUID,
    status: str | None,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> tuple[list[WebhookDelivery], dict[uuid.UUID, list[WebhookAttempt]]]:
    await get_endpoint(session, principal, endpoint_id)
    deliveries = await repository.page_deliveries(session, endpoint_id, status, before, limit)
    attempts = await repository.attempts_of(session, [d.id for d in deliveries])
    return deliveries, attempts


async def redeliver(
    session: AsyncSession, principal: Principal, delivery_id: uuid.UUID
) -> tuple[WebhookDelivery, list[WebhookAttempt]]:
    """Send a delivery again, whatever became of it (same ``webhook-id``, so receivers dedupe)."""
    delivery = await repository.get_delivery(session, principal.tenant(), delivery_id)
    if delivery is None:
        raise NotFound("No such delivery.")
    await repository.requeue(session, delivery.id)
    await session.refresh(delivery)
    await record(
        session,
        principal.actor,
        AuditEntry(
            "webhook_delivery.redelivered",
            "webhook_delivery",
            str(delivery.id),
            delivery.institution_id,
            {},
        ),
    )
    attempts = await repository.attempts_of(session, [delivery.id])
    return delivery, attempts.get(delivery.id, [])
