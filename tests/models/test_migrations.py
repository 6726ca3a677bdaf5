"""Alembic migrations on SQLite and PostgreSQL, and the start-up schema check."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

import models.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from models.db import make_engine
from models.migrate import (
    SchemaOutOfDateError,
    current_revision,
    downgrade,
    ensure_schema,
    head_revision,
    upgrade,
)

TABLES = {
    "article",
    "knowledgegap",
    "regressioncase",
    "staffmember",
    "supportrequest",
    "articlerevision",
    "conversation",
    "identity",
    "linkcode",
    "auditrecord",
    "directoryaccount",
    "emailcode",
    "firewallban",
    "subscriptionrecord",
    "person",
    "processedevent",
    "ticket",
    "ticketevent",
    "ticketsegment",
    "slatimer",
    "outboxmessage",
    "ticketpost",
}


@pytest.fixture(params=["sqlite_url", "postgres_url"])
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty database of each kind (PostgreSQL skips without a server)."""
    url: str = request.getfixturevalue(request.param)
    return url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url)
    yield engine
    await engine.dispose()


async def table_names(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    return set(names) - {"alembic_version"}


async def schema_differences(engine: AsyncEngine) -> list[Any]:
    """What autogenerate would change to make the database match the models."""

    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))

    async with engine.connect() as connection:
        return await connection.run_sync(compare)


async def test_an_empty_database_has_no_revision(engine: AsyncEngine) -> None:
    assert await current_revision(engine) is None
    assert await table_names(engine) == set()


async def test_upgrade_from_empty_to_head(engine: AsyncEngine) -> None:
    await upgrade(engine)

    assert await current_revision(engine) == head_revision()
    assert await table_names(engine) == TABLES


async def test_upgrade_twice_changes_nothing(engine: AsyncEngine) -> None:
    await upgrade(engine)
    await upgrade(engine)

    assert await current_revision(engine) == head_revision()


async def test_downgrade_to_base_then_upgrade_again(engine: AsyncEngine) -> None:
    await upgrade(engine)

    await downgrade(engine, "base")
    assert await current_revision(engine) is None
    assert await table_names(engine) == set()

    await upgrade(engine)
    assert await current_revision(engine) == head_revision()
    assert await table_names(engine) == TABLES


async def test_migrated_schema_matches_the_models(engine: AsyncEngine) -> None:
    await upgrade(engine)

    assert await schema_differences(engine) == []


async def test_the_schema_comparison_notices_missing_tables(engine: AsyncEngine) -> None:
    added = {diff[1].name for diff in await schema_differences(engine) if diff[0] == "add_table"}

    assert added == TABLES


async def test_head_revision_is_known() -> None:
    assert head_revision() is not None


async def test_ensure_schema_upgrades_an_empty_sqlite_database(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        await ensure_schema(engine, sqlite_url)

        assert await current_revision(engine) == head_revision()
        assert await table_names(engine) == TABLES
    finally:
        await engine.dispose()


async def test_ensure_schema_accepts_a_current_postgresql_database(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    try:
        await upgrade(engine)

        await ensure_schema(engine, postgres_url)

        assert await current_revision(engine) == head_revision()
    finally:
        await engine.dispose()


async def test_ensure_schema_refuses_an_empty_postgresql_database(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    try:
        with pytest.raises(SchemaOutOfDateError, match="garda db upgrade"):
            await ensure_schema(engine, postgres_url)

        assert await table_names(engine) == set()
    finally:
        await engine.dispose()
