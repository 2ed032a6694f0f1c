"""Sending owed deliveries: signed with Standard Webhooks, retried with exponential backoff."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import httpx
import orjson

from app.config import Settings
from app.retries import backoff_seconds
from app.verification.errors import FetchError
from app.verification.fetching import SafeFetcher
from app.webhooks import signing
from app.webhooks.repository import AttemptResult, Leased
from app.webhooks.sealing import unsealed

USER_AGENT = "Stapel-webhooks/0.1"
_MAX_ERROR = 500


def retry_delay(attempts_made: int, settings: Settings) -> float | None:
    """Seconds until the next attempt after ``attempts_made`` failures; None: give up."""
    return backoff_seconds(
        attempts_made, settings.webhook_max_attempts, settings.webhook_retry_base_seconds
    )


class Sender:
    """Posts deliveries. Targets pass the same address rules as verification's fetches."""

    def __init__(
        self,
        settings: Settings,
        transport: httpx.AsyncBaseTransport | None = None,
        guard: SafeFetcher | None = None,
    ) -> None:
        self._settings = settings
        self._guard = guard or SafeFetcher.from_settings(settings)
        self._client = httpx.AsyncClient(
            transport=transport,
            follow_redirects=False,
            timeout=httpx.Timeout(settings.webhook_timeout_seconds),
            trust_env=False,
            headers={"User-Agent": USER_AGENT},
        )

    async def aclose(self) -> None:
        await self._client.aclose()
        await self._guard.aclose()

    async def _post(self, url: httpx.URL, body: str, headers: dict[str, str]) -> int:
        """The receiver's status code, within one deadline; its body is never read.

        The client's timeout applies to each network operation, so a receiver dripping its
        answer could hold the attempt far beyond the lease; the deadline covers all of it.
        """
        async with (
            asyncio.timeout(self._settings.webhook_timeout_seconds),
            self._client.stream("POST", url, content=body, headers=headers) as response,
        ):
            return response.status_code

    async def send(self, delivery: Leased) -> AttemptResult:
        started = time.perf_counter()
        status_code: int | None = None
        error: str | None = None
        try:
            url = await self._guard.vet(delivery.url)
            secret = signing.unwrap_secret(delivery.secret_wrapped, delivery.endpoint_id)
            body = orjson.dumps(unsealed(delivery.payload)).decode()
            headers = signing.signed_headers(secret, str(delivery.id), datetime.now(UTC), body)
            status_code = await self._post(url, body, headers)
            if not 200 <= status_code < 300:
                error = f"HTTP {status_code}"
        except TimeoutError:
            error = f"no answer within {self._settings.webhook_timeout_seconds:g} s"
        except FetchError as exc:
            error = f"refused: {exc}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        ok = error is None
        attempts_made = delivery.attempts + 1
        return AttemptResult(
            delivery_id=delivery.id,
            endpoint_id=delivery.endpoint_id,
            ok=ok,
            status_code=status_code,
            error=error[:_MAX_ERROR] if error else None,
            duration_ms=int((time.perf_counter() - started) * 1000),
            retry_in=None if ok else retry_delay(attempts_made, self._settings),
        )
