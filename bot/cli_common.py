"""What every CLI command shares: settings that explain themselves, a clean exit, one
transaction on the configured database, and who a change from the command line is by."""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import typer
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import open_database
from bot.config import Settings
from knowledge.articles import ArticleFileError
from models.migrate import SchemaOutOfDateError

T = TypeVar("T")


def settings_or_exit() -> Settings:
    """The settings, or each problem on stderr (never a secret's value) and exit code 2."""
    try:
        return Settings()
    except ValidationError as error:
        for problem in error.errors():
            where = ".".join(str(part) for part in problem["loc"])
            typer.echo(f"configuration error: {where}: {problem['msg']}", err=True)
        raise typer.Exit(2) from None


def run_or_exit(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine; known start-up failures become a clear message and exit code."""
    try:
        return asyncio.run(coroutine)
    except SchemaOutOfDateError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
    except ArticleFileError as error:
        typer.echo(f"invalid articles, nothing was loaded:\n{error}", err=True)
        raise typer.Exit(1) from None


def in_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction on the configured database (or exit cleanly)."""
    settings = settings_or_exit()

    async def go() -> T:
        async with (
            open_database(settings.database_url) as sessions,
            sessions() as session,
            session.begin(),
        ):
            return await work(session)

    return run_or_exit(go())


def fail(message: str) -> typer.Exit:
    """``message`` on stderr, and the exit (code 1) to raise."""
    typer.echo(message, err=True)
    return typer.Exit(1)


def login_name() -> str:
    """The login name of whoever runs the command."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in this environment (e.g. some containers)
        return "you"


def cli_author() -> str:
    """Who a change from the command line is recorded as: ``cli:<login name>``."""
    return f"cli:{login_name()}"
