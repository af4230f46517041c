"""The migrations build exactly the tables the models declare: a model changed without its
migration (or the other way round) fails here, not on a hotel's first start."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (every table registered on SQLModel.metadata)


async def test_the_migrated_schema_is_the_models_schema(engine: AsyncEngine) -> None:
    def differences(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        return list(compare_metadata(context, SQLModel.metadata))

    async with engine.connect() as connection:
        found = await connection.run_sync(differences)
    assert found == []
