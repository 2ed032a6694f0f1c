from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.credentials.helpers import issue, published_achievement
from tests.factories import Tenant


@pytest.fixture
async def credential(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, Any]:
    achievement = await published_achievement(client, tenant)
    return await issue(client, tenant, achievement["id"])
