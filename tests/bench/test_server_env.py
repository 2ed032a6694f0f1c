"""The environment the benchmark starts its server in."""

from __future__ import annotations

import pytest

from app.config import Settings
from bench.runner import REPO, server_env


def test_wallet_tokens_and_nonces_outlive_the_preparation_of_the_pickups(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The pickup scenarios make their tokens and nonces minutes before wrk sends them."""
    env = server_env("postgresql://bench@127.0.0.1:5432/bench", 8000, REPO)
    for name, value in env.items():
        if name.startswith("STAPEL_"):
            monkeypatch.setenv(name, value)

    settings = Settings()  # the server would refuse to start on a value out of bounds

    assert settings.wallet_token_seconds == settings.wallet_nonce_seconds == 3600
    assert settings.rate_limits_enabled is False
