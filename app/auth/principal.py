from __future__ import annotations

import uuid
from dataclasses import dataclass

from app.auth.scopes import Scope
from app.errors import InsufficientScope


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is acting: an API client (or an integration), its institution and its scopes.

    ``kind`` names what ``client_id`` identifies, so the audit log tells a person's API key apart
    from an SIS integration acting through the worker.
    """

    client_id: uuid.UUID
    institution_id: uuid.UUID | None
    scopes: frozenset[str]
    kind: str = "api_client"

    @property
    def is_operator(self) -> bool:
        return Scope.OPERATOR in self.scopes

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.client_id}"

    def require(self, scope: Scope) -> None:
        if scope not in self.scopes:
            raise InsufficientScope(f"This operation needs the '{scope}' scope.")

    def tenant(self) -> uuid.UUID:
        """The institution whose data this client acts on; operators hold none."""
        if self.institution_id is None:
            raise InsufficientScope("Operator keys hold no institution's data; use its own key.")
        return self.institution_id
