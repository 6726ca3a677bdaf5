"""What the benchmarks share: scratch databases, made for one run and dropped afterwards,
and percentiles."""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine


@asynccontextmanager
async def postgres_database(admin_url: str) -> AsyncIterator[str]:
    """A scratch PostgreSQL database made through ``admin_url``, dropped afterwards.

    Raises ``ConnectionError`` when the server does not answer or refuses to make it.
    """
    name = f"garda_bench_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        try:
            async with asyncio.timeout(10), admin.connect() as connection:
                await connection.execute(text(f'CREATE DATABASE "{name}"'))
        except (OSError, TimeoutError, SQLAlchemyError) as error:
            reason = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
            raise ConnectionError(reason) from error
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            async with asyncio.timeout(30), admin.connect() as connection:
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


def percentile(values_ms: Sequence[float], share: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values_ms:
        return math.nan
    ordered = sorted(values_ms)
    return ordered[max(0, math.ceil(share / 100 * len(ordered)) - 1)]
