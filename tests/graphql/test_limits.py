"""Costly GraphQL queries and overlong search strings are refused before any database work."""

from __future__ import annotations

import httpx

from app.achievements.catalogue import MAX_SEARCH_CHARS
from app.graphql.cost import MAX_COST
from tests.graphql.test_catalogue import NODE, PAGE, gql

SEARCH = (
    "query($filter: AchievementFilter) { achievements(filter: $filter, first: 5) { totalCount } }"
)


async def test_a_59_kb_search_is_a_validation_error_without_a_database_statement(
    client: httpx.AsyncClient, pool_checkouts: list[float]
) -> None:
    answer = await gql(client, SEARCH, {"filter": {"search": "zorg " * 12_000}})
    assert answer["data"] is None
    error = answer["errors"][0]
    assert error["extensions"]["code"] == "validation_failed"
    assert error["extensions"]["errors"][0]["pointer"] == "#/filter/search"
    assert pool_checkouts == []


async def test_a_search_of_the_longest_length_accepted_is_run(client: httpx.AsyncClient) -> None:
    search = ("zorg " * MAX_SEARCH_CHARS)[:MAX_SEARCH_CHARS]
    answer = await gql(client, SEARCH, {"filter": {"search": search}})
    assert answer["data"]["achievements"]["totalCount"] == 0


async def test_other_overlong_filter_texts_are_refused(
    client: httpx.AsyncClient, pool_checkouts: list[float]
) -> None:
    answer = await gql(client, SEARCH, {"filter": {"escoSkill": "http://data.europa.eu/" * 50}})
    assert answer["errors"][0]["extensions"]["errors"][0]["pointer"] == "#/filter/escoSkill"
    assert pool_checkouts == []


async def test_a_query_costing_more_than_the_limit_is_refused_unexecuted(
    client: httpx.AsyncClient, pool_checkouts: list[float]
) -> None:
    pages = " ".join(
        f"p{n}: achievements(first: 100) {{ edges {{ node {{ {NODE} }} }} }}" for n in range(10)
    )
    answer = await gql(client, f"{{ {pages} }}")
    assert "data" not in answer or answer["data"] is None
    assert answer["errors"][0]["extensions"]["code"] == "query_too_costly"
    assert str(MAX_COST) in answer["errors"][0]["message"]
    assert pool_checkouts == []


async def test_a_page_given_by_a_variable_counts_as_the_largest_page(
    client: httpx.AsyncClient,
) -> None:
    # Each page costs about 3,100 with first: 100; seven of them pass the limit whatever $n is.
    pages = " ".join(
        f"p{n}: achievements(first: $n) {{ edges {{ node {{ {NODE} }} }} }}" for n in range(7)
    )
    answer = await gql(client, f"query($n: Int!) {{ {pages} }}", {"n": 1})
    assert answer["errors"][0]["extensions"]["code"] == "query_too_costly"
    within = await gql(client, f"query($n: Int!) {{ {pages.split(' p5:')[0]} }}", {"n": 1})
    assert "errors" not in within, within


async def test_the_catalogue_page_clients_ask_for_is_within_the_cost(
    client: httpx.AsyncClient,
) -> None:
    answer = await gql(client, PAGE, {"first": 100})
    assert "errors" not in answer, answer
