"""Schema migrations: apply them, and refuse to run on a schema that is behind."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from models.db import is_sqlite

MIGRATIONS = Path(__file__).parent / "migrations"


class SchemaOutOfDateError(RuntimeError):
    """The database schema is older (or newer) than this version of Garda."""


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration pointing at Garda's migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """The newest migration this code knows."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    """The migration the database is at, or None for an empty database."""

    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        return await connection.run_sync(read)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` in one transaction."""

    def run(connection: Connection) -> None:
        command.upgrade(alembic_config(connection), revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Undo migrations down to ``revision`` (``base`` empties the database)."""

    def run(connection: Connection) -> None:
        command.downgrade(alembic_config(connection), revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)


async def ensure_schema(engine: AsyncEngine, url: str) -> None:
    """Make sure the schema is current before serving.

    The embedded SQLite database migrates itself; any other database must be migrated on
    purpose (``garda db upgrade``, the Procfile's release step) so that several workers never
    race to change a shared schema.
    """
    current, head = await current_revision(engine), head_revision()
    if current == head:
        return
    if is_sqlite(url):
        await upgrade(engine)
        return
    raise SchemaOutOfDateError(
        f"The database schema is at revision {current or 'none (empty database)'} but this "
        f"version of Garda needs {head}. Run `garda db upgrade` first."
    )
