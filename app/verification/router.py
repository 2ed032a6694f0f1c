from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Request, Response

from app.config import get_settings
from app.db.session import session_if_used
from app.http.direct_routes import DirectRoute
from app.responses import json_response, problems
from app.verification import service
from app.verification.fetching import SafeFetcher
from app.verification.input import verification_request
from app.verification.schemas import VerificationOut

router = APIRouter(tags=["verification (public)"], route_class=DirectRoute, responses=problems(503))


async def outbound_fetcher(request: Request) -> SafeFetcher:
    # async: FastAPI runs a plain def dependency in a worker thread, ~0.1 ms per request.
    fetcher: SafeFetcher = request.app.state.fetcher
    return fetcher


Fetcher = Annotated[SafeFetcher, Depends(outbound_fetcher)]

VERIFY_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/vc+jwt": {"schema": {"type": "string"}},
            "application/json": {
                "schema": {
                    "oneOf": [
                        {"type": "string", "description": "A compact JWT or a data: URL"},
                        {
                            "type": "object",
                            "properties": {
                                "verifiableCredential": {},
                                "nonce": {"type": "string"},
                                "audience": {"type": "string"},
                                "requireKeyBinding": {"type": "boolean"},
                            },
                            "description": "A JWT, an SD-JWT VC, a data: URL or an "
                            "EnvelopedVerifiableCredential under verifiableCredential; for an "
                            "SD-JWT VC, the nonce and audience its Key Binding JWT must carry "
                            "and whether one is required",
                        },
                    ]
                }
            },
        },
    }
}


@router.post(
    "/v1/verify",
    response_model=VerificationOut,
    openapi_extra=VERIFY_BODY,
    responses=problems(400, 413, 415, 422),
    summary="Verify a credential (ours or anyone's): a verdict with every check and its reason",
)
async def verify_credential(request: Request) -> Response:
    # The body is read here rather than by dependencies: resolving them was a tenth of the
    # CPU of verifying one of our own credentials.
    token, binding = verification_request(
        request.headers.get("content-type", ""),
        await request.body(),
        get_settings().verification_max_token_bytes,
    )
    # By key: an attribute of Starlette's State is found only after the ordinary look-up has
    # failed and raised (and formatted) an AttributeError inside the interpreter.
    state = request.app.state
    fetcher: SafeFetcher = state["fetcher"]
    async with session_if_used(state["read_sessionmaker"]) as session:
        report = await service.verify_report(session, fetcher, token, binding=binding)
    return json_response(orjson.dumps(service.verification_fields(report)))
