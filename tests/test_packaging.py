"""A plain (non-editable) install carries every file the code reads at run time."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _package_of(path: Path) -> Path:
    """The nearest folder above ``path`` that is a Python package."""
    folder = path.parent
    while not (folder / "__init__.py").exists():
        folder = folder.parent
    return folder


def test_every_data_file_of_the_app_is_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["*"]
    data_files = [
        path
        for path in (ROOT / "app").rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    ]
    assert data_files
    missing = [
        str(path.relative_to(ROOT))
        for path in data_files
        if not any(
            fnmatch(path.relative_to(_package_of(path)).as_posix(), pattern) for pattern in patterns
        )
    ]
    assert not missing, f"not in [tool.setuptools.package-data]: {missing}"
