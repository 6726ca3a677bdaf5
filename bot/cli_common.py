"""What every CLI command shares: settings that explain themselves, and a clean exit."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import typer
from pydantic import ValidationError

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
