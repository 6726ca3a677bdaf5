"""An office (see tests.desk.office) on a copy of the seeded SQLite database, and again on
PostgreSQL when ``GARDA_TEST_POSTGRES_URL`` is set."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.desk.office import Office, migrate, office


@pytest.fixture
async def desk(either_url: str) -> AsyncIterator[Office]:
    await migrate(either_url)
    async with office(either_url) as ready:
        yield ready
