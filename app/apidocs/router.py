"""``/docs``: Swagger UI over ``/openapi.json``, from the Swagger UI files of ``fastapi-offline``.

The package ships Swagger UI's built ``swagger-ui-bundle.js`` and ``swagger-ui.css``; they are
served under ``/docs/assets`` beside our own start-up script, so the page runs no inline script.
"""

from __future__ import annotations

from html import escape
from typing import Final

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from app.http.assets import IDE_HEADERS, RevalidatedStaticFiles, integrity

ASSETS_PATH: Final = "/docs/assets"
SWAGGER_PACKAGE: Final = "fastapi_offline"
OWN_PACKAGE: Final = "app.apidocs"

router = APIRouter(include_in_schema=False)


def assets() -> RevalidatedStaticFiles:
    """Swagger UI's files and our start-up script, both under :data:`ASSETS_PATH`."""
    return RevalidatedStaticFiles(packages=[(SWAGGER_PACKAGE, "static"), (OWN_PACKAGE, "static")])


def _script(package: str, name: str) -> str:
    digest = integrity(package, f"static/{name}")
    return f'<script src="{ASSETS_PATH}/{name}" integrity="{digest}"></script>'


def swagger_page(openapi_url: str) -> str:
    css = integrity(SWAGGER_PACKAGE, "static/swagger-ui.css")
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Stapel API</title>
<link rel="icon" type="image/png" href="{ASSETS_PATH}/favicon.png">
<link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css" integrity="{css}">
</head>
<body data-openapi-url="{escape(openapi_url)}">
<div id="swagger-ui"></div>
{_script(SWAGGER_PACKAGE, "swagger-ui-bundle.js")}
{_script(OWN_PACKAGE, "swagger-init.js")}
</body>
</html>
"""


@router.get("/docs", response_class=HTMLResponse)
async def swagger_ui() -> HTMLResponse:
    return HTMLResponse(swagger_page("/openapi.json"), headers=IDE_HEADERS)
