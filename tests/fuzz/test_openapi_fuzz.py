"""Every operation of openapi/openapi.json, fuzzed by schemathesis against the served app:
no 5xx, and no status or content type the document does not name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.factories import Tenant
from tests.serving import ROOT

pytestmark = pytest.mark.fuzz

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance"
# Revoking an API key would revoke the run's own (its stateful phase finds the key's id), and
# every request after it would test nothing but the 401.
SPARED = "revoke_api_client_v1_api_clients__client_id__delete"


def test_no_operation_answers_a_server_error_or_anything_undocumented(
    server: str, tenant: Tenant, seeded: dict[str, Any], tmp_path: Path
) -> None:
    command = [
        str(Path(sys.executable).parent / "st"),
        "run",
        str(ROOT / "openapi" / "openapi.json"),
        "--url",
        server,
        "--header",
        f"Authorization: Bearer {tenant.token}",
        "--checks",
        CHECKS,
        "--exclude-operation-id",
        SPARED,
        "--generation-deterministic",
        "--max-time",
        os.environ.get("STAPEL_FUZZ_SECONDS", "150"),
        "--workers",
        "1",
        "--no-color",
    ]
    # In tmp_path, where it keeps its reports and examples.
    finished = subprocess.run(  # noqa: S603 - our own command line
        command, cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
