"""Shared fixtures: a migrated database with the bundled KB, and a ready dispatcher."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import Garda, open_garda, prepare_database
from handlers.dispatcher import Dispatcher

pytest_plugins = ["tests.backends.fail2ban_server"]  # the real fail2ban server fixture

POSTGRES_URL = os.environ.get("GARDA_TEST_POSTGRES_URL")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh, empty SQLite database file for one test."""
    return f"sqlite+aiosqlite:///{tmp_path / 'garda.db'}"


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file with the bundled KB, made once and copied by each test."""
    path = tmp_path_factory.mktemp("template") / "garda.db"

    async def build() -> None:
        engine, _ = await prepare_database(f"sqlite+aiosqlite:///{path}")
        await engine.dispose()

    asyncio.run(build())
    return path


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database for one test (skipped without a server)."""
    if not POSTGRES_URL:
        pytest.skip("GARDA_TEST_POSTGRES_URL is not set (no PostgreSQL server for this run)")
    name = f"garda_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def either_url(request: pytest.FixtureRequest, seeded_template: Path, tmp_path: Path) -> str:
    """Each test twice: on a copy of the seeded SQLite file, and on a fresh PostgreSQL database
    (skipped without a server)."""
    if request.param == "sqlite":
        path = tmp_path / "garda.db"
        shutil.copyfile(seeded_template, path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def garda(seeded_template: Path, tmp_path: Path) -> AsyncIterator[Garda]:
    """Garda on its own migrated SQLite file with the bundled knowledge base loaded."""
    path = tmp_path / "garda.db"
    shutil.copyfile(seeded_template, path)
    async with open_garda(f"sqlite+aiosqlite:///{path}") as running:
        yield running


@pytest.fixture
def dispatcher(garda: Garda) -> Dispatcher:
    """The dispatcher of the running Garda."""
    return garda.dispatcher
