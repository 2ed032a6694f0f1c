"""Browser assets served by Stapel itself, and the policy of the pages that use them.

The API documentation (Swagger UI at ``/docs``) and GraphiQL (``/graphql`` in a browser) load
their scripts and styles from Stapel, never from a CDN: they work without internet access, and
their Content Security Policy can allow our own origin alone. Each ``<script>`` and stylesheet
carries its SRI digest, computed here from the file served.
"""

from __future__ import annotations

import base64
import hashlib
import os
from functools import cache
from importlib.resources import files
from typing import Final

from starlette.responses import Response
from starlette.staticfiles import PathLike, StaticFiles
from starlette.types import Scope

# Scripts, styles, images and requests: our origin only (images also as data: URIs, which the
# stylesheets use for icons).
IDE_CONTENT_SECURITY_POLICY: Final = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
IDE_HEADERS: Final = {
    "Content-Security-Policy": IDE_CONTENT_SECURITY_POLICY,
    # The pages change with the version; their assets are checked by SRI.
    "Cache-Control": "no-cache",
}


@cache
def integrity(package: str, path: str) -> str:
    """The SRI digest (sha384) of a file shipped in ``package``, computed once per process."""
    data = files(package).joinpath(path).read_bytes()
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


class RevalidatedStaticFiles(StaticFiles):
    """Static files that browsers keep and revalidate (ETag) instead of fetching each time.

    Without a ``Cache-Control`` of their own they would get the ``no-store`` meant for answers
    that may carry learner data (:mod:`app.http.headers`).
    """

    def file_response(
        self,
        full_path: PathLike,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers.setdefault("Cache-Control", "no-cache")
        return response
