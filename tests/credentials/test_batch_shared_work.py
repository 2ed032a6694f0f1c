"""Work a batch shares between its items is done once, with the same results as per item."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.achievements import ob3
from app.achievements import repository as achievements_repository
from app.achievements import service as achievements_service
from app.achievements.models import AchievementVersion
from app.achievements.ob3 import AchievementSnapshot, achievement_document
from app.achievements.schemas import AchievementContent
from app.credentials import service as credentials_service
from app.credentials.models import Credential
from app.institutions.models import Institution
from tests.credentials.helpers import issue_payload, published_achievement
from tests.factories import Tenant, achievement_payload


class _CountingContent:
    """Stands in for AchievementContent in ``content_of``, counting its validations."""

    calls = 0

    @classmethod
    def model_validate(cls, data: dict[str, Any]) -> AchievementContent:
        cls.calls += 1
        return AchievementContent.model_validate(data)


def _counting_builds(monkeypatch: pytest.MonkeyPatch, *modules: object) -> list[Any]:
    """Each achievement document the given modules build, by the snapshot built from."""
    built: list[Any] = []

    def counting_build(*args: Any) -> dict[str, Any]:
        built.append(args[0])
        return achievement_document(*args)

    for module in modules:
        monkeypatch.setattr(module, "achievement_document", counting_build)
    return built


async def _issue_to(client: httpx.AsyncClient, tenant: Tenant, achievement_id: str, n: int) -> Any:
    learner = {"name": f"L {n}", "student_number": f"s{n}"}
    return await client.post(
        "/v1/credentials",
        json=issue_payload(achievement_id, learner=learner),
        headers=tenant.headers,
    )


def _payload(jwt: str) -> dict[str, Any]:
    body = jwt.split(".")[1]
    decoded: dict[str, Any] = orjson.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return decoded


async def test_a_batch_validates_and_builds_each_achievement_version_once(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = await published_achievement(client, tenant, title="Course one")
    second = await published_achievement(client, tenant, title="Course two")
    built = _counting_builds(monkeypatch, credentials_service)
    monkeypatch.setattr(achievements_service, "AchievementContent", _CountingContent)
    _CountingContent.calls = 0
    items = [
        issue_payload(achievement["id"], learner={"name": f"L {n}", "student_number": f"s{n}"})
        for n in range(3)
        for achievement in (first, second)
    ]
    response = await client.post(
        "/v1/credentials/batch", json={"items": items}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["issued"] == 6
    assert _CountingContent.calls == 2
    assert len(built) == 2
    # Every credential still carries its own achievement, equal to what one issuance gives.
    results = response.json()["results"]
    async with sessionmaker() as session:
        for item, result in zip(items, results, strict=True):
            stored = await session.get(Credential, result["credential"]["id"])
            assert stored is not None
            achievement = stored.document["credentialSubject"]["achievement"]
            expected = f"https://stapel.test/achievements/{item['achievement_id']}/versions/1"
            assert achievement["id"] == expected
            assert (
                _payload(result["credential"]["jwt"])["credentialSubject"]
                == (stored.document["credentialSubject"])
            )


def _version(content: AchievementContent) -> AchievementVersion:
    return AchievementVersion(**content.model_dump(mode="json"))


def test_content_of_validates_a_version_again_after_an_edit() -> None:
    fields = AchievementContent.model_fields
    content = AchievementContent.model_validate(
        {k: v for k, v in achievement_payload().items() if k in fields}
    )
    version = _version(content)
    assert achievements_service.content_of(version) is achievements_service.content_of(version)
    assert achievements_service.content_of(version) == content
    version.title = "Data Literacy, second edition"
    assert achievements_service.content_of(version).title == "Data Literacy, second edition"
    version.learning_outcomes = [{"text": "Reads a chart."}]
    assert [o.text for o in achievements_service.content_of(version).learning_outcomes] == [
        "Reads a chart."
    ]


def test_a_frozen_versions_content_is_validated_once_across_transactions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fields = AchievementContent.model_fields
    content = AchievementContent.model_validate(
        {k: v for k, v in achievement_payload().items() if k in fields}
    )
    monkeypatch.setattr(achievements_service, "AchievementContent", _CountingContent)
    _CountingContent.calls = 0
    version_id = uuid.uuid4()
    # Each transaction loads its own instance of the row.
    loaded = [_version(content) for _ in range(3)]
    for instance in loaded:
        instance.id, instance.frozen = version_id, True
    assert all(achievements_service.content_of(v) == content for v in loaded)
    assert _CountingContent.calls == 1
    # Not yet frozen: it may still be edited in place, so each instance is read for itself.
    unfrozen = [_version(content) for _ in range(2)]
    for instance in unfrozen:
        instance.id, instance.frozen = uuid.uuid4(), False
    assert all(achievements_service.content_of(v) == content for v in unfrozen)
    assert _CountingContent.calls == 3


async def test_a_frozen_versions_achievement_is_built_once_across_transactions(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    achievement = await published_achievement(client, tenant, title="Course once")
    # The first issuance freezes the version; each later one is a transaction of its own.
    built = _counting_builds(monkeypatch, credentials_service, ob3)
    ids = []
    for n in range(3):
        response = await _issue_to(client, tenant, achievement["id"], n)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    assert len(built) == 2  # the unfrozen version's, then the frozen one's, kept
    async with sessionmaker() as session:
        stored = [await session.get(Credential, credential_id) for credential_id in ids]
    achievements = [c.document["credentialSubject"]["achievement"] for c in stored if c]
    assert len(achievements) == 3
    assert achievements[1] == achievements[2] == achievements[0]


def test_a_kept_achievement_document_follows_the_institutions_address() -> None:
    fields = AchievementContent.model_fields
    payload = achievement_payload()
    payload["quality_assurance"] = {"type": "accredited_programme", "name": "Accredited"}
    content = AchievementContent.model_validate({k: v for k, v in payload.items() if k in fields})
    snapshot = AchievementSnapshot(uuid.uuid4(), 1, content)
    version_id = uuid.uuid4()
    before = Institution(slug="hva", url="https://www.hva.nl/")
    after = Institution(slug="hva", url="https://www.hva.nl/en/")
    kept = ob3.frozen_achievement_document(snapshot, version_id, before)
    assert ob3.frozen_achievement_document(snapshot, version_id, before) is kept
    moved = ob3.frozen_achievement_document(snapshot, version_id, after)
    # Without a link of its own, quality assurance points at the institution's site.
    assert [a["targetUrl"] for a in kept["alignment"] if "Quality" in a["targetType"]] == [
        "https://www.hva.nl/"
    ]
    assert [a["targetUrl"] for a in moved["alignment"] if "Quality" in a["targetType"]] == [
        "https://www.hva.nl/en/"
    ]


async def test_a_frozen_versions_content_is_not_read_again_by_later_issuances(
    client: httpx.AsyncClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    achievement = await published_achievement(client, tenant, title="Course kept")
    read: list[Any] = []
    versions_by_id = achievements_repository.versions_by_id

    async def counting_read(*args: Any) -> Any:
        read.append(args[1])
        return await versions_by_id(*args)

    monkeypatch.setattr(achievements_repository, "versions_by_id", counting_read)
    reads = []
    for n in range(4):
        response = await _issue_to(client, tenant, achievement["id"], n)
        assert response.status_code == 201, response.text
        reads.append(len(read))
        assert response.json()["credential"]["credentialSubject"]["achievement"]["name"] == (
            "Course kept"
        )
    # The first issuance freezes the version; the next reads it once more, frozen, and keeps
    # it. (A version is kept only once the database says it is frozen: until then an edit
    # may still change it in place.)
    assert reads == [1, 2, 2, 2]


async def test_an_archived_achievement_is_refused_though_its_content_is_kept(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await published_achievement(client, tenant)
    assert (await _issue_to(client, tenant, achievement["id"], 1)).status_code == 201
    archived = await client.post(
        f"/v1/achievements/{achievement['id']}/archive", headers=tenant.headers
    )
    assert archived.status_code == 200, archived.text
    refused = await _issue_to(client, tenant, achievement["id"], 2)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "achievement_not_published"
