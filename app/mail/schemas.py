from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints

from app.schemas_common import EmailStr

SmtpSecurity = Literal["starttls", "tls", "none"]
MailLanguage = Literal["nl", "en"]

# A DNS name or an IPv4 literal: no NUL, spaces or anything else that must not reach the
# database or a resolver. IPv6 literals are written without brackets.
SmtpHost = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        min_length=1,
        max_length=253,
        pattern=r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*"
        r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$|^[0-9A-Fa-f:.]{2,45}$",
    ),
]
# One header line: a display name with a line break would let a caller add headers.
DisplayName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$"
    ),
]
Username = Annotated[str, StringConstraints(min_length=1, max_length=320, pattern=r"^[^\x00]+$")]
Password = Annotated[SecretStr, Field(min_length=1, max_length=1024)]


class SmtpSettingsIn(BaseModel):
    """The institution's SMTP server. Leave ``password`` out to keep the stored one."""

    model_config = ConfigDict(extra="forbid")

    host: SmtpHost
    port: int = Field(default=587, ge=1, le=65535)
    security: SmtpSecurity = Field(
        default="starttls",
        description="starttls: upgrade a plain connection (port 587); tls: TLS from the first "
        "byte (port 465); none: no encryption, for a relay on a closed network.",
    )
    username: Username | None = None
    password: Password | None = Field(
        default=None,
        description="Stored encrypted and never returned. Omit it to keep the stored one; "
        "null removes it.",
    )
    from_address: EmailStr
    from_name: DisplayName | None = Field(
        default=None, description="Sender's display name; the institution's name when absent."
    )
    enabled: bool = True


class SmtpSettingsOut(BaseModel):
    host: str
    port: int
    security: SmtpSecurity
    username: str | None
    password_set: bool = Field(description="Whether a password is stored (it is never shown).")
    from_address: str
    from_name: str | None
    enabled: bool
    updated_at: datetime


class ClaimLinkMail(BaseModel):
    """Where to mail a renewed claim link, when it should be mailed."""

    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    language: MailLanguage | None = Field(
        default=None,
        description="Language of the mail; by default Dutch for institutions in the "
        "Netherlands, Belgium and Suriname, else English.",
    )
