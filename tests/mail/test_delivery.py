"""Claim links by e-mail: queued with the issuance, sent by the worker, forgotten once done."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.mail.sending import ATTEMPT_TIMEOUTS
from tests.credentials.helpers import issue, issue_payload, published_achievement
from tests.factories import Tenant, create_tenant
from tests.mail.smtp_server import Handler, self_signed, smtp_server
from tests.mail.support import configure_smtp, mail_worker, outbox, send_due_mail
from tests.sis.simulator import connect_sis, course_result, drain

LEARNER = "sanne.devries@student.voorbeeld.nl"
pytestmark = pytest.mark.usefixtures("private_smtp_allowed")


def _claim_link(text: str) -> str:
    found = re.search(r"https://stapel\.test/claim/\S+", text)
    assert found, text
    return found.group(0)


def _ours(caplog: pytest.LogCaptureFixture) -> str:
    """Every line logged in this process but by the test's own SMTP server (``mail.log``)."""
    return "\n".join(
        f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records if r.name != "mail.log"
    )


async def _issue_to(
    client: httpx.AsyncClient, tenant: Tenant, email: str | None = LEARNER
) -> dict[str, object]:
    achievement = await published_achievement(client, tenant)
    learner = {"name": "Sanne de Vries", "student_number": "s1234567"}
    if email is not None:
        learner["email"] = email
    return await issue(client, tenant, achievement["id"], learner=learner)


async def _issue_and_send(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    handler: Handler,
    rounds: int = 1,
    **worker_settings: Any,
) -> dict[str, object]:
    """Configure the server, issue one credential to LEARNER, let the worker run its rounds."""
    with smtp_server(handler) as port:
        await configure_smtp(client, tenant, port)
        credential = await _issue_to(client, tenant)
        await send_due_mail(mail_worker(sessionmaker, **worker_settings), rounds=rounds)
    return credential


