"""The verify page over HTTP: pasted, uploaded and linked credentials, ours and others', and every
way the input can be unreadable (the browser tests are apart)."""

from __future__ import annotations

import contextlib
import html
import json
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from fastapi import FastAPI

from app.config import get_settings
from app.pages.i18n import MESSAGES
from app.pages.security import CONTENT_SECURITY_POLICY
from tests.baking.files import BILLION_LAUGHS_SVG, XXE_SVG, baked_png, baked_svg, plain_png
from tests.credentials.helpers import issue, published_achievement
from tests.eudi.support import Holder, learning_credential
from tests.factories import Tenant
from tests.pages.helpers import claim_path, publish
from tests.verification.forge import b64url, b64url_json, split, with_payload
from tests.verification.other_instance import OtherInstance, issue_at_other
from tests.verification.support import Handler, make_fetcher

EN = MESSAGES["en"]
NL = MESSAGES["nl"]


async def issued(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, Any]:
    achievement = await published_achievement(client, tenant)
    return await issue(client, tenant, achievement["id"])


async def published(client: httpx.AsyncClient, tenant: Tenant) -> tuple[dict[str, Any], str]:
    """A fresh credential, published: it and the path of its public page."""
    credential = await issued(client, tenant)
    return credential, await publish(client, claim_path(credential["claim_url"]))


async def paste(client: httpx.AsyncClient, text: str, lang: str = "en") -> httpx.Response:
    return await client.post("/verify", files={"credential": (None, text), "lang": (None, lang)})


async def upload(
    client: httpx.AsyncClient, name: str, data: bytes, media_type: str = "application/octet-stream"
) -> httpx.Response:
    return await client.post(
        "/verify", files={"file": (name, data, media_type), "lang": (None, "en")}
    )


def result_section(page: httpx.Response) -> str:
    found = re.search(r'<section id="verification-result".*?</section>', page.text, re.S)
    assert found, page.text
    return html.unescape(found.group(0))


def outcome_of(page: httpx.Response, check: str) -> str:
    found = re.search(rf'<li class="check-(\w+)" data-check="{check}">', result_section(page))
    assert found, f"no {check} check on the page"
    return found.group(1)


def assert_verified(page: httpx.Response) -> None:
    assert page.status_code == 200, page.text
    assert 'class="verdict verdict-verified' in result_section(page), result_section(page)


def assert_failed(page: httpx.Response) -> None:
    assert page.status_code == 200, page.text
    assert 'class="verdict verdict-failed' in result_section(page)


def assert_refused(page: httpx.Response, status: int, message: str) -> None:
    assert page.status_code == status, page.text
    assert "verification-result" not in page.text
    assert message.split("{", maxsplit=1)[0] in html.unescape(page.text)
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


# -- the page itself -------------------------------------------------------------------------------


