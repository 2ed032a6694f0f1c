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


def _ships_as_module(path: Path) -> bool:
    """Python files in a package ship as modules; others (the migrations) only as data."""
    return path.suffix == ".py" and (path.parent / "__init__.py").exists()


def test_every_data_file_of_the_app_is_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    package_data: dict[str, list[str]] = config["tool"]["setuptools"]["package-data"]
    data_files = [
        path
        for path in (ROOT / "app").rglob("*")
        if path.is_file()
        and path.suffix != ".pyc"
        and "__pycache__" not in path.parts
        and not _ships_as_module(path)
    ]
    assert data_files

    def covered(path: Path) -> bool:
        package = _package_of(path)
        patterns = package_data["*"] + package_data.get(
            ".".join(package.relative_to(ROOT).parts), []
        )
        relative = path.relative_to(package).as_posix()
        return any(fnmatch(relative, pattern) for pattern in patterns)

    missing = [str(path.relative_to(ROOT)) for path in data_files if not covered(path)]
    assert not missing, f"not in [tool.setuptools.package-data]: {missing}"
