from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Computed,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, created_at, updated_at, uuid_pk

_SEARCH_TEXT = (
    "coalesce(title, '') || ' ' || coalesce(description, '') || ' ' || "
    "coalesce(jsonb_path_query_array(learning_outcomes, '$[*].text')::text, '')"
)
SEARCH_CONFIGS = ("simple", "dutch", "english", "german", "french")
SEARCH_VECTOR_SQL = " || ".join(
    f"to_tsvector('{c}'::regconfig, {_SEARCH_TEXT})" for c in SEARCH_CONFIGS
)


class Achievement(Base):
    """A catalogue entry. Its content lives in versions; ``current_version`` is the live one."""

    __tablename__ = "achievements"
    __table_args__ = (
        # The catalogue pages published achievements in (created_at, id) order.
        Index(
            "ix_achievements_published_order",
            "created_at",
            "id",
            postgresql_where=text("state = 'published'"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    institution_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("institutions.id"), index=True
    )
    org_unit_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("org_units.id")
    )
    state: Mapped[str] = mapped_column(String(16), default="draft")
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    sis_course_codes: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AchievementVersion(Base):
    """The EU standard elements of one version of an achievement.

    A version is ``frozen`` once a credential has been issued from it; an edit then makes a new
    version, so every credential keeps pointing at exactly what it was issued for.
    """

    __tablename__ = "achievement_versions"
    __table_args__ = (
        UniqueConstraint("achievement_id", "version"),
        Index("ix_achievement_versions_search", "search_vector", postgresql_using="gin"),
        Index("ix_achievement_versions_languages", "languages", postgresql_using="gin"),
        # Which versions carry a pathway: what every issuance asks before writing pathway events.
        Index(
            "ix_achievement_versions_pathway",
            "achievement_id",
            postgresql_where=text("pathway IS NOT NULL"),
        ),
        Index(
            "ix_achievement_versions_stacks_into",
            text("(stackability -> 'stacks_into')"),
            postgresql_using="gin",
        ),
    )
    # Do not read the generated search vector back after every INSERT/UPDATE.
    __mapper_args__ = {"eager_defaults": False}

    id: Mapped[uuid.UUID] = uuid_pk()
    achievement_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("achievements.id"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    frozen: Mapped[bool] = mapped_column(Boolean, default=False)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    criteria: Mapped[str | None] = mapped_column(Text)
    learning_outcomes: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    ects: Mapped[float | None] = mapped_column(Float)
    workload_hours: Mapped[int | None] = mapped_column(Integer)
    eqf_level: Mapped[int | None] = mapped_column(SmallInteger)
    qf_ehea_cycle: Mapped[str | None] = mapped_column(String(16))
    assessment: Mapped[dict[str, Any]] = mapped_column(JSONB)
    participation_form: Mapped[str] = mapped_column(String(16))
    quality_assurance: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    prerequisites: Mapped[list[str]] = mapped_column(JSONB, default=list)
    supervision: Mapped[str | None] = mapped_column(String(40))
    stackability: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # The rule a stacked achievement is earned by (app.pathways.schemas.Pathway).
    pathway: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    languages: Mapped[list[str]] = mapped_column(ARRAY(Text))
    field_of_study: Mapped[str | None] = mapped_column(String(8))
    grading: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    validity_months: Mapped[int | None] = mapped_column(Integer)
    image_url: Mapped[str | None] = mapped_column(Text)
    further_information_url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()
    # Catalogue search over title, description and learning outcomes, stemmed for the
    # catalogue's main languages and also kept unstemmed ("simple") for names and codes.
    search_vector: Mapped[Any] = mapped_column(
        TSVECTOR, Computed(SEARCH_VECTOR_SQL, persisted=True), deferred=True
    )
