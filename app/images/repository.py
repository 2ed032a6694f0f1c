from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.images.models import StoredImage


async def insert_if_absent(session: AsyncSession, image: StoredImage) -> None:
    """Store the image; the same bytes uploaded before (by anyone) are that same row."""
    await session.execute(
        insert(StoredImage)
        .values(
            sha256=image.sha256,
            media_type=image.media_type,
            data=image.data,
            width=image.width,
            height=image.height,
        )
        .on_conflict_do_nothing(index_elements=["sha256"])
    )


async def get(session: AsyncSession, sha256: str) -> StoredImage | None:
    return await session.get(StoredImage, sha256)


async def exists(session: AsyncSession, sha256: str) -> bool:
    query = select(StoredImage.sha256).where(StoredImage.sha256 == sha256)
    return (await session.execute(query)).scalar_one_or_none() is not None
