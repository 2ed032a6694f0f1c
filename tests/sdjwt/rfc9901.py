"""The examples of RFC 9901, copied into rfc9901_examples.json with their source named there."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EXAMPLES: dict[str, Any] = json.loads((Path(__file__).parent / "rfc9901_examples.json").read_text())
