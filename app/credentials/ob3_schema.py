"""Validation against the 1EdTech Open Badges 3.0 AchievementCredential JSON Schema.

The bundled schema is the published one, with a single documented relaxation: OB 3.0 allows one
``credentialStatus`` object, VC Data Model 2.0 allows several, and Stapel carries two (revocation
and suspension, as Bitstring Status List entries). The relaxation accepts either form; everything
else is checked exactly as published. (1EdTech tracks lifting the limit for OB 3.1.)
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from importlib import resources
from typing import Any

import jsonschema_rs


def published_schema() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("ob_v3p0_achievementcredential_schema.json")
    schema: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return schema


@lru_cache(maxsize=1)
def validator() -> jsonschema_rs.Draft201909Validator:
    """The compiled validator (jsonschema-rs: about 150 times faster than pure Python here)."""
    schema = copy.deepcopy(published_schema())
    single = {"$ref": "#/$defs/CredentialStatus"}
    schema["properties"]["credentialStatus"] = {
        "oneOf": [single, {"type": "array", "minItems": 1, "items": single}]
    }
    return jsonschema_rs.Draft201909Validator(schema)


def _json_path(parts: list[str | int]) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


def schema_errors(credential: dict[str, Any]) -> list[str]:
    """Each error as ``<json path>: <message>``; empty when the credential is valid."""
    if validator().is_valid(credential):
        return []
    errors = [
        (_json_path(list(e.instance_path)), e.message) for e in validator().iter_errors(credential)
    ]
    return [f"{path}: {message}" for path, message in sorted(errors)]
