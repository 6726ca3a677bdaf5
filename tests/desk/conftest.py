"""An office (see tests.desk.office) on a copy of the seeded SQLite database, and again on
PostgreSQL when ``GARDA_TEST_POSTGRES_URL`` is set."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.desk.office import Office, migrate, office


@pytest.fixture(params=["sqlite", "postgres"])
def desk_url(request: pytest.FixtureRequest, seeded_template: Path, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "garda.db"
        shutil.copyfile(seeded_template, path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def desk(desk_url: str) -> AsyncIterator[Office]:
    await migrate(desk_url)
    async with office(desk_url) as ready:
        yield ready
