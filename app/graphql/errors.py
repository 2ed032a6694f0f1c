"""Domain errors as typed GraphQL errors, with the same stable codes as the REST problems."""

from __future__ import annotations

from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from app.context import current_request_id
from app.errors import DomainError


def graphql_error(code: str, message: str, status: int = 400) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code, "status": status})


def from_domain(error: DomainError) -> GraphQLError:
    return GraphQLError(
        error.detail,
        extensions={
            "code": error.code,
            "status": error.status_code,
            "errors": [
                {"pointer": e.pointer, "detail": e.detail, "code": e.code} for e in error.errors
            ],
        },
    )


INTERNAL_ERROR = "internal_error"


def _unexpected(error: GraphQLError) -> bool:
    """An exception no resolver meant to show: it carries no code of ours.

    Errors of parsing and validation have no original error and stay as GraphQL reports them.
    """
    return error.original_error is not None and "code" not in (error.extensions or {})


class StableErrors(MaskErrors):
    """Unexpected errors become ``internal_error`` with the request id, and none of their text.

    Their message may hold a SQL statement and what was bound to it; the traceback is logged
    (by Strawberry, through the redacting log formatter) before this replaces it.
    """

    def __init__(self) -> None:
        super().__init__(should_mask_error=_unexpected, error_message="Internal server error.")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"code": INTERNAL_ERROR, "status": 500}
        request_id = current_request_id()
        if request_id is not None:
            masked.extensions["request_id"] = request_id
        return masked
