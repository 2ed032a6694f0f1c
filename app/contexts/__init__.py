"""Bundled JSON-LD contexts. Nothing is fetched from the internet at run time."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3P0 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
# Stapel's extension context for the EU standard elements Open Badges 3.0 lacks.
EU_MICROCREDENTIAL_V1 = "https://w3id.org/stapel/eu-microcredential/v1"

_FILES = {
    VC_V2: "credentials-v2.jsonld",
    OB_V3P0: "ob-v3p0-context-3.0.3.json",
    EU_MICROCREDENTIAL_V1: "eu-microcredential-v1.jsonld",
}


BUNDLED_CONTEXTS = frozenset(_FILES)


def bundled_context_bytes(url: str) -> bytes:
    """The context file exactly as bundled: what a digest of the resource is computed over."""
    return resources.files(__package__).joinpath(_FILES[url]).read_bytes()


@lru_cache(maxsize=len(_FILES))
def bundled_context(url: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(bundled_context_bytes(url))
    return document
