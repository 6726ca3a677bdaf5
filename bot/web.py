"""``garda serve``: one ASGI app for Slack's Events API, Telegram's webhook, health and metrics."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.app import Garda, garda_for
from bot.config import Settings
from bot.jobs import jobs_for
from bot.platforms import Platforms, connect

logger = logging.getLogger(__name__)

HEALTH_TIMEOUT = 3.0  # seconds the database may take to answer a health check


def build_web_app(settings: Settings) -> Starlette:
    """The web app; Garda and the platforms start with it and stop with it."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with (
            garda_for(settings) as garda,
            connect(garda, settings, "web") as platforms,
            jobs_for(garda),  # in every web worker: claims are row locks, so they share
        ):
            app.state.garda, app.state.platforms = garda, platforms
            yield

    def garda(request: Request) -> Garda:
        running: Garda = request.app.state.garda
        return running

    def platforms(request: Request) -> Platforms:
        running: Platforms = request.app.state.platforms
        return running

    async def slack_events(request: Request) -> Response:
        slack = platforms(request).slack
        if slack is None:
            return PlainTextResponse("Slack is not configured here", status_code=404)
        return await slack.handle_http(request)

    async def telegram_webhook(request: Request) -> Response:
        telegram = platforms(request).telegram
        if telegram is None:
            return PlainTextResponse("Telegram is not configured here", status_code=404)
        return await telegram.handle_webhook(request)

    async def healthz(request: Request) -> Response:
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT):
                async with garda(request).engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
        except Exception:  # any database failure means "unhealthy"; the log says which
            logger.exception("health check: the database did not answer")
            return JSONResponse({"status": "unhealthy", "database": "down"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "up"})

    async def metrics(request: Request) -> Response:
        body, content_type = garda(request).metrics.render()
        return Response(body, media_type=content_type)

    return Starlette(
        routes=[
            Route("/slack/events", slack_events, methods=["POST"]),
            Route("/telegram/webhook", telegram_webhook, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
