from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from app.contexts import EU_MICROCREDENTIAL_PATH, bundled_context_bytes, eu_microcredential_url

router = APIRouter(tags=["contexts (public)"])


@router.get(
    EU_MICROCREDENTIAL_PATH,
    responses={200: {"content": {"application/ld+json": {}}}},
    summary="Stapel's JSON-LD context for the EU micro-credential elements",
    response_class=Response,
)
async def eu_microcredential_context() -> Response:
    # The bytes as bundled, so that a digest of the resource (digestSRI) matches what is served.
    return Response(
        bundled_context_bytes(eu_microcredential_url()),
        media_type="application/ld+json",
        headers={"Cache-Control": "public, max-age=86400", "Access-Control-Allow-Origin": "*"},
    )
