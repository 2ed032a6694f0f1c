"""The Open Badges 3.0 AchievementCredential JSON Schema, and the two variants Stapel serves.

A credential names the schema it passes in ``credentialSchema``:

* the **1EdTech schema** (bundled as published) when it carries one ``credentialStatus`` entry,
  revocation — the default;
* **Stapel's status-lists variant** when its institution offers suspension: the published schema
  with one change, ``credentialStatus`` may also be a list of entries (VC Data Model 2.0 allows
  several; OB 3.0 allows one; 1EdTech tracks lifting the limit for OB 3.1);
* **Stapel's VCDM 1.1 variant** for the ``vc`` claim of the ``vc-jwt-11`` profile: the status
  change above, and the VCDM 1.1 shape (the 1.1 context first, ``issuanceDate`` and
  ``expirationDate`` instead of ``validFrom`` and ``validUntil``).

The variants are served at ``<public base URL>/schemas/ob3/…`` (``public_router``). The verifier
checks VCDM 2.0 credentials against the status-lists variant whatever they name, so that
credentials Stapel issued with two entries under the 1EdTech schema's name keep verifying.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from importlib import resources
from typing import Any, Final

import jsonschema_rs

from app.config import get_settings
from app.contexts import VC_V1

OB3_SCHEMA_URL: Final = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
STATUS_LISTS_SCHEMA_PATH: Final = "/schemas/ob3/achievementcredential-status-lists.json"
VCDM11_SCHEMA_PATH: Final = "/schemas/ob3/achievementcredential-vcdm11.json"
SCHEMA_VALIDATOR_TYPE: Final = "1EdTechJsonSchemaValidator2019"


def schema_url(path: str) -> str:
    return get_settings().public_base_url + path


def published_schema() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("ob_v3p0_achievementcredential_schema.json")
    schema: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return schema


def _status_lists_variant() -> dict[str, Any]:
    schema = copy.deepcopy(published_schema())
    single = {"$ref": "#/$defs/CredentialStatus"}
    schema["properties"]["credentialStatus"] = {
        "oneOf": [single, {"type": "array", "minItems": 1, "items": single}]
    }
    return schema


def _vcdm11_variant() -> dict[str, Any]:
    schema = _status_lists_variant()
    properties = schema["properties"]
    properties["@context"]["items"][0] = {"enum": [VC_V1]}
    properties["issuanceDate"] = properties.pop("validFrom")
    properties["expirationDate"] = properties.pop("validUntil")
    schema["required"] = [
        "issuanceDate" if name == "validFrom" else name for name in schema["required"]
    ]
    return schema


_VARIANTS = {STATUS_LISTS_SCHEMA_PATH: _status_lists_variant, VCDM11_SCHEMA_PATH: _vcdm11_variant}
SERVED_SCHEMA_PATHS: Final = frozenset(_VARIANTS)


@lru_cache(maxsize=len(_VARIANTS))
def _variant(path: str) -> dict[str, Any]:
    return _VARIANTS[path]()


def served_schema(path: str) -> dict[str, Any]:
    """A variant as this instance serves it, with its own URL as ``$id``."""
    return {**_variant(path), "$id": schema_url(path)}


def schema_reference(path: str | None) -> list[dict[str, Any]]:
    """A ``credentialSchema`` value: the 1EdTech schema (``None``) or one of Stapel's variants."""
    return [
        {"id": OB3_SCHEMA_URL if path is None else schema_url(path), "type": SCHEMA_VALIDATOR_TYPE}
    ]


@lru_cache(maxsize=len(_VARIANTS))
def _validator(path: str) -> jsonschema_rs.Draft201909Validator:
    """A compiled validator (jsonschema-rs: about 150 times faster than pure Python here)."""
    return jsonschema_rs.Draft201909Validator(_variant(path))


def _json_path(parts: list[str | int]) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


def _errors(validator: jsonschema_rs.Draft201909Validator, credential: dict[str, Any]) -> list[str]:
    if validator.is_valid(credential):
        return []
    errors = [
        (_json_path(list(e.instance_path)), e.message) for e in validator.iter_errors(credential)
    ]
    return [f"{path}: {message}" for path, message in sorted(errors)]


@lru_cache(maxsize=1)
def _published_validator() -> jsonschema_rs.Draft201909Validator:
    return jsonschema_rs.Draft201909Validator(published_schema())


def declared_schema_errors(credential: dict[str, Any]) -> list[str]:
    """Errors against each schema the credential names that Stapel holds (others: unknown)."""
    named = credential.get("credentialSchema")
    found: list[str] = []
    for reference in named if isinstance(named, list) else [named]:
        url = reference.get("id") if isinstance(reference, dict) else None
        if url == OB3_SCHEMA_URL:
            found += _errors(_published_validator(), credential)
        for path in _VARIANTS:
            if url == schema_url(path):
                found += _errors(_validator(path), credential)
    return found


def schema_errors(credential: dict[str, Any]) -> list[str]:
    """A VCDM 2.0 credential's errors against the status-lists variant, as ``<path>: <message>``."""
    return _errors(_validator(STATUS_LISTS_SCHEMA_PATH), credential)


def vcdm11_schema_errors(credential: dict[str, Any]) -> list[str]:
    """The same for the VCDM 1.1 shape (the ``vc`` claim of ``vc-jwt-11``)."""
    return _errors(_validator(VCDM11_SCHEMA_PATH), credential)
