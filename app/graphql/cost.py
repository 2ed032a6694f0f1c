"""A cost estimate of each operation, refused before execution when it is too high.

Depth, aliases and tokens are bounded elsewhere (``documents``), but within them a query can
still ask for a lot: twenty aliased pages of a hundred achievements, each with every field. The
estimate counts every field the operation selects, with the selection under a paged field
(``first``) counted once per item of the page. A ``first`` given as a variable counts as the
largest page, because the estimate belongs to the query text (its validation is cached by it).
"""

from __future__ import annotations

from typing import Any, Final

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)

from app.graphql.catalogue import MAX_PAGE

MAX_COST: Final = 20_000
_DEFAULT_PAGE: Final = 20


def _page_size(field: FieldNode) -> int:
    for argument in field.arguments or ():
        if argument.name.value == "first":
            value = argument.value
            if isinstance(value, IntValueNode):
                return max(1, min(int(value.value), MAX_PAGE))
            return MAX_PAGE
    return _DEFAULT_PAGE


def _is_paged(field: FieldNode) -> bool:
    return field.name.value == "achievements"


class _Estimate:
    def __init__(self, context: ValidationContext) -> None:
        self._context = context

    def of(self, selections: SelectionSetNode | None, seen: frozenset[str] = frozenset()) -> int:
        total = 0
        for selection in selections.selections if selections else ():
            if isinstance(selection, FieldNode):
                below = self.of(selection.selection_set, seen)
                total += 1 + below * (_page_size(selection) if _is_paged(selection) else 1)
            elif isinstance(selection, InlineFragmentNode):
                total += self.of(selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self._context.get_fragment(name)
                if fragment is not None and name not in seen:  # cycles: another rule's error
                    total += self.of(fragment.selection_set, seen | {name})
            if total > MAX_COST:
                return total  # enough to refuse; no need to count the rest
        return total


class QueryCostLimit(ValidationRule):
    """Reports an operation whose estimated cost is above :data:`MAX_COST`."""

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        cost = _Estimate(self.context).of(node.selection_set)
        if cost > MAX_COST:
            self.report_error(
                GraphQLError(
                    f"The query would cost more than {MAX_COST} (fields times page sizes); "
                    "ask for fewer fields or smaller pages.",
                    node,
                    extensions={"code": "query_too_costly", "status": 400},
                )
            )
