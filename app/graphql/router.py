from __future__ import annotations

from strawberry.fastapi import GraphQLRouter

from app.graphql.context import Context, get_context
from app.graphql.schema import schema


def graphql_router(graphiql: bool) -> GraphQLRouter[Context, None]:
    """``/graphql``: the catalogue and staff mutations (and GraphiQL when enabled)."""
    return GraphQLRouter(
        schema,
        context_getter=get_context,
        graphql_ide="graphiql" if graphiql else None,
        tags=["graphql"],
    )
