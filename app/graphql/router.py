from __future__ import annotations

from strawberry.fastapi import GraphQLRouter

from app.graphql.context import Context, get_context
from app.graphql.schema import schema


def graphql_router() -> GraphQLRouter[Context, None]:
    """``/graphql``: the catalogue (GraphiQL in a browser) and staff mutations."""
    return GraphQLRouter(
        schema, context_getter=get_context, graphql_ide="graphiql", tags=["graphql"]
    )
