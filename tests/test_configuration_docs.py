"""docs/configuration.md documents every setting, and nothing that is not one."""

from __future__ import annotations

import re
from pathlib import Path

from app.config import Settings

DOC = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


def test_every_setting_is_documented_and_every_documented_setting_exists() -> None:
    documented = set(re.findall(r"^\| `(STAPEL_[A-Z_]+)`", DOC.read_text(encoding="utf-8"), re.M))
    settings = {f"STAPEL_{name.upper()}" for name in Settings.model_fields}
    outside_settings = {"STAPEL_DATA_DIR", "STAPEL_TEST_DATABASE_URL"}
    assert settings <= documented
    assert documented - settings == outside_settings
