"""What the worker does with a claimed set of results: one outcome for each, in one transaction.

Passed results are issued through the same service as the REST API, idempotent on integration +
student + course + term (the credential's idempotency key), so a result sent twice, or processed
by two workers at once, yields one credential. Withdrawn results, and corrections to a failing
grade, revoke the credential issued for that result.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.scopes import Scope
from app.config import get_settings
from app.credentials import lifecycle
from app.credentials.issuance import Outcome
from app.credentials.schemas import CredentialIssue, Learner
from app.credentials.service import issue_summarised
from app.errors import DomainError, IdempotencyKeyReused
from app.sis import repository
from app.sis.intake import failed_event_payload, parse_result
from app.sis.models import CourseMapping, SisResult
from app.sis.rules import passes
from app.sis.schemas import CourseResult, ResultWithdrawal
from app.webhooks.events import SIS_RESULT_FAILED, emit_many

# A withdrawal that arrives while the result it withdraws still waits is looked at again after
# this many seconds (without counting as an attempt).
DEFER_SECONDS = 1.0


@dataclass(slots=True)
class Verdict:
    """The outcome decided for one result, as written back to its row."""

    status: str
    reason_code: str | None = None
    reason: str | None = None
    credential_id: uuid.UUID | None = None
    delay: float = 0.0
    attempt: int = 0

    def row(self, result_id: int) -> dict[str, Any]:
        return {
            "id": result_id,
            "status": self.status,
            "reason_code": self.reason_code,
            "reason": self.reason,
            "credential_id": str(self.credential_id) if self.credential_id else None,
            "attempt": self.attempt,
            "delay": self.delay,
        }


def _failed(code: str, detail: str) -> Verdict:
    return Verdict("failed", code, detail)


def _skipped(code: str, detail: str, credential_id: uuid.UUID | None = None) -> Verdict:
    return Verdict("skipped", code, detail, credential_id)


def integration_principal(integration_id: uuid.UUID, institution_id: uuid.UUID) -> Principal:
    return Principal(
        client_id=integration_id,
        institution_id=institution_id,
        scopes=frozenset({Scope.CREDENTIALS_ISSUE, Scope.CREDENTIALS_REVOKE}),
        kind="sis_integration",
    )


async def process_claimed(session: AsyncSession, claimed: Sequence[SisResult]) -> dict[str, int]:
    """Decide and record an outcome for each claimed result; returns counts by status."""
    groups: dict[tuple[uuid.UUID, uuid.UUID], list[SisResult]] = defaultdict(list)
    for result in claimed:
        groups[(result.institution_id, result.integration_id)].append(result)
    verdicts: dict[int, Verdict] = {}
    for (institution_id, integration_id), results in groups.items():
        group = _Group(session, institution_id, integration_id, [r.id for r in claimed])
        verdicts |= await group.process(results)
    await repository.record_outcomes(
        session, [verdict.row(result_id) for result_id, verdict in verdicts.items()]
    )
    await _announce_failures(session, claimed, verdicts)
    counts: dict[str, int] = defaultdict(int)
    for verdict in verdicts.values():
        counts[verdict.status] += 1
    return dict(counts)


async def _announce_failures(
    session: AsyncSession, claimed: Sequence[SisResult], verdicts: dict[int, Verdict]
) -> None:
    by_institution: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for result in claimed:
        verdict = verdicts[result.id]
        if verdict.status == "failed":
            by_institution[result.institution_id].append(
                failed_event_payload(
                    result.integration_id,
                    result.event_id,
                    result.position,
                    reason=verdict.reason_code or "failed",
                    detail=verdict.reason,
                    result_id=_result_id(result),
                )
            )
    for institution_id, payloads in by_institution.items():
        await emit_many(session, institution_id, SIS_RESULT_FAILED, payloads)


def _result_id(result: SisResult) -> str | None:
    value = result.payload.get("result_id") if isinstance(result.payload, dict) else None
    return value if isinstance(value, str) else None


@dataclass(slots=True)
class _ToIssue:
    result: SisResult
    request: CredentialIssue
    key: str


class _Group:
    """The results of one integration within a claim."""

    def __init__(
        self,
        session: AsyncSession,
        institution_id: uuid.UUID,
        integration_id: uuid.UUID,
        claimed_ids: list[int],
    ) -> None:
        self.session = session
        self.institution_id = institution_id
        self.integration_id = integration_id
        self.principal = integration_principal(integration_id, institution_id)
        self.claimed_ids = claimed_ids
        self.verdicts: dict[int, Verdict] = {}

    async def process(self, results: list[SisResult]) -> dict[int, Verdict]:
        parsed = self._parse(results)
        codes = sorted({p.course_code for p in parsed.values()})
        mappings = await repository.mappings_for_courses(self.session, self.integration_id, codes)
        to_issue: list[_ToIssue] = []
        to_revoke: list[tuple[SisResult, str, str | None]] = []
        for result in results:
            if result.id not in parsed:
                continue
            self._decide(result, parsed[result.id], mappings, to_issue, to_revoke)
        await self._defer_early_withdrawals(to_issue, to_revoke)
        await self._issue(to_issue)
        await self._revoke(to_revoke)
        return self.verdicts

    def _parse(self, results: list[SisResult]) -> dict[int, CourseResult | ResultWithdrawal]:
        parsed: dict[int, CourseResult | ResultWithdrawal] = {}
        for result in results:
            try:
                parsed[result.id] = parse_result(result.kind, result.payload)  # type: ignore[arg-type]
            except ValidationError as error:
                self.verdicts[result.id] = _failed("invalid_data", str(error))
        return parsed

    def _decide(
        self,
        result: SisResult,
        item: CourseResult | ResultWithdrawal,
        mappings: dict[tuple[str, str | None], CourseMapping],
        to_issue: list[_ToIssue],
        to_revoke: list[tuple[SisResult, str, str | None]],
    ) -> None:
        key = result.subject_key or ""
        if isinstance(item, ResultWithdrawal):
            to_revoke.append((result, "result_withdrawn", item.reason))
            return
        mapping = mappings.get((item.course_code, item.term)) or mappings.get(
            (item.course_code, None)
        )
        if mapping is None:
            self.verdicts[result.id] = _failed(
                "unknown_course_code",
                f"No course mapping for {item.course_code!r} in term {item.term!r}.",
            )
        elif passes(mapping, item.grade):
            try:
                to_issue.append(_ToIssue(result, _request(item, mapping), key))
            except ValidationError as error:
                self.verdicts[result.id] = _failed("invalid_data", str(error))
        elif result.kind == "corrected":
            to_revoke.append((result, "result_corrected", f"grade corrected to {item.grade}"))
        else:
            self.verdicts[result.id] = _skipped(
                "not_passed", f"Grade {item.grade!r} does not pass {item.course_code}."
            )

    async def _defer_early_withdrawals(
        self, to_issue: list[_ToIssue], to_revoke: list[tuple[SisResult, str, str | None]]
    ) -> None:
        """Hold a revocation back while an earlier result of the same subject is unsettled."""
        if not to_revoke:
            return
        in_claim = {item.key: item.result.id for item in to_issue}
        keys = [r.subject_key for r, _, _ in to_revoke if r.subject_key]
        latest = max(r.id for r, _, _ in to_revoke)
        elsewhere = await repository.earlier_pending_subjects(
            self.session, keys, latest, self.claimed_ids
        )
        kept = []
        for entry in to_revoke:
            result = entry[0]
            key = result.subject_key or ""
            earlier = min(in_claim.get(key, result.id), elsewhere.get(key, result.id))
            if earlier < result.id:
                self.verdicts[result.id] = Verdict("pending", delay=DEFER_SECONDS)
            else:
                kept.append(entry)
        to_revoke[:] = kept

    async def _issue(self, items: list[_ToIssue]) -> None:
        if not items:
            return
        existing = await repository.credentials_by_key(
            self.session, self.institution_id, [i.key for i in items]
        )
        first_of: dict[str, _ToIssue] = {}
        fresh: list[_ToIssue] = []
        for item in items:
            if item.key in existing:
                self.verdicts[item.result.id] = _already_issued(existing[item.key].id)
            elif item.key in first_of:
                continue  # settled below, once its twin in this claim has a credential
            else:
                first_of[item.key] = item
                fresh.append(item)
        limit = get_settings().max_batch_size
        for start in range(0, len(fresh), limit):
            chunk = fresh[start : start + limit]
            try:
                outcomes = await issue_summarised(
                    self.session, self.principal, [(i.request, i.key) for i in chunk], _summary
                )
            except DomainError as error:  # e.g. the institution has no signing key
                for item in chunk:
                    self.verdicts[item.result.id] = _failed(error.code, error.detail)
                continue
            await self._settle_issued(chunk, outcomes)
        for item in items:
            if item.result.id not in self.verdicts:  # a twin of an item issued above
                twin = self.verdicts[first_of[item.key].result.id]
                self.verdicts[item.result.id] = (
                    _already_issued(twin.credential_id) if twin.credential_id else twin
                )

    async def _settle_issued(self, chunk: list[_ToIssue], outcomes: list[_Issued]) -> None:
        raced = [
            item.key
            for item, outcome in zip(chunk, outcomes, strict=True)
            if isinstance(outcome.error, IdempotencyKeyReused)
        ]
        winners = await repository.credentials_by_key(self.session, self.institution_id, raced)
        for item, outcome in zip(chunk, outcomes, strict=True):
            self.verdicts[item.result.id] = _issued_verdict(outcome, winners.get(item.key))

    async def _revoke(self, entries: list[tuple[SisResult, str, str | None]]) -> None:
        if not entries:
            return
        keys = [r.subject_key for r, _, _ in entries if r.subject_key]
        existing = await repository.credentials_by_key(self.session, self.institution_id, keys)
        for result, reason_code, reason in entries:
            credential = existing.get(result.subject_key or "")
            if credential is None:
                self.verdicts[result.id] = _skipped(
                    "no_credential", "No credential was issued for this result."
                )
            elif credential.state == "revoked":
                self.verdicts[result.id] = _skipped(
                    "already_revoked", "The credential is revoked already.", credential.id
                )
            else:
                self.verdicts[result.id] = await self._revoke_one(
                    credential.id, reason_code, reason
                )

    async def _revoke_one(
        self, credential_id: uuid.UUID, reason_code: str, reason: str | None
    ) -> Verdict:
        try:
            await lifecycle.change_status(
                self.session, self.principal, credential_id, "revoke", reason_code, reason
            )
        except DomainError as error:
            return _failed(error.code, error.detail)
        return Verdict("revoked", reason_code, reason, credential_id)


def _already_issued(credential_id: uuid.UUID | None) -> Verdict:
    return _skipped(
        "already_issued", "A credential was issued for this result before.", credential_id
    )


@dataclass(frozen=True, slots=True)
class _Issued:
    """What a result's verdict needs of its issuance: a claim issues up to a whole batch, whose
    credentials' documents are let go as soon as each chunk is written."""

    status: str
    credential_id: uuid.UUID | None
    error: DomainError | None


