from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.contexts import EU_MICROCREDENTIAL_V1, bundled_context

router = APIRouter(tags=["contexts (public)"])


@router.get(
    "/contexts/eu-microcredential/v1",
    responses={200: {"content": {"application/ld+json": {}}}},
    summary="Stapel's JSON-LD context for the EU micro-credential elements",
)
async def eu_microcredential_context() -> JSONResponse:
    return JSONResponse(
        bundled_context(EU_MICROCREDENTIAL_V1),
        media_type="application/ld+json",
        headers={"Cache-Control": "public, max-age=86400"},
    )
