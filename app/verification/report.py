"""The verifier's answer: named checks, each passed, failed, skipped or a warning, with a reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

Outcome = Literal["passed", "failed", "skipped", "warning"]

# The checks in the order they run; their names are part of the API.
CHECK_NAMES = (
    "parsing",
    "algorithm",
    "header",
    "key",
    "signature",
    "claims",
    "validity",
    "schema",
    "status",
    "trust",
)


class Check(NamedTuple):
    # A tuple rather than a frozen dataclass: a verification records ten, and a frozen
    # dataclass sets each field through object.__setattr__, several times the cost.
    name: str
    outcome: Outcome
    detail: str


@dataclass(slots=True)
class Report:
    checks: list[Check] = field(default_factory=list)
    profile: str | None = None
    credential: dict[str, Any] | None = None
    issuer: dict[str, Any] | None = None
    # SD-JWT only: where each disclosed claim sits, as JSON pointers without the leading '/'.
    disclosed: list[str] | None = None

    def record(self, name: str, problem: str | None, passed: str) -> bool:
        """Record a check from its problem (None when it passed); returns whether it passed."""
        if problem is None:
            self.checks.append(Check(name, "passed", passed))
            return True
        self.checks.append(Check(name, "failed", problem))
        return False

    def add(self, name: str, outcome: Outcome, detail: str) -> None:
        self.checks.append(Check(name, outcome, detail))

    def skip_rest(self, reason: str, names: tuple[str, ...] = CHECK_NAMES) -> None:
        done = {c.name for c in self.checks}
        self.checks.extend(Check(n, "skipped", reason) for n in names if n not in done)

    @property
    def verified(self) -> bool:
        """The signature verified and no check failed; the issuer's trust is reported apart."""
        # One plain loop: read for every answer, and about half the cost of any() over a
        # generator followed by a list of the failures.
        signed = False
        for name, outcome, _ in self.checks:
            if outcome == "failed" and name != "trust":
                return False
            signed = signed or (name == "signature" and outcome == "passed")
        return signed

    @property
    def trusted(self) -> bool:
        return any(c.name == "trust" and c.outcome == "passed" for c in self.checks)

    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.outcome == "failed" and c.name != "trust"]
