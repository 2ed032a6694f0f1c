"""Running the npm libraries of the protocol tests: a node script whose stdout is one JSON value."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any


def run_node_script(
    script: Path, *arguments: str, library: Path, prepare: str, timeout: float = 120
) -> Any:
    """Run ``script`` in its own folder; fail (never skip) without node or ``library``.

    ``library`` is a file the installed library has; ``prepare`` the script that installs it.
    """
    node = shutil.which("node")
    if node is None:
        raise AssertionError(f"{script.name} needs Node.js 20 or newer (node on the PATH)")
    if not library.exists():
        raise AssertionError(f"{library.parent.name} is not installed: run {prepare} (npm ci)")
    finished = subprocess.run(  # noqa: S603 - our own script, arguments from our own server
        [node, str(script), *arguments],
        cwd=script.parent,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert finished.returncode == 0, f"{script.name} failed:\n{finished.stderr}\n{finished.stdout}"
    return json.loads(finished.stdout)
