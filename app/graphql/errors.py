"""Domain errors as typed GraphQL errors, with the same stable codes as the REST problems."""

from __future__ import annotations

from graphql import GraphQLError

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
