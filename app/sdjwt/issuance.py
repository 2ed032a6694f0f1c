"""Making an SD-JWT (RFC 9901 §4): the payload with digests, and the ``~`` serialisation."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from app.sdjwt.disclosures import SD_ALG, Disclosure, decoy_digest, disclose

# Digests come in blocks of this many, topped up with decoys, so the length of ``_sd`` says
# little about how many claims a holder has (RFC 9901 §4.2.5 and §10.1).
_DIGEST_BLOCK = 8
_MIN_DECOYS = 2


def conceal(
    visible: Mapping[str, Any], disclosable: Mapping[str, Any]
) -> tuple[dict[str, Any], list[Disclosure]]:
    """The payload with each of ``disclosable`` replaced by a digest, and the disclosures.

    Digests are sorted, so their order does not give away the order of the claims.
    """
    clash = set(visible) & set(disclosable)
    if clash:
        raise ValueError(f"claims both visible and disclosable: {sorted(clash)}")
    disclosures = [disclose(name, value) for name, value in disclosable.items()]
    digests = [d.digest for d in disclosures]
    decoys = _MIN_DECOYS + (-(len(digests) + _MIN_DECOYS) % _DIGEST_BLOCK)
    digests.extend(decoy_digest() for _ in range(decoys + secrets.randbelow(2) * _DIGEST_BLOCK))
    payload = {**visible, "_sd": sorted(digests), "_sd_alg": SD_ALG}
    return payload, disclosures


def serialise(jwt: str, disclosures: Iterable[Disclosure], key_binding: str = "") -> str:
    """``<JWT>~<D1>~…~<Dn>~`` and, for a presentation with key binding, the KB-JWT at the end."""
    return "".join([jwt, "~", *(f"{d.encoded}~" for d in disclosures), key_binding])
