"""Which subject identities name the learner of a request (no database)."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from app.credentials.learners import pseudonym
from app.credentials.schemas import Learner
from app.learner_requests.identity import names_learner

LEARNER = Learner(name="Sanne de Vries", student_number="s1234567", email="Sanne@Example.org")
SALT = "0f1e2d3c"


def _hashed(kind: str, value: str) -> dict[str, object]:
    digest = hashlib.sha256((value + SALT).encode()).hexdigest()
    return {"identityType": kind, "hashed": True, "identityHash": f"sha256${digest}", "salt": SALT}


def _clear(kind: str, value: str) -> dict[str, object]:
    return {"identityType": kind, "hashed": False, "identityHash": value}


@pytest.mark.parametrize(
    "identity",
    [
        _hashed("sisSourcedId", "s1234567"),
        _hashed("studentId", "s1234567"),
        _hashed("emailAddress", "sanne@example.org"),
        _clear("emailAddress", "SANNE@example.org"),
        _clear("studentId", "s1234567"),
    ],
)
def test_the_ob3_forms_of_the_learners_identifiers_match(identity: dict[str, object]) -> None:
    assert names_learner({"identifier": [identity]}, LEARNER, None)
    assert names_learner({"identifier": identity}, LEARNER, None)  # one object, not a list


@pytest.mark.parametrize(
    "identity",
    [
        _hashed("sisSourcedId", "s7654321"),
        _hashed("emailAddress", "s1234567"),  # the right value under the wrong type
        _clear("name", "Sanne de Vries"),  # a name is never enough
        {**_hashed("sisSourcedId", "s1234567"), "salt": "another"},
        {**_hashed("sisSourcedId", "s1234567"), "hashed": False},
    ],
)
def test_anything_else_does_not(identity: dict[str, object]) -> None:
    assert not names_learner({"identifier": [identity]}, LEARNER, None)


def test_a_did_matches_the_subject_id() -> None:
    holder = Learner(name="Sanne de Vries", did="did:key:z6MkexampleHolder")
    assert names_learner({"id": "did:key:z6MkexampleHolder"}, holder, None)
    assert not names_learner({"id": "did:key:z6MkSomeoneElse"}, holder, None)


def test_keyed_identifiers_match_only_for_an_issuer_of_this_instance() -> None:
    issuer = uuid.uuid4()
    keyed = _hashed("ext:keyedSisSourcedId", pseudonym(issuer, "sisSourcedId", "s1234567"))
    assert names_learner({"identifier": [keyed]}, LEARNER, issuer)
    assert not names_learner({"identifier": [keyed]}, LEARNER, None)
    assert not names_learner({"identifier": [keyed]}, LEARNER, uuid.uuid4())
