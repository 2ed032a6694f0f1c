"""A plain (non-editable) install carries every file the code reads at run time, and works."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import uuid
from fnmatch import fnmatch
from pathlib import Path

import asyncpg

from app.db.schema_heads import SCHEMA_HEADS
from tests.databases import asyncpg_dsn, recreate_database, url_with_database

ROOT = Path(__file__).resolve().parents[1]
# What the wheel is built from; everything else in the checkout stays out of the build.
SOURCES = ("pyproject.toml", "README.md", "app")


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


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(  # noqa: S603 - our own commands, fixed arguments
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, f"{command}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _copy_of_the_sources(target: Path) -> Path:
    """The sources the wheel is built from, copied to ``target``.

    setuptools builds in the tree it is given (build/, stapel.egg-info): in a copy, a test run
    beside this one never sees the checkout's metadata rewritten, and no build/ left behind by
    an earlier build can put files into the wheel that the checkout no longer has.
    """
    target.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(
                ROOT / name, target / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(ROOT / name, target / name)
    return target


async def test_a_built_wheel_installs_into_a_fresh_venv_migrates_and_runs(
    database_url: str, tmp_path: Path
) -> None:
    """The production path of the README, from a wheel: no source tree, no editable install.

    The new virtualenv shares nothing with the project's; its packages come from the pinned
    constraints (pip's cache makes that quick). Everything runs outside the source tree, so
    ``app`` can only be imported from the installed wheel.
    """
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    source = _copy_of_the_sources(tmp_path / "source")
    _run([*pip, "wheel", "--no-deps", "-w", str(tmp_path / "dist"), str(source)], tmp_path)
    (wheel,) = (tmp_path / "dist").glob("stapel-*.whl")
    venv = tmp_path / "fresh"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path)
    python = venv / "bin" / "python"
    install = ["install", "--no-compile", "-c", str(ROOT / "constraints.txt"), str(wheel)]
    _run([*pip, "--python", str(python), *install], tmp_path)

    name = f"stapel_wheel_{uuid.uuid4().hex[:8]}"
    await recreate_database(database_url, name)
    try:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"PYTHONPATH", "VIRTUAL_ENV"}
        }
        env["STAPEL_DATABASE_URL"] = url_with_database(database_url, name)
        located = _run([str(python), "-c", "import app; print(app.__file__)"], tmp_path, env)
        assert located.startswith(str(venv)), located
        stapel = str(venv / "bin" / "stapel")
        assert "up to date" in _run([stapel, "migrate"], tmp_path, env)
        assert "serve" in _run([stapel, "--help"], tmp_path, env)
        conn = await asyncpg.connect(asyncpg_dsn(env["STAPEL_DATABASE_URL"]))
        try:
            revisions = {
                row[0] for row in await conn.fetch("SELECT version_num FROM alembic_version")
            }
        finally:
            await conn.close()
        assert revisions == set(SCHEMA_HEADS)
    finally:
        await recreate_database(database_url, name, drop_only=True)