def _summary(outcome: Outcome) -> _Issued:
    credential = outcome.credential
    return _Issued(outcome.status, credential.id if credential else None, outcome.error)


def _issued_verdict(outcome: _Issued, winner: repository.IssuedCredential | None) -> Verdict:
    if outcome.status == "issued" and outcome.credential_id is not None:
        return Verdict("issued", credential_id=outcome.credential_id)
    if outcome.status == "replayed" and outcome.credential_id is not None:
        return _already_issued(outcome.credential_id)
    if isinstance(outcome.error, IdempotencyKeyReused) and winner is not None:
        return _already_issued(winner.id)
    error = outcome.error
    if isinstance(error, DomainError):
        details = "; ".join(f"{e.pointer}: {e.detail}" for e in error.errors)
        return _failed(error.code, f"{error.detail} {details}".strip())
    return _failed("issuance_failed", "Issuance ended without a credential.")


def _request(item: CourseResult, mapping: CourseMapping) -> CredentialIssue:
    student = item.student
    return CredentialIssue(
        achievement_id=mapping.achievement_id,
        learner=Learner(
            name=student.name,
            family_name=student.family_name,
            given_name=student.given_name,
            student_number=student.id,
            email=student.email,
            did=student.did,
        ),
        awarded_on=item.assessment_date,
        assessment_date=item.assessment_date,
        grade=item.grade,
        identity_verified=item.identity_verified,
        sis_reference=item.result_id,
    )
