"""Settings, read from the environment with the prefix ``STAPEL_``.

Every setting is documented in ``docs/configuration.md``; keep the two in step.
"""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from cryptography import x509
from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SecuringProfileName = Literal["vc-jose", "ob3-jwt", "vc-jwt-11"]
IdentifierForm = Literal["omit", "keyed", "hashed"]


def decode_secret_key(value: str) -> bytes:
    """Decode a 32-byte key given as (url-safe or standard) base64."""
    padded = value + "=" * (-len(value) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded.replace("+", "-").replace("/", "_"))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("must be base64") from exc
    if len(raw) != 32:
        raise ValueError("must decode to exactly 32 bytes")
    return raw


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STAPEL_", extra="ignore")

    database_url: str = Field(
        description="Postgres URL (postgresql://user:pass@host:port/db); asyncpg underneath.",
    )
    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Base URL under which this instance is reached; ids and did:web derive "
        "from it.",
    )
    key_encryption_key: SecretStr = Field(
        description="32 random bytes, base64: wraps every private signing key at rest.",
    )
    learner_lookup_key: SecretStr = Field(
        description="32 random bytes, base64: keys the HMAC under which learner identifiers are "
        "stored for look-up, so the database never holds them in clear.",
    )
    credential_student_number: IdentifierForm = Field(
        default="omit",
        description="How a new credential carries the learner's student number: omit (not at "
        "all), keyed (salted hash of a keyed HMAC, checkable only by the issuing instance) or "
        "hashed (OB3 salted SHA-256, which anyone can brute-force over the few digits).",
    )
    credential_email: IdentifierForm = Field(
        default="keyed",
        description="How a new credential carries the learner's e-mail address: keyed, hashed "
        "(OB3 salted SHA-256: a verifier told the address can check it, and anyone can try "
        "guessed addresses) or omit.",
    )
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=10, ge=0, le=200)
    ects_min_default: float = Field(default=3, ge=0)
    ects_max_default: float = Field(default=30, gt=0)
    status_list_size: int = Field(default=131072, ge=131072)
    status_list_ttl_seconds: int = Field(default=300, ge=0, le=86400)
    status_list_process_cache_seconds: int = Field(default=5, ge=0, le=300)
    process_cache_seconds: float = Field(default=5, ge=0, le=60)
    max_batch_size: int = Field(default=1000, ge=1, le=10000)
    # 32, not more: at 64 clients two groups of 32 take turns, one checked and signed while
    # the other waits for Postgres; with no cap, most of them shared one group and the process
    # idled through its writes (docs/performance.md).
    issue_group_max: int = Field(
        default=32,
        ge=1,
        le=1000,
        description="How many concurrent single issuances (of any API clients) may share one "
        "transaction (group commit); 1 gives every request a transaction of its own.",
    )
    max_json_depth: int = Field(default=64, ge=8, le=512)
    claim_link_days: int = Field(
        default=90,
        ge=1,
        le=3650,
        description="How long a learner's claim link works after it is made or renewed.",
    )
    offer_minutes: int = Field(
        default=10,
        ge=1,
        le=1440,
        description="How long a wallet credential offer (its pre-authorised code) can be redeemed.",
    )
    offer_tx_code_attempts: int = Field(
        default=3,
        ge=1,
        le=10,
        description="Wrong transaction codes after which a wallet credential offer is dead.",
    )
    wallet_token_seconds: int = Field(
        default=300,
        ge=30,
        le=3600,
        description="Lifetime of the access tokens a wallet receives for picking credentials up.",
    )
    wallet_nonce_seconds: int = Field(
        default=300,
        ge=30,
        le=3600,
        description="Lifetime of a c_nonce from the nonce endpoint; each is good for one request.",
    )
    wallet_batch_size: int = Field(
        default=4,
        ge=1,
        le=20,
        description="Most key proofs (copies bound to different holder keys) in one credential "
        "request.",
    )
    image_max_bytes: int = Field(
        default=1_048_576,
        ge=1024,
        le=20_971_520,
        description="Largest achievement image or institution logo accepted for upload, in bytes.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        default="INFO", description="Lowest level of the log lines written to stdout."
    )
    log_format: Literal["json", "console"] = Field(
        default="json",
        description="json: one JSON object a line (production); console: for people to read.",
    )

    catalogue_cache_seconds: float = Field(
        default=5,
        ge=0,
        le=60,
        description="How long each process reuses catalogue results (anonymous GraphQL query "
        "responses, counts and facets); 0 turns the caches off.",
    )
    graphiql: bool = Field(
        default=False, description="Serve the GraphiQL IDE at /graphql (development)."
    )
    metrics_on_api_port: bool = Field(
        default=False,
        description="Also serve /metrics on the API port (off: use `stapel serve "
        "--metrics-port`, which keeps it off the public port).",
    )
    trusted_issuers: list[str] = Field(
        default_factory=list,
        description="Issuer ids (DIDs or URLs) of other issuers whose credentials verify as "
        "trusted, as a JSON list. This instance's own institutions are always known.",
    )
    trusted_certificates: str | None = Field(
        default=None,
        description="Trust anchors for issuer certificate chains: inline PEM certificates, or "
        "the path of a PEM file holding them. Imported chains must end at one of them.",
    )
    token_status_list_size: int = Field(
        default=131072,
        ge=16,
        le=1_048_576,
        multiple_of=4,
        description="Entries in each Token Status List (2 bits each); a full list is followed "
        "by a new one.",
    )
    token_status_list_validity_seconds: int = Field(
        default=86400,
        ge=600,
        le=31_536_000,
        description="Lifetime (exp - iat) of a signed Token Status List; it is signed again "
        "when less than half of it is left, or when an entry changed.",
    )
    verification_clock_skew_seconds: int = Field(default=60, ge=0, le=3600)
    verification_max_token_bytes: int = Field(default=262_144, ge=1024, le=10_485_760)
    verify_upload_max_bytes: int = Field(
        default=2_097_152,
        ge=1024,
        le=52_428_800,
        description="Largest file the verify page accepts (a baked badge image, a .jwt or a "
        ".json); a larger upload is refused before it is read whole.",
    )
    fetch_allow_private_addresses: bool = Field(
        default=False,
        description="Let verification fetch from private, loopback and link-local addresses "
        "(and over plain http). For tests and closed networks only.",
    )
    fetch_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    fetch_max_bytes: int = Field(default=1_048_576, ge=1024, le=52_428_800)
    fetch_max_redirects: int = Field(default=3, ge=0, le=10)
    fetch_cache_max_seconds: int = Field(default=3600, ge=0, le=86400)

    request_max_bytes: int = Field(
        default=1_048_576,
        ge=1024,
        le=52_428_800,
        description="Largest request body of the JSON, form and GraphQL endpoints, in bytes; a "
        "larger one is refused with 413 before it is read whole.",
    )
    request_max_upload_bytes: int = Field(
        default=4_194_304,
        ge=1024,
        le=104_857_600,
        description="Largest request body of the image uploads, the verify page's file "
        "upload and the credential requests (which may carry a badge); at least "
        "STAPEL_IMAGE_MAX_BYTES and STAPEL_VERIFY_UPLOAD_MAX_BYTES.",
    )
    request_max_batch_bytes: int = Field(
        default=16_777_216,
        ge=1024,
        le=1_073_741_824,
        description="Largest body of POST /v1/credentials/batch. The SIS intake and CSV "
        "imports are bounded by STAPEL_SIS_MAX_EVENT_BYTES.",
    )
    request_body_timeout_seconds: float = Field(
        default=30,
        gt=0,
        le=3600,
        description="Time a request's whole body must arrive in, counted from its first read; "
        "a slower body is answered with 408.",
    )
    request_header_timeout_seconds: float = Field(
        default=10,
        gt=0,
        le=300,
        description="Time a connection has to send a complete request head (request line and "
        "headers), from its opening or the end of the previous response; then it is closed.",
    )
    rate_limits_enabled: bool = Field(
        default=True,
        description="Apply the STAPEL_RATE_LIMIT_* limits; false turns every one of them off.",
    )
    rate_limit_api_key_per_minute: int = Field(
        default=1200,
        ge=1,
        le=1_000_000,
        description="Requests one API key may make a minute (a bucket that also allows a burst "
        "of this many).",
    )
    rate_limit_public_per_minute: int = Field(
        default=300,
        ge=1,
        le=1_000_000,
        description="Requests one client address may make a minute to the public, costly "
        "endpoints: verification, GraphQL, the learner's and the verify pages.",
    )
    rate_limit_offer_per_minute: int = Field(
        default=10,
        ge=1,
        le=10_000,
        description="Token requests a minute for one wallet offer (its pre-authorised code).",
    )
    rate_limit_auth_failures_per_minute: int = Field(
        default=20,
        ge=1,
        le=10_000,
        description="Failed API-key attempts a minute from one client address; further "
        "requests with an API key from it are refused with 429 until the bucket refills.",
    )
    rate_limit_max_keys: int = Field(
        default=10_000,
        ge=100,
        le=1_000_000,
        description="Callers (keys, addresses, offers) each limit remembers, least recently "
        "seen dropped first; bounds the memory of the limits (about 260 bytes each).",
    )

    sis_max_results_per_event: int = Field(default=50_000, ge=1, le=1_000_000)
    sis_max_event_bytes: int = Field(default=33_554_432, ge=1024, le=1_073_741_824)
    sis_max_attempts: int = Field(default=8, ge=1, le=100)
    sis_retry_base_seconds: float = Field(default=5.0, ge=0, le=3600)
    webhook_max_attempts: int = Field(default=10, ge=1, le=100)
    webhook_retry_base_seconds: float = Field(default=30.0, ge=0, le=3600)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    webhook_disable_after_failures: int = Field(default=50, ge=1, le=10_000)
    mail_max_attempts: int = Field(
        default=8,
        ge=1,
        le=100,
        description="Attempts to send a claim-link e-mail before giving up on it.",
    )
    mail_retry_base_seconds: float = Field(
        default=60.0,
        ge=0,
        le=3600,
        description="Wait before the first retry of an e-mail; doubled after each further "
        "failure (at most 6 hours).",
    )
    mail_timeout_seconds: float = Field(
        default=30.0, gt=0, le=300, description="Timeout of each SMTP connection and command."
    )
    smtp_allow_private_addresses: bool = Field(
        default=False,
        description="Let institutions' SMTP servers be on private, loopback and link-local "
        "addresses. For tests and closed networks only.",
    )
    smtp_ca_file: str | None = Field(
        default=None,
        description="PEM file of the certificate authorities SMTP servers' certificates are "
        "checked against, instead of the system's (a closed network's own CA; tests).",
    )
    worker_batch_size: int = Field(default=500, ge=1, le=10_000)
    worker_concurrency: int = Field(default=2, ge=1, le=32)
    pathway_concurrency: int = Field(
        default=4,
        ge=1,
        le=32,
        description="Loops per worker process evaluating pathway events side by side.",
    )
    worker_poll_seconds: float = Field(default=5.0, gt=0, le=300)
    embedded_worker: bool = Field(
        default=False,
        description="Run the background worker inside the API process (the all-in-one run).",
    )

    @field_validator("key_encryption_key", "learner_lookup_key")
    @classmethod
    def _is_32_byte_key(cls, value: SecretStr) -> SecretStr:
        decode_secret_key(value.get_secret_value())
        return value

    @field_validator("trusted_certificates")
    @classmethod
    def _holds_certificates(cls, value: str | None) -> str | None:
        if not value:
            return None
        try:
            text = value if "-----BEGIN" in value else Path(value).read_text("ascii")
            x509.load_pem_x509_certificates(text.encode("ascii"))
        except (OSError, ValueError) as exc:
            raise ValueError("must be PEM certificates or the path of a file holding them") from exc
        return value

    @model_validator(mode="after")
    def _uploads_fit_their_bodies(self) -> Settings:
        largest = max(self.image_max_bytes, self.verify_upload_max_bytes)
        if self.request_max_upload_bytes < largest:
            raise ValueError(
                "request_max_upload_bytes must be at least image_max_bytes and "
                "verify_upload_max_bytes"
            )
        return self

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _case_insensitive(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, str):
            return value
        return value.upper() if info.field_name == "log_level" else value.lower()

    @field_validator("public_base_url")
    @classmethod
    def _is_absolute_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an absolute http(s) URL")
        return value.rstrip("/")

    @property
    def public_host(self) -> str:
        return urlsplit(self.public_base_url).netloc

    @property
    def kek_bytes(self) -> bytes:
        return decode_secret_key(self.key_encryption_key.get_secret_value())

    @property
    def learner_lookup_key_bytes(self) -> bytes:
        return decode_secret_key(self.learner_lookup_key.get_secret_value())


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()  # values come from the environment
