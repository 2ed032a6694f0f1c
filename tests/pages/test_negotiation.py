"""Which Accept headers ask a public page for the credential itself rather than the page."""

from __future__ import annotations

import pytest

from app.pages.negotiation import wants_credential


@pytest.mark.parametrize(
    "accept",
    [
        "application/vc+jwt",
        "Application/VC+JWT",
        "application/vc+jwt, text/html",
        "text/html;q=0.5, application/vc+jwt",
        "application/vc+jwt;q=0.9, */*;q=0.8",
    ],
)
def test_a_verifier_asking_for_the_credential_gets_it(accept: str) -> None:
    assert wants_credential(accept)


@pytest.mark.parametrize(
    "accept",
    [
        "",
        "*/*",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "text/html, application/vc+jwt;q=0.5",
        "application/vc+jwt;q=0",
        "application/vc+jwt;q=nonsense",
        "application/jwt",
    ],
)
def test_a_browser_or_anyone_else_gets_the_page(accept: str) -> None:
    assert not wants_credential(accept)