async def test_the_learner_receives_a_claim_link_that_opens_the_claim_page(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    handler = Handler()
    credential = await _issue_and_send(client, tenant, sessionmaker, handler)

    (mail,) = handler.received
    assert mail.recipients == [LEARNER]
    assert mail.sender == "credentials@voorbeeld.nl"
    assert mail.message["From"].addresses[0].display_name == "Hogeschool Voorbeeld — Credentials"
    # The institution is Dutch, so the mail is too; it names who issued what.
    assert str(mail.message["Subject"]).strip().startswith("Je credential van Hogeschool Voorbeeld")
    assert mail.message["Content-Language"] == "nl"
    link = _claim_link(mail.text())
    assert link == credential["claim_url"]
    assert f'href="{link}"' in mail.html()
    assert "Hogeschool Voorbeeld" in mail.text()
    page = await client.get(link.removeprefix("https://stapel.test"))
    assert page.status_code == 200
    assert "Hogeschool Voorbeeld" in page.text
    (row,) = await outbox(sessionmaker)
    assert row["status"] == "sent"
    assert row["attempts"] == 1


async def test_an_english_speaking_institution_mails_in_english(
    client: httpx.AsyncClient, operator: str, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    tenant = await create_tenant(client, operator, country_code="DE")
    handler = Handler()
    await _issue_and_send(client, tenant, sessionmaker, handler)
    (mail,) = handler.received
    assert (
        str(mail.message["Subject"]).strip().startswith("Your credential from Hogeschool Voorbeeld")
    )
    assert "The link works until" in mail.text()


async def test_a_temporary_refusal_is_retried_and_the_retry_is_delivered(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    handler = Handler(refusals=["451 4.3.0 Try again later"])
    with smtp_server(handler) as port:
        await configure_smtp(client, tenant, port)
        await _issue_to(client, tenant)
        worker = mail_worker(sessionmaker)
        await worker.mail_round()
        (deferred,) = await outbox(sessionmaker)
        assert deferred["status"] == "pending"
        assert deferred["attempts"] == 1
        assert deferred["last_error"] == "SMTPDataError (SMTP 451)"
        assert deferred["recipient_wrapped"] is not None  # still owed, so still known
        await send_due_mail(worker)

    assert handler.attempts == 2
    assert len(handler.received) == 1
    (row,) = await outbox(sessionmaker)
    assert row["status"] == "sent"
    assert row["attempts"] == 2


async def test_a_failed_attempt_waits_the_base_delay_before_it_falls_due_again(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    handler = Handler(refusals=["451 4.3.0 Try again later"])
    await _issue_and_send(client, tenant, sessionmaker, handler, mail_retry_base_seconds=600)
    (row,) = await outbox(sessionmaker)
    wait = (row["next_attempt_at"] - row["created_at"]).total_seconds()
    assert 590 < wait < 700  # the base after the first failure; not due again yet
    worker = mail_worker(sessionmaker, mail_retry_base_seconds=600)
    assert await worker.mail_round() == 0
    await worker.sender.aclose()


async def test_a_server_that_keeps_deferring_is_given_up_after_the_last_attempt(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    handler = Handler(refusals=["421 4.7.0 Busy"] * 10)
    await _issue_and_send(client, tenant, sessionmaker, handler, rounds=5, mail_max_attempts=3)

    assert handler.attempts == 3
    assert handler.received == []
    (row,) = await outbox(sessionmaker)
    assert row["status"] == "failed"
    assert row["attempts"] == 3
    assert row["finished_at"] is not None
    # Given up on: the outcome stays, the address and the link do not.
    assert row["recipient_wrapped"] is None
    assert row["claim_url_wrapped"] is None


async def test_a_permanent_refusal_ends_at_once_and_keeps_no_address(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Servers often quote the address in their answer; none of it may be kept.
    handler = Handler(refusals=[f"550 5.1.1 <{LEARNER}>: Recipient address rejected"] * 3)
    with caplog.at_level(logging.DEBUG):
        await _issue_and_send(client, tenant, sessionmaker, handler, rounds=3)

    assert handler.attempts == 1
    (row,) = await outbox(sessionmaker)
    assert row["status"] == "failed"
    assert row["last_error"] == "SMTPDataError (SMTP 550)"
    assert row["recipient_wrapped"] is None
    assert row["claim_url_wrapped"] is None
    assert LEARNER not in repr(row)
    logged = _ours(caplog)
    assert "claim mail" in logged  # the failure is logged ...
    assert LEARNER.split("@", maxsplit=1)[0] not in logged  # ... without the address


async def test_the_database_holds_the_address_and_link_only_encrypted_and_only_until_sent(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    handler = Handler()
    with smtp_server(handler) as port:
        await configure_smtp(client, tenant, port)
        credential = await _issue_to(client, tenant)
        (queued,) = await outbox(sessionmaker)
        raw = repr(queued).encode()
        for secret in (LEARNER, str(credential["claim_url"]), "claim/"):
            assert secret.encode() not in raw
            assert secret.encode() not in queued["recipient_wrapped"]
            assert secret.encode() not in queued["claim_url_wrapped"]
        assert queued["status"] == "pending"
        assert queued["language"] == "nl"
        assert queued["credential_id"] is not None
        await send_due_mail(mail_worker(sessionmaker))

    assert len(handler.received) == 1
    (sent,) = await outbox(sessionmaker)
    assert sent["status"] == "sent"
    assert sent["recipient_wrapped"] is None
    assert sent["claim_url_wrapped"] is None
    assert sent["last_error"] is None


async def test_starttls_with_a_certificate_the_configured_ca_vouches_for(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    server_tls, ca_file = self_signed(tmp_path)
    handler = Handler()
    options = {
        "tls_context": server_tls,
        "require_starttls": True,
        "authenticator": handler.authenticate,
        "auth_require_tls": True,
    }
    with smtp_server(handler, **options) as port:
        await configure_smtp(
            client, tenant, port, security="starttls", username="mailer", password="p@ss w0rd"
        )
        await _issue_to(client, tenant)
        # Without the CA the certificate does not check out, and nothing is sent.
        await send_due_mail(mail_worker(sessionmaker))
        (refused,) = await outbox(sessionmaker)
        assert refused["status"] == "pending"
        assert refused["last_error"]
        assert handler.received == []
        await send_due_mail(mail_worker(sessionmaker, smtp_ca_file=str(ca_file)))

    assert len(handler.received) == 1
    assert handler.logins == [("mailer", "p@ss w0rd")]  # the password, unwrapped to log in
    (row,) = await outbox(sessionmaker)
    assert row["status"] == "sent"


async def test_without_an_smtp_server_no_mail_is_queued_and_nothing_is_asked(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    app: FastAPI,
) -> None:
    achievement = await published_achievement(client, tenant)
    statements: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        await issue(client, tenant, achievement["id"])
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert statements  # the issuance was watched ...
    # ... and it neither looked up a mail server nor wrote a mail: the hot path stays as it was.
    assert not [s for s in statements if "smtp_settings" in s or "mail_outbox" in s]
    assert await outbox(sessionmaker) == []


async def test_a_disabled_server_or_a_learner_without_address_gets_no_mail(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    with smtp_server(Handler()) as port:
        await configure_smtp(client, tenant, port, enabled=False)
        await _issue_to(client, tenant)
        await configure_smtp(client, tenant, port, enabled=True)
        await _issue_to(client, tenant, email=None)
    assert await outbox(sessionmaker) == []


async def test_a_batch_queues_one_mail_for_each_learner_with_an_address(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    handler = Handler()
    achievement = await published_achievement(client, tenant)
    items = [
        issue_payload(
            achievement["id"],
            learner={"name": f"Learner {n}", "email": f"learner{n}@student.voorbeeld.nl"},
        )
        for n in range(3)
    ]
    items.append(
        issue_payload(achievement["id"], learner={"name": "No Mail", "student_number": "s9"})
    )
    with smtp_server(handler) as port:
        await configure_smtp(client, tenant, port)
        response = await client.post(
            "/v1/credentials/batch", json={"items": items}, headers=tenant.headers
        )
        assert response.status_code == 200, response.text
        await send_due_mail(mail_worker(sessionmaker))

    urls = {r["credential"]["claim_url"] for r in response.json()["results"][:3]}
    assert sorted(m.recipients[0] for m in handler.received) == [
        f"learner{n}@student.voorbeeld.nl" for n in range(3)
    ]
    assert {_claim_link(m.text()) for m in handler.received} == urls


async def test_a_renewed_claim_link_can_be_mailed(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    handler = Handler()
    credential = await _issue_to(client, tenant, email=None)
    with smtp_server(handler) as port:
        await configure_smtp(client, tenant, port)
        renewed = await client.post(
            f"/v1/credentials/{credential['id']}/claim-link",
            json={"email": "sanne@example.org", "language": "en"},
            headers=tenant.headers,
        )
        assert renewed.status_code == 201, renewed.text
        assert renewed.json()["mail_queued"] is True
        await send_due_mail(mail_worker(sessionmaker))

    (mail,) = handler.received
    assert mail.recipients == ["sanne@example.org"]
    assert mail.message["Content-Language"] == "en"
    assert _claim_link(mail.text()) == renewed.json()["claim_url"]


async def test_renewing_without_a_body_mails_nothing_and_with_no_server_is_refused(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    credential = await _issue_to(client, tenant, email=None)
    plain = await client.post(
        f"/v1/credentials/{credential['id']}/claim-link", headers=tenant.headers
    )
    assert plain.status_code == 201
    assert plain.json()["mail_queued"] is False
    refused = await client.post(
        f"/v1/credentials/{credential['id']}/claim-link",
        json={"email": "sanne@example.org"},
        headers=tenant.headers,
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "invalid_state"
    bad = await client.post(
        f"/v1/credentials/{credential['id']}/claim-link",
        json={"email": "not an address"},
        headers=tenant.headers,
    )
    assert bad.status_code == 422
    assert await outbox(sessionmaker) == []


async def test_the_address_never_reaches_the_logs(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    caplog: pytest.LogCaptureFixture,
) -> None:
    handler = Handler(refusals=["451 4.3.0 Try again later", "554 5.0.0 Rejected"])
    with smtp_server(handler) as port, caplog.at_level(logging.DEBUG):
        await configure_smtp(client, tenant, port)
        await _issue_to(client, tenant)
        await _issue_to(client, tenant, email="second.learner@example.org")
        await send_due_mail(mail_worker(sessionmaker), rounds=3)

    assert handler.attempts == 3  # one deferred and retried, one refused for good
    assert len(handler.received) == 1
    logged = _ours(caplog)
    assert "not sent" in logged
    for part in ("sanne.devries", "second.learner", "student.voorbeeld.nl", "example.org"):
        assert part not in logged


async def test_a_running_worker_is_woken_by_the_issuance(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    handler = Handler()
    # Polling once in five minutes: only the notification sent at commit can bring the mail out.
    worker = mail_worker(sessionmaker, worker_poll_seconds=300)
    with smtp_server(handler) as port:
        await configure_smtp(client, tenant, port)
        running = asyncio.create_task(worker.run())
        try:
            await asyncio.sleep(0.5)  # LISTEN in place, first rounds done
            await _issue_to(client, tenant)
            for _ in range(100):
                if handler.received:
                    break
                await asyncio.sleep(0.05)
        finally:
            worker.stop()
            await running
    assert len(handler.received) == 1


async def test_a_result_from_the_student_information_system_is_mailed_too(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    handler = Handler()
    with smtp_server(handler) as port:
        await configure_smtp(client, tenant, port)
        sis = await connect_sis(client, tenant)
        await sis.record(course_result(student=4242))
        await drain(sessionmaker)
        await send_due_mail(mail_worker(sessionmaker))

    (mail,) = handler.received
    assert mail.recipients == ["student4242@student.voorbeeld.nl"]
    page = await client.get(_claim_link(mail.text()).removeprefix("https://stapel.test"))
    assert page.status_code == 200


class _SlowServer(Handler):
    """Answers every command a little inside the SMTP timeout: no command ever times out."""

    pause = 0.9

    async def handle_EHLO(  # noqa: N802 - the name aiosmtpd calls
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        await asyncio.sleep(self.pause)
        session.host_name = hostname
        return responses

    async def handle_MAIL(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        await asyncio.sleep(self.pause)
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        await asyncio.sleep(self.pause)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        await asyncio.sleep(self.pause)
        return await super().handle_DATA(server, session, envelope)

    async def handle_QUIT(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        await asyncio.sleep(self.pause)
        return "221 Bye"


async def test_an_attempt_ends_at_its_deadline_however_slowly_the_server_answers(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    # Five commands of 0.9 s each: 4.5 s, past the attempt's deadline of 4 timeouts of 1 s.
    started = time.monotonic()
    await _issue_and_send(client, tenant, sessionmaker, _SlowServer(), mail_timeout_seconds=1)
    assert time.monotonic() - started < ATTEMPT_TIMEOUTS * 1 + 1.5
    (row,) = await outbox(sessionmaker)
    assert row["status"] == "pending"
    assert row["last_error"] == "TimeoutError"