async def test_the_page_offers_paste_upload_and_address_with_a_label_for_each(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/verify", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert page.headers["cache-control"] == "no-store"
    assert "<script" not in page.text
    assert '<form method="post" action="/verify" enctype="multipart/form-data">' in page.text
    assert '<textarea id="credential" name="credential"' in page.text
    assert '<input type="file" id="file" name="file" accept=".jwt,.json,.png,.svg"' in page.text
    assert '<form method="get" action="/verify">' in page.text
    assert 'name="url"' in page.text
    for control in ("credential", "file", "url"):
        assert f'<label for="{control}">' in page.text
    assert EN["verify.title"] in page.text
    assert "verification-result" not in page.text


async def test_the_page_speaks_dutch_when_asked(client: httpx.AsyncClient) -> None:
    page = await client.get("/verify", headers={"Accept-Language": "nl-NL,nl;q=0.9,en;q=0.5"})
    assert page.headers["content-language"] == "nl"
    assert NL["verify.title"] in page.text
    assert '<input type="hidden" name="lang" value="nl">' in page.text


# -- pasted ----------------------------------------------------------------------------------------


async def test_a_pasted_credential_of_ours_is_verified_with_its_issuer_and_achievement(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    credential = await issued(client, tenant)
    page = await paste(client, f"\n  {credential['jwt']}  \n")
    assert_verified(page)
    section = result_section(page)
    assert EN["verify.verdict.verified.trusted"] in section
    assert "Hogeschool Voorbeeld" in section
    assert EN["verify.trust.this_instance"] in section
    assert EN["verify.recognised.yes"] in section
    _, payload, _ = split(credential["jwt"])
    assert payload["credentialSubject"]["achievement"]["name"] in section
    assert "ECTS" in section
    assert "1 July 2026" in section  # awarded on
    for check in ("parsing", "signature", "status", "trust"):
        assert outcome_of(page, check) == "passed"
        assert EN[f"verify.check.{check}.meaning"] in section


async def test_a_tampered_credential_fails_on_its_signature(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    token = (await issued(client, tenant))["jwt"]
    _, payload, _ = split(token)
    payload["credentialSubject"]["achievement"]["name"] += "!"  # one character more
    page = await paste(client, with_payload(token, payload))
    assert_failed(page)
    assert outcome_of(page, "signature") == "failed"
    label = EN["verify.check.signature"]
    assert EN["verify.verdict.failed.because"].format(check=label) in result_section(page)
    section = result_section(page)
    assert "the signature does not verify" in section
    # What a forgery says of its issuer is shown as a claim, and no standing is given to it.
    assert EN["verify.issuer.claimed"] in section
    assert EN["verify.summary.unconfirmed"] in section
    assert EN["verify.trust.unknown"] not in section
    assert EN["verify.trust.this_instance"] not in section


async def test_a_revoked_credential_fails_on_its_status_and_says_so_in_dutch(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    credential = await issued(client, tenant)
    revoked = await client.post(
        f"/v1/credentials/{credential['id']}/revoke",
        json={"reason_code": "fraud"},
        headers=tenant.headers,
    )
    assert revoked.status_code == 200
    page = await paste(client, credential["jwt"], lang="nl")
    assert_failed(page)
    assert page.headers["content-language"] == "nl"
    assert outcome_of(page, "status") == "failed"
    assert outcome_of(page, "signature") == "passed"
    section = result_section(page)
    assert NL["verify.verdict.failed"] in section
    assert NL["verify.check.status"] in section
    assert "revoked" in section


async def test_a_pasted_enveloped_credential_is_verified(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    token = (await issued(client, tenant))["jwt"]
    enveloped = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["EnvelopedVerifiableCredential"],
        "id": f"data:application/vc+jwt,{token}",
    }
    assert_verified(await paste(client, json.dumps(enveloped)))


def sign_as_did_jwk(payload: dict[str, Any]) -> str:
    """A credential of an issuer this instance has never heard of, identified by did:jwk."""
    key = ec.generate_private_key(ec.SECP256R1())
    numbers = key.public_key().public_numbers()
    public = {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
    }
    did = f"did:jwk:{b64url_json(public)}"
    payload["issuer"]["id"] = did
    payload["iss"] = did
    header = {"alg": "ES256", "typ": "vc+jwt", "cty": "vc", "kid": f"{did}#0"}
    signing_input = f"{b64url_json(header)}.{b64url_json(payload)}".encode("ascii")
    r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return f"{signing_input.decode('ascii')}.{b64url(signature)}"


async def test_a_foreign_credential_verifies_but_its_issuer_is_reported_unknown(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    _, payload, _ = split((await issued(client, tenant))["jwt"])
    del payload["credentialStatus"]  # the foreign issuer keeps no status list of ours
    payload["issuer"]["name"] = "Academie Elders"
    page = await paste(client, sign_as_did_jwk(payload))
    assert_verified(page)
    section = result_section(page)
    assert EN["verify.verdict.verified.unknown_issuer"] in section
    assert EN["verify.trust.unknown"] in section
    assert "Academie Elders" in section
    assert outcome_of(page, "trust") == "warning"
    assert outcome_of(page, "status") == "warning"


@pytest.mark.parametrize(
    "text",
    ["not a credential", "eyJ.\x00.x", "a.b.c", '{"verifiableCredential": "x.y.z"}'],
)
async def test_pasted_rubbish_is_a_failed_verdict_on_parsing_never_an_error(
    client: httpx.AsyncClient, text: str
) -> None:
    page = await paste(client, text)
    assert_failed(page)
    assert outcome_of(page, "parsing") == "failed"


async def test_a_credential_with_an_embedded_proof_is_refused_as_unsupported(
    client: httpx.AsyncClient,
) -> None:
    page = await paste(client, json.dumps({"type": ["VerifiableCredential"], "proof": {}}))
    assert_refused(page, 422, EN["verify.error.unsupported"])
    assert_refused(await paste(client, '{"verifiable'), 400, EN["verify.error.malformed"])


async def test_an_empty_form_and_a_form_with_both_inputs_are_refused(
    client: httpx.AsyncClient,
) -> None:
    empty = await client.post(
        "/verify",
        files={"credential": (None, "  "), "file": ("", b"", "application/octet-stream")},
    )
    assert_refused(empty, 422, EN["verify.error.empty_form"])
    both = await client.post(
        "/verify", files={"credential": (None, "a.b.c"), "file": ("c.jwt", b"a.b.c")}
    )
    assert_refused(both, 422, EN["verify.error.both"])
    not_a_form = await client.post(
        "/verify", content=b"--x\r\nbroken", headers={"Content-Type": "multipart/form-data"}
    )
    assert_refused(not_a_form, 400, EN["verify.error.malformed"])


# -- uploaded --------------------------------------------------------------------------------------


async def test_uploaded_files_of_every_kind_are_verified(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    token = (await issued(client, tenant))["jwt"]
    files = {
        "credential.jwt": f"{token}\n".encode(),
        "credential.json": json.dumps({"verifiableCredential": token}).encode(),
        "badge.png": baked_png(token),
        "badge.svg": baked_svg(token),
    }
    for name, data in files.items():
        page = await upload(client, name, data)
        assert_verified(page)
        assert outcome_of(page, "signature") == "passed", name


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("badge.png", plain_png()[:100], "png_malformed"),
        ("badge.png", plain_png(), "png_no_credential"),
        ("badge.svg", XXE_SVG, "svg_forbidden"),
        ("badge.svg", BILLION_LAUGHS_SVG, "svg_forbidden"),
        ("badge.svg", b"<svg xmlns='http://www.w3.org/2000/svg'>", "svg_malformed"),
        ("credential.jwt", "Één".encode("latin-1") + b"\xff\xfe", "not_utf8"),
    ],
)
async def test_an_unreadable_file_gets_the_page_again_with_the_reason(
    client: httpx.AsyncClient, name: str, data: bytes, reason: str
) -> None:
    page = await upload(client, name, data)
    assert_refused(page, 422, EN[f"verify.error.{reason}"])
    assert '<textarea id="credential"' in page.text  # the forms, to try again


async def test_an_oversize_upload_is_refused_on_its_declared_length(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "verify_upload_max_bytes", 4096)
    page = await upload(client, "badge.png", baked_png("x" * 40_000))
    assert_refused(page, 413, EN["verify.error.too_large"])
    assert "0.00391 MiB" in page.text


async def test_an_oversize_upload_without_a_length_is_refused_while_it_arrives(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "verify_upload_max_bytes", 4096)
    sent: list[int] = []

    async def endless() -> AsyncIterator[bytes]:
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n'
        for _ in range(1000):
            sent.append(1)
            yield b"\x00" * 1024

    page = await client.post(
        "/verify",
        content=endless(),
        headers={"Content-Type": "multipart/form-data; boundary=b"},
    )
    assert "content-length" not in {k.lower() for k in page.request.headers}
    assert_refused(page, 413, EN["verify.error.too_large"])
    assert len(sent) < 100  # stopped reading long before the end


async def test_a_file_within_the_limit_whose_token_is_too_large_is_refused(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "verification_max_token_bytes", 1024)
    page = await upload(client, "credential.jwt", b"eyJ" + b"A" * 2000)
    assert_refused(page, 413, EN["verify.error.too_large"])


# -- by address ------------------------------------------------------------------------------------


async def test_the_address_of_a_published_page_is_verified(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    _, public = await published(client, tenant)
    page = await client.get("/verify", params={"url": f"https://stapel.test{public}?lang=nl"})
    assert_verified(page)
    assert f'value="https://stapel.test{public}?lang=nl"' in page.text


async def test_the_address_of_an_unpublished_or_unknown_page_is_not_found(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    credential = await issued(client, tenant)
    claim = claim_path(credential["claim_url"])
    public = await publish(client, claim)
    assert (await client.post(f"{claim}/unpublish")).status_code == 303
    for address in (f"https://stapel.test{public}", "https://stapel.test/c/%00nothing"):
        page = await client.get("/verify", params={"url": address, "lang": "nl"})
        assert_refused(page, 404, NL["verify.error.url_not_found"])
    elsewhere = await client.get("/verify", params={"url": f"https://stapel.test{claim}"})
    assert_refused(elsewhere, 422, EN["verify.error.url_not_credential_page"])


@pytest.mark.parametrize(
    "address",
    [
        "https://10.0.0.7/c/abc",
        "https://127.0.0.1/c/abc",
        "https://[::1]/c/abc",
        "https://169.254.169.254/latest/meta-data",
        "https://user:secret@example.org/c/abc",
    ],
)
async def test_a_private_address_is_refused_without_being_fetched(
    client: httpx.AsyncClient, address: str
) -> None:
    assert not get_settings().fetch_allow_private_addresses
    page = await client.get("/verify", params={"url": address})
    assert_refused(page, 422, EN["verify.error.url_refused"])


@pytest.mark.parametrize("address", ["ftp://example.org/c/x", "no address", "https://[::1"])
async def test_something_that_is_not_a_web_address_is_refused(
    client: httpx.AsyncClient, address: str
) -> None:
    page = await client.get("/verify", params={"url": address})
    assert_refused(page, 422, EN["verify.error.url_invalid"])


@contextlib.asynccontextmanager
async def fetching_through(app: FastAPI, handler: Handler) -> AsyncIterator[None]:
    """The app's fetcher, for a while, reaches other hosts through ``handler``.

    Its address rules stay on; every host name resolves to a public address.
    """
    original = app.state.fetcher
    app.state.fetcher = make_fetcher(handler, max_cache_seconds=0)
    try:
        yield
    finally:
        await app.state.fetcher.aclose()
        app.state.fetcher = original


async def test_a_public_page_on_another_host_is_fetched_as_a_credential_and_verified(
    client: httpx.AsyncClient, tenant: Tenant, app: FastAPI
) -> None:
    _, public = await published(client, tenant)
    # https://other.test is served by this same application, as a second Stapel would serve it.
    second_stapel = httpx.ASGITransport(app=app)

    async def serve(request: httpx.Request) -> httpx.Response:
        assert request.url.host == "other.test"
        return await second_stapel.handle_async_request(request)

    async with fetching_through(app, serve):
        page = await client.get("/verify", params={"url": f"https://other.test{public}"})
        gone = await client.get("/verify", params={"url": "https://other.test/c/nothing"})
        html = await client.get("/verify", params={"url": "https://other.test/verify"})
    assert_verified(page)
    assert_refused(gone, 404, EN["verify.error.url_not_found"])
    assert_refused(html, 422, EN["verify.error.url_no_credential"])


async def test_another_host_that_cannot_be_reached_is_a_bad_gateway(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async with fetching_through(app, refuse):
        page = await client.get("/verify", params={"url": "https://down.test/c/abc"})
    assert_refused(page, 502, EN["verify.error.url_unreachable"])


async def test_another_stapels_public_page_is_verified_and_its_issuer_reported_unknown(
    client: httpx.AsyncClient, other_instance: OtherInstance, reaches_other: None
) -> None:
    issued_there = await issue_at_other(other_instance)
    claim = urlsplit(issued_there["claim_url"]).path
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{other_instance.port}") as there:
        assert (await there.post(f"{claim}/publish")).status_code == 303
        claim_page = (await there.get(claim)).text
    public_url = re.search(r"https://other\.test/c/[A-Za-z0-9_-]+", claim_page)
    assert public_url, claim_page
    page = await client.get("/verify", params={"url": public_url.group(0)})
    assert_verified(page)
    section = result_section(page)
    assert EN["verify.trust.unknown"] in section
    assert other_instance.did in section
    assert outcome_of(page, "status") == "passed"  # its list, fetched from the other instance


# -- the public page, asked for the credential -----------------------------------------------------


async def test_a_public_page_gives_a_verifier_the_credential_itself(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    credential, public = await published(client, tenant)
    asked = await client.get(public, headers={"Accept": "application/vc+jwt"})
    assert asked.status_code == 200
    assert asked.headers["content-type"] == "application/vc+jwt"
    assert asked.text == credential["jwt"]
    assert "Accept" in asked.headers["vary"]
    browser = await client.get(
        public, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    )
    assert browser.headers["content-type"].startswith("text/html")
    assert "Accept" in browser.headers["vary"]
    preferring_html = await client.get(
        public, headers={"Accept": "text/html, application/vc+jwt;q=0.5"}
    )
    assert preferring_html.headers["content-type"].startswith("text/html")


async def test_a_pasted_learning_credential_is_verified_with_its_own_checks(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    _, sd_jwt = await learning_credential(client, tenant, Holder())
    page = await paste(client, sd_jwt, lang="nl")
    assert_verified(page)
    section = result_section(page)
    for check in ("disclosures", "status"):
        assert outcome_of(page, check) == "passed"
    assert NL["verify.check.disclosures"] in section
    assert outcome_of(page, "key_binding") == "skipped"
