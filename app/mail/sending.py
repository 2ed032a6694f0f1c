"""Sending claim-link mails over SMTP, outside any transaction, and judging the outcome.

An SMTP answer in the 5xx range is a permanent refusal (RFC 5321, 4.2.1): the mail is given up
on at once. Anything else that fails (a 4xx answer, a refused or dropped connection, a timeout, a
certificate that does not check out) is retried with exponential backoff until
``STAPEL_MAIL_MAX_ATTEMPTS``. The error kept with the mail names the kind of failure and the
SMTP code only: a server's own text may quote the recipient's address.
"""

from __future__ import annotations

import asyncio
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from typing import Final

import aiosmtplib

from app.config import Settings
from app.keys.wrapping import KeyUnwrapError
from app.mail.content import claim_mail
from app.mail.repository import LeasedMail, MailOutcome
from app.mail.service import claim_url_of, recipient_of, smtp_password, vet_smtp_host
from app.pages.i18n import Language
from app.retries import backoff_seconds
from app.verification.errors import FetchError

_PERMANENT: Final = 500
# An attempt's deadline, in SMTP timeouts: aiosmtplib's timeout applies to each command, and a
# server slow to answer each of the eight or so could hold an attempt past its lease (which the
# worker sizes from this) and have the mail sent twice.
ATTEMPT_TIMEOUTS: Final = 4


class _Undeliverable(Exception):
    """A failure that no retry can mend."""


class MailSender:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._tls = ssl.create_default_context(cafile=settings.smtp_ca_file)

    async def send(self, mail: LeasedMail) -> MailOutcome:
        error: str | None = None
        permanent = False
        try:
            await self._send(mail)
        except _Undeliverable as exc:
            error, permanent = str(exc), True
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = sorted({refused.code for refused in exc.recipients})
            error = f"recipient refused (SMTP {', '.join(map(str, codes))})"
            permanent = all(code >= _PERMANENT for code in codes)
        except aiosmtplib.SMTPResponseException as exc:
            error = f"{type(exc).__name__} (SMTP {exc.code})"
            permanent = exc.code >= _PERMANENT
        except FetchError:
            error = "refused: the SMTP host is not a public address"
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            error = type(exc).__name__  # messages may quote the server; the class suffices
        if error is None:
            return MailOutcome(mail.id, ok=True, error=None, retry_in=None)
        retry_in = (
            None
            if permanent
            else backoff_seconds(
                mail.attempts + 1,
                self._settings.mail_max_attempts,
                self._settings.mail_retry_base_seconds,
            )
        )
        return MailOutcome(mail.id, ok=False, error=error, retry_in=retry_in)

    async def _send(self, mail: LeasedMail) -> None:
        smtp = mail.smtp
        if smtp is None:
            raise _Undeliverable("the institution has no enabled SMTP server")
        if mail.recipient_wrapped is None or mail.claim_url_wrapped is None:
            raise _Undeliverable("nothing left to send")
        try:
            recipient = recipient_of(mail.id, mail.recipient_wrapped)
            url = claim_url_of(mail.id, mail.claim_url_wrapped)
            password = smtp_password(smtp)
        except KeyUnwrapError as exc:
            raise _Undeliverable("the sealed values do not open with this KEK") from exc
        await vet_smtp_host(
            smtp.host, smtp.port, allow_private=self._settings.smtp_allow_private_addresses
        )
        try:
            message = self.message(mail, smtp.from_address, smtp.from_name, recipient, url)
        except ValueError as exc:  # an address the mail headers cannot carry
            raise _Undeliverable("the message could not be composed") from exc
        async with asyncio.timeout(ATTEMPT_TIMEOUTS * self._settings.mail_timeout_seconds):
            await aiosmtplib.send(
                message,
                hostname=smtp.host,
                port=smtp.port,
                username=smtp.username,
                password=password,
                use_tls=smtp.security == "tls",
                start_tls=smtp.security == "starttls",
                tls_context=self._tls,
                timeout=self._settings.mail_timeout_seconds,
            )

    @staticmethod
    def message(
        mail: LeasedMail, from_address: str, from_name: str | None, recipient: str, url: str
    ) -> EmailMessage:
        language: Language = "nl" if mail.language == "nl" else "en"
        content = claim_mail(
            language, mail.institution_name, mail.achievement_name, url, mail.link_expires_at
        )
        message = EmailMessage()
        message["From"] = formataddr((from_name or mail.institution_name, from_address))
        message["To"] = recipient
        message["Subject"] = content.subject
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = make_msgid(domain=from_address.rpartition("@")[2])
        message.set_content(content.text)
        message.add_alternative(content.html, subtype="html")
        message["Content-Language"] = language  # after the content, which resets such headers
        return message
