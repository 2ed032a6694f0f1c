"""GraphiQL at ``/graphql`` (in a browser, when ``STAPEL_GRAPHIQL`` is on), served by Stapel.

Strawberry's own page loads GraphiQL and React from a CDN; this one loads the copies vendored in
``static/graphiql`` by ``tools/vendor-graphiql`` (versions and digests in its ``manifest.json``)
and our start-up script, all under ``/graphql/assets``, so it works offline and its policy allows
our own origin alone.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any, Final

from fastapi.responses import HTMLResponse

from app.http.assets import IDE_HEADERS, RevalidatedStaticFiles, integrity

ASSETS_PATH: Final = "/graphql/assets"
PACKAGE: Final = "app.graphql"
VENDORED: Final = "static/graphiql"


def assets() -> RevalidatedStaticFiles:
    return RevalidatedStaticFiles(packages=[(PACKAGE, "static")])


@cache
def manifest() -> dict[str, Any]:
    """What ``tools/vendor-graphiql`` recorded: each vendored file's package, version, digest."""
    loaded: dict[str, Any] = json.loads(
        files(PACKAGE).joinpath(f"{VENDORED}/manifest.json").read_text(encoding="utf-8")
    )
    return loaded


def _vendored(name: str) -> tuple[str, str]:
    """The URL of a vendored file and its digest as the manifest records it."""
    return f"{ASSETS_PATH}/graphiql/{name}", str(manifest()["files"][name]["integrity"])


def graphiql_page() -> str:
    scripts = [
        _vendored(name)
        for name in ("react.production.min.js", "react-dom.production.min.js", "graphiql.min.js")
    ]
    scripts.append(
        (f"{ASSETS_PATH}/graphiql-init.js", integrity(PACKAGE, "static/graphiql-init.js"))
    )
    css_url, css_digest = _vendored("graphiql.min.css")
    tags = "\n".join(
        f'<script src="{url}" integrity="{digest}"></script>' for url, digest in scripts
    )
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Stapel GraphQL</title>
<link rel="stylesheet" href="{css_url}" integrity="{css_digest}">
<link rel="stylesheet" href="{ASSETS_PATH}/graphiql-page.css">
</head>
<body>
<div id="graphiql">Loading…</div>
{tags}
</body>
</html>
"""


def graphiql_response() -> HTMLResponse:
    return HTMLResponse(graphiql_page(), headers=IDE_HEADERS)
