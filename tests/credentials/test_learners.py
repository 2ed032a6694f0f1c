"""How credentials carry the learner's identifiers: nothing in them falls to brute force unless
an institution chooses the OB3 form, and then exactly what docs/learners.md says is in them."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.config import get_settings
from app.credentials.learners import identifies
from tests.credentials.helpers import issue, published_achievement
from tests.factories import Tenant

# Student numbers of five digits and the addresses an institution derives from them: a space an
# attacker walks in a fraction of a second, as they would the ten million of seven digits.
SPACE = range(100_000)
STUDENT_NUMBER = "04711"
EMAIL = f"s{STUDENT_NUMBER}@student.voorbeeld.nl"


def _candidates() -> Iterator[tuple[str, str]]:
    for number in SPACE:
        digits = f"{number:05d}"
        yield digits, f"s{digits}@student.voorbeeld.nl"


def brute_force(identifiers: list[dict[str, Any]]) -> set[str]:
    """What an attacker holding the credential recovers: every candidate student number whose
    number or derived address, salted as the identifier says, gives one of its hashes."""
    hashed = [
        (i["identityHash"].removeprefix("sha256$"), i["salt"].encode())
        for i in identifiers
        if i.get("hashed") and isinstance(i.get("salt"), str)
    ]
    found = set()
    for digits, address in _candidates():
        for guess in (digits.encode(), address.encode()):
            for digest, salt in hashed:
                if hashlib.sha256(guess + salt).hexdigest() == digest:
                    found.add(digits)
    return found


async def _identifiers(client: httpx.AsyncClient, tenant: Tenant) -> list[dict[str, Any]]:
    achievement = await published_achievement(client, tenant)
    learner = {"name": "Sanne de Vries", "student_number": STUDENT_NUMBER, "email": EMAIL}
    issued = await issue(client, tenant, achievement["id"], learner=learner)
    identifiers: list[dict[str, Any]] = issued["credential"]["credentialSubject"]["identifier"]
    return identifiers


async def test_a_credential_issued_with_the_defaults_resists_brute_force(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    identifiers = await _identifiers(client, tenant)
    assert brute_force(identifiers) == set()
    assert {i["identityType"] for i in identifiers} == {"ext:keyedEmailAddress", "name"}
    assert STUDENT_NUMBER not in str(identifiers)


async def test_the_ob3_hashed_form_falls_to_the_same_attack(
    client: httpx.AsyncClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The attack is real: what the defaults avoid is found at once in the OB3 form.
    monkeypatch.setattr(get_settings(), "credential_student_number", "hashed")
    monkeypatch.setattr(get_settings(), "credential_email", "hashed")
    identifiers = await _identifiers(client, tenant)
    assert brute_force(identifiers) == {STUDENT_NUMBER}
    by_type = {i["identityType"]: i for i in identifiers}
    assert set(by_type) == {"sisSourcedId", "emailAddress", "name"}
    # A verifier told the address checks it as OB3 says: SHA-256 of address and salt.
    email = by_type["emailAddress"]
    expected = hashlib.sha256((EMAIL + email["salt"]).encode()).hexdigest()
    assert email["identityHash"] == f"sha256${expected}"


async def test_keyed_identifiers_are_checked_by_the_issuing_institution_only(
    client: httpx.AsyncClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "credential_student_number", "keyed")
    identifiers = await _identifiers(client, tenant)
    assert brute_force(identifiers) == set()
    by_type = {i["identityType"]: i for i in identifiers}
    number = by_type["ext:keyedSisSourcedId"]
    email = by_type["ext:keyedEmailAddress"]
    institution = uuid.UUID(tenant.id)
    assert identifies(number, institution, "sisSourcedId", STUDENT_NUMBER)
    assert identifies(email, institution, "emailAddress", EMAIL)
    assert not identifies(email, institution, "emailAddress", "s04712@student.voorbeeld.nl")
    # Another institution's key makes another pseudonym: tenants cannot match learners.
    assert not identifies(email, uuid.uuid4(), "emailAddress", EMAIL)


async def test_omitted_identifiers_leave_the_name_and_the_did(
    client: httpx.AsyncClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "credential_email", "omit")
    achievement = await published_achievement(client, tenant)
    did = "did:example:sanne"
    learner = {"name": "Sanne de Vries", "student_number": STUDENT_NUMBER, "email": EMAIL}
    issued = await issue(client, tenant, achievement["id"], learner=learner | {"did": did})
    subject = issued["credential"]["credentialSubject"]
    assert subject["id"] == did
    assert [i["identityType"] for i in subject["identifier"]] == ["name"]
