"""This instance's own status lists are read by path; a path that only looks like one is not."""

from __future__ import annotations

from typing import Any

import pytest

from app.config import get_settings
from app.verification.errors import HttpStatusError
from app.verification.local import StatusLists
from tests.verification.support import make_fetcher, no_http


@pytest.mark.parametrize(
    "list_id",
    [
        "-" * 36,  # the path pattern's characters, but no UUID
        "0" * 36,
    ],
)
async def test_a_local_path_that_names_no_list_is_not_found(list_id: str) -> None:
    session: Any = None  # refused before the database is asked
    url = f"{get_settings().public_base_url}/status-lists/{list_id}/revocation"
    async with make_fetcher(no_http) as fetcher:
        with pytest.raises(HttpStatusError) as raised:
            await StatusLists(session, fetcher).fetch(url)
    assert raised.value.status == 404
