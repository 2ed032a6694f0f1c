"""The committed OpenAPI document is the code's; regenerate it with `make openapi`."""

from __future__ import annotations

import json
from pathlib import Path

from app.main import create_app

COMMITTED = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"


def test_committed_openapi_matches_the_code() -> None:
    generated = create_app().openapi()
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert committed == json.loads(json.dumps(generated)), (
        "run `make openapi` and commit the result"
    )


def test_every_authenticated_operation_documents_its_problems() -> None:
    schema = create_app().openapi()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            if operation.get("security"):
                assert "401" in responses, f"{method} {path}"
            for status, response in responses.items():
                if status.startswith(("4", "5")) and status != "422":
                    assert _error_media_type(operation, status) in response.get("content", {}), (
                        f"{method} {path} {status}"
                    )


def _error_media_type(operation: dict[str, object], status: str) -> str:
    """Problems everywhere, except the wallets' OpenID endpoints, which answer as OAuth does
    (a database outage, a body too large or too slow and a rate limit are still problems: the
    layers under every route answer them, before any OpenID rule runs)."""
    wallet_facing = "wallet pickup (OpenID4VCI)" in operation.get("tags", [])  # type: ignore[operator]
    shared = status in {"408", "413", "429", "503"}
    return "application/json" if wallet_facing and not shared else "application/problem+json"


def test_committed_graphql_schema_matches_the_code() -> None:
    from app.cli import graphql_sdl

    committed = (COMMITTED.parents[1] / "schema.graphql").read_text(encoding="utf-8")
    assert committed == graphql_sdl(), "run `make openapi` and commit schema.graphql"
