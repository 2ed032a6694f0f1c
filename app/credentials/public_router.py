"""Stapel's variants of the Open Badges 3.0 JSON Schema, which its credentials name."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter
from fastapi.responses import Response

from app.credentials.ob3_schema import STATUS_LISTS_SCHEMA_PATH, VCDM11_SCHEMA_PATH, served_schema

router = APIRouter(tags=["schemas (public)"])

_RESPONSES: dict[int | str, dict[str, Any]] = {200: {"content": {"application/schema+json": {}}}}


def _schema(path: str) -> Response:
    return Response(
        orjson.dumps(served_schema(path)),
        media_type="application/schema+json",
        headers={"Cache-Control": "public, max-age=86400", "Access-Control-Allow-Origin": "*"},
    )


@router.get(
    STATUS_LISTS_SCHEMA_PATH,
    response_class=Response,
    responses=_RESPONSES,
    summary="The OB 3.0 AchievementCredential schema, allowing several status entries",
)
async def status_lists_schema() -> Response:
    return _schema(STATUS_LISTS_SCHEMA_PATH)


@router.get(
    VCDM11_SCHEMA_PATH,
    response_class=Response,
    responses=_RESPONSES,
    summary="The same in the VC Data Model 1.1 shape (the vc claim of vc-jwt-11 credentials)",
)
async def vcdm11_schema() -> Response:
    return _schema(VCDM11_SCHEMA_PATH)
