"""QR codes of public addresses, as data: URLs the pages' policy allows as images."""

from __future__ import annotations

from functools import lru_cache

import segno


@lru_cache(maxsize=1024)
def qr_data_uri(url: str) -> str:
    # Error correction M survives a scratched print-out; scale 5 is sharp at 180 px.
    return str(segno.make(url, error="m").svg_data_uri(scale=5, border=2))


def one_time_qr_data_uri(text: str) -> str:
    """The QR code of an address that holds a secret (a wallet offer): never kept in the cache."""
    return str(qr_data_uri.__wrapped__(text))
