"""GraphQL arguments and variables that Postgres could not store, refused before execution.

Inline string arguments are checked by a validation rule (cached with the document, like the
other rules); variables, which change with every request, as validation begins. Both answer a
GraphQL error with ``extensions.code`` ``invalid_characters``, as REST answers a 422 problem.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError, StringValueNode, ValidationRule
from strawberry.extensions import SchemaExtension

from app.http.text import (
    INVALID_CHARACTERS,
    INVALID_CHARACTERS_DETAIL,
    pointer_to,
    storable,
    unstorable_paths,
)


def _error(where: str, **located: Any) -> GraphQLError:
    return GraphQLError(
        f"{where} {INVALID_CHARACTERS_DETAIL}.",
        extensions={"code": INVALID_CHARACTERS, "status": 422},
        **located,
    )


class StorableStrings(ValidationRule):
    """Each string literal in the document must be storable."""

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        if not storable(node.value):
            self.report_error(_error("A string argument", nodes=[node]))


class StorableVariables(SchemaExtension):
    """Each string in the variables must be storable; named by a JSON Pointer."""

    def on_validate(self) -> Iterator[None]:
        # Before validation: Strawberry decides whether to execute before the hooks resume.
        # Errors set here also spare validating a document that will not run.
        context = self.execution_context
        variables = context.variables or {}
        errors = [
            _error(f"The variable at {pointer_to(path)}") for path in unstorable_paths(variables)
        ]
        if errors:
            context.pre_execution_errors = [*(context.pre_execution_errors or []), *errors]
        yield
