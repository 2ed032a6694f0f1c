from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    institution_id: uuid.UUID | None
    actor: str
    action: str
    target_type: str
    target_id: str
    request_id: str | None
    data: dict[str, Any]
    occurred_at: datetime
