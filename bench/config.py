"""What one benchmark run does: sizes, durations, concurrencies and where it writes."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_DATABASE_NAME = "stapel_bench"
RESULTS_DIR = Path(__file__).resolve().parent / "results"

# The full data set; --scale multiplies the achievement and credential counts.
INSTITUTIONS = 10
ACHIEVEMENTS = 10_000
CREDENTIALS = 100_000
SIS_RESULTS = 10_000
PATHWAY_LEARNERS = 1_000  # at --scale 0.02 and above
PATHWAY_LEARNERS_SMALL = 20  # below, as in a smoke run
BATCH_SIZE = 1_000

SMOKE_SCALE = 0.001
SMOKE_DURATION = 1.0
SMOKE_BATCH_SIZE = 100
SMOKE_CONCURRENCIES = (2, 8)  # a slow request (the catalogue page) still completes in 1 s

# The scenario groups ``--only`` chooses from, in the order they run.
SCENARIO_GROUPS = (
    "healthz",
    "issue",
    "verify",
    "status",
    "catalogue",
    "pages",
    "batch",
    "sis",
    "pickup",
    "sdjwt",
    "pathway",
)


@dataclass(frozen=True)
class RunConfig:
    workers: int
    duration: float
    warmup: float
    scale: float
    smoke: bool
    database_url: str | None  # None: create DEFAULT_DATABASE_NAME on the admin server
    admin_url: str
    output_dir: Path
    keep_database: bool
    concurrencies: tuple[int, int] = (16, 64)
    batch_size: int = BATCH_SIZE
    py_spy: str | None = None  # path of py-spy: profile the server during the main scenarios
    app_ref: str | None = None  # benchmark this git ref (exported) instead of the work tree
    only: frozenset[str] = frozenset(SCENARIO_GROUPS)  # the scenario groups to run
    settings: tuple[str, ...] = ()  # STAPEL_NAME=VALUE for the server and the SIS worker
    sis_workers: int = 1  # `stapel worker` processes for the SIS scenario, side by side

    def runs(self, group: str) -> bool:
        return group in self.only

    @property
    def institutions(self) -> int:
        return INSTITUTIONS

    @property
    def achievements(self) -> int:
        return max(self.institutions, math.ceil(ACHIEVEMENTS * self.scale))

    @property
    def credentials(self) -> int:
        return max(self.institutions, math.ceil(CREDENTIALS * self.scale))

    @property
    def sis_results(self) -> int:
        return max(10, math.ceil(SIS_RESULTS * self.scale))

    @property
    def pathway_learners(self) -> int:
        return PATHWAY_LEARNERS if self.scale >= 0.02 else PATHWAY_LEARNERS_SMALL

    @property
    def low(self) -> int:
        return self.concurrencies[0]

    @property
    def high(self) -> int:
        return self.concurrencies[1]

    @property
    def settle_seconds(self) -> float:
        """Pause after each wrk run, for the server to finish what it still has queued."""
        return 0.1 if self.smoke else 0.5

    @property
    def beside_seconds(self) -> float:
        """Time ``/healthz`` is measured beside each scenario whose rate is given as a share of
        it, before the scenario's warm-up."""
        return max(1.0, self.duration / 2)

    @property
    def floor_seconds(self) -> float:
        """Time for each floor measurement (signing, COPY, executemany)."""
        return 0.3 if self.smoke else max(2.0, self.duration / 3)

    def batch_rounds(self) -> int:
        """The least number of batches each batch-issuance client sends."""
        return 1 if self.smoke else 3


def smoke(config: RunConfig) -> RunConfig:
    """The tiny version for CI: every scenario runs, none long enough to measure much."""
    return replace(
        config,
        smoke=True,
        scale=SMOKE_SCALE,
        duration=SMOKE_DURATION,
        warmup=0.0,
        batch_size=SMOKE_BATCH_SIZE,
        concurrencies=SMOKE_CONCURRENCIES,
    )
