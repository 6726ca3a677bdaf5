"""``garda serve``'s web app: health, metrics, and platforms that are not configured."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.applications import Starlette

from bot.config import Settings
from bot.platforms import StartupError, check_settings
from bot.web import build_web_app


@asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """The app started (lifespan included) behind an in-process HTTP client."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://garda") as client:
            yield client


async def test_health_and_metrics_with_no_platform(sqlite_url: str) -> None:
    app = build_web_app(Settings(GARDA_DATABASE_URL=sqlite_url))
    async with serving(app) as client:
        health = await client.get("/healthz")
        metrics = await client.get("/metrics")
        slack = await client.post("/slack/events", content=b"{}")
        telegram = await client.post("/telegram/webhook", content=b"{}")

    assert health.status_code == 200
    assert health.json() == {"status": "ok", "database": "up"}
    assert metrics.status_code == 200
    assert "garda_messages_total" in metrics.text or "# HELP garda_messages" in metrics.text
    assert (slack.status_code, telegram.status_code) == (404, 404)


async def test_health_fails_when_the_database_does(sqlite_url: str) -> None:
    app = build_web_app(Settings(GARDA_DATABASE_URL=sqlite_url))
    async with serving(app) as client:
        # A database outage: the engine now points at a port where nothing listens.
        working = app.state.garda.engine
        app.state.garda.engine = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:9/x")
        try:
            response = await client.get("/healthz")
        finally:
            await app.state.garda.engine.dispose()
            app.state.garda.engine = working
    assert response.status_code == 503
    assert response.json() == {"status": "unhealthy", "database": "down"}


@pytest.mark.parametrize(
    ("settings", "mode", "named"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "worker", "SLACK_APP_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "web", "SLACK_SIGNING_SECRET"),
        ({"TELEGRAM_BOT_TOKEN": "1:A"}, "web", "TELEGRAM_WEBHOOK_SECRET"),
        ({}, "worker", "no platform configured"),
    ],
)
def test_a_half_configured_platform_stops_start_up_naming_the_setting(
    settings: dict[str, str], mode: str, named: str
) -> None:
    with pytest.raises(StartupError, match=named):
        check_settings(Settings(**settings), mode)  # type: ignore[arg-type]


def test_the_web_app_may_start_with_no_platform_for_health_checks() -> None:
    check_settings(Settings(), "web")  # no exception: /healthz and /metrics still serve
