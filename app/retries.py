"""Exponential backoff shared by the worker's outgoing deliveries (webhooks, mail)."""

from __future__ import annotations

_LONGEST_WAIT_SECONDS = 6 * 3600  # a receiver down for a day still gets a few tries a day


def backoff_seconds(attempts_made: int, max_attempts: int, base_seconds: float) -> float | None:
    """Seconds until the next attempt after ``attempts_made`` failures; None: give up."""
    if attempts_made >= max_attempts:
        return None
    return float(min(base_seconds * 2 ** (attempts_made - 1), _LONGEST_WAIT_SECONDS))
