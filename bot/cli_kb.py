"""``garda kb import | export | show | history | revert | disable``: articles and revisions."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import open_database
from bot.cli_common import cli_author, fail, in_session, run_or_exit, settings_or_exit
from knowledge.articles import read_folder, render_article
from knowledge.history import (
    HISTORY_FILE,
    HistoryError,
    all_revisions,
    read_history,
    restore_history,
    write_history,
)
from knowledge.revisions import Revision, article_history, revert_article, to_doc
from knowledge.store import (
    article_rows,
    disable_article,
    enabled_articles,
    export_articles,
    save_articles,
)
from models.db import SessionFactory, make_engine, make_sessions
from models.migrate import ensure_schema
from models.tables import Article

T = TypeVar("T")
ArticleId = Annotated[str, typer.Argument(metavar="ID", help="The article's id.")]


def register_kb_commands(kb_app: typer.Typer) -> None:
    """Add this module's commands to ``garda kb``."""
    for name, command in (
        ("import", kb_import),
        ("export", kb_export),
        ("show", kb_show),
        ("history", kb_history),
        ("revert", kb_revert),
        ("disable", kb_disable),
    ):
        kb_app.command(name, help=_reflowed(command.__doc__ or ""))(command)


def _reflowed(docstring: str) -> str:
    """The docstring with each paragraph on one line: the help output keeps line breaks."""
    paragraphs = inspect.cleandoc(docstring).split("\n\n")
    return "\n\n".join(" ".join(paragraph.split()) for paragraph in paragraphs)


def kb_import(path: Path) -> None:
    """Load article files into the database (all or nothing), recording revisions.

    When PATH holds a history.jsonl (written by `garda kb export`), the revisions the
    database lacks are restored first, disabled articles and drafts included, so a new
    database keeps the old history and numbering goes on after it.
    """
    settings = settings_or_exit()
    history = path / HISTORY_FILE if path.is_dir() else None

    async def load() -> list[str]:
        docs = read_folder(path)
        entries = read_history(history) if history and history.is_file() else None
        # With a history, an empty database must not first get the bundled articles: their
        # revisions would stand where the history's own go.
        opener = _unseeded if entries is not None else open_database
        async with (
            opener(settings.database_url) as sessions,
            sessions() as session,
            session.begin(),
        ):
            restored = await restore_history(session, entries) if entries else 0
            summary = await save_articles(session, docs, author="cli", source="import")
        lines = [f"{summary.created} new, {summary.updated} updated, {summary.unchanged} unchanged"]
        if restored:
            lines.append(f"restored {restored} revision(s) from {HISTORY_FILE}")
        return lines

    try:
        typer.echo("\n".join(run_or_exit(load())))
    except HistoryError as error:
        typer.echo(f"invalid history, nothing was loaded:\n{error}", err=True)
        raise typer.Exit(1) from None


def kb_export(path: Path) -> None:
    """Write the enabled articles as files into PATH, and every revision to PATH/history.jsonl.

    To move a knowledge base to a new database, export the whole folder and `garda kb import`
    it there: the files hold what users are answered with; history.jsonl holds every
    revision, so disabled articles and drafts (never written as files: a file is a live
    article) come back as they were, with their history.
    """
    settings = settings_or_exit()

    async def dump() -> tuple[int, int]:
        async with open_database(settings.database_url) as sessions, sessions() as session:
            files = export_articles(await enabled_articles(session), path)
            return files, write_history(await all_revisions(session), path)

    files, revisions = run_or_exit(dump())
    typer.echo(f"wrote {files} files to {path}, and {revisions} revisions to {HISTORY_FILE}")


def kb_show(
    article_id: ArticleId,
    lang: Annotated[str | None, typer.Option(help="Only this language.")] = None,
) -> None:
    """Show an article as it is now, in every language, whether enabled or not."""

    async def read(session: AsyncSession) -> list[Article]:
        return await article_rows(session, article_id)

    rows = [row for row in in_session(read) if lang is None or row.lang == lang]
    if not rows:
        raise fail(f"no article {article_id!r}" + (f" in {lang!r}" if lang else ""))
    for row in rows:
        state = "draft" if row.draft else "enabled" if row.enabled else "disabled"
        outdated = ", outdated: another language changed since" if row.outdated else ""
        typer.echo(
            f"# {row.slug} [{row.lang}] revision {row.revision}, {state}{outdated} "
            f"(by {row.updated_by}, {row.updated_at:%Y-%m-%d %H:%M})"
        )
        typer.echo(render_article(to_doc(row)))


def kb_history(
    article_id: ArticleId,
    lang: Annotated[str | None, typer.Option(help="Only this language.")] = None,
) -> None:
    """List an article's revisions, newest first, with who changed what."""

    async def read(session: AsyncSession) -> list[Revision]:
        return await article_history(session, article_id, lang=lang)

    revisions = in_session(read)
    if not revisions:
        raise fail(f"no revisions of {article_id!r}" + (f" in {lang!r}" if lang else ""))
    for item in revisions:
        typer.echo(
            f"{item.slug} [{item.lang}] r{item.revision}  {item.created_at:%Y-%m-%d %H:%M}  "
            f"{item.author} ({item.source})  changed: {', '.join(item.changed) or 'nothing'}"
        )


def kb_revert(
    article_id: ArticleId,
    revision: Annotated[int, typer.Argument(metavar="REV", help="The revision to restore.")],
    lang: Annotated[
        str | None, typer.Option(help="The language (needed when the article has several).")
    ] = None,
) -> None:
    """Make an old revision current again, exactly (enabled or not), as a new revision."""

    async def revert(session: AsyncSession) -> str:
        languages = [row.lang for row in await article_rows(session, article_id)]
        chosen = lang or (languages[0] if len(languages) == 1 else None)
        if chosen is None:
            which = ", ".join(languages) or "none"
            raise LookupError(f"{article_id} has languages {which}: say which with --lang")
        row = await revert_article(
            session, slug=article_id, lang=chosen, revision=revision,
            author=cli_author(), source="cli",
        )  # fmt: skip
        return f"reverted {article_id} [{chosen}] to revision {revision} (now {row.revision})"

    try:
        typer.echo(in_session(revert))
    except LookupError as error:  # nothing was written: the transaction rolled back
        raise fail(f"{error} (see `garda kb history {article_id}`)") from None


def kb_disable(article_id: ArticleId) -> None:
    """Stop answering with an article (every language); `garda kb revert` undoes it."""

    async def disable(session: AsyncSession) -> int:
        return await disable_article(session, slug=article_id, author=cli_author(), source="cli")

    disabled = in_session(disable)
    if not disabled:
        raise fail(f"no enabled article {article_id!r}")
    typer.echo(f"disabled {article_id} ({disabled} language(s)); running bots stop using it")


@asynccontextmanager
async def _unseeded(url: str) -> AsyncIterator[SessionFactory]:
    """Sessions on a current schema, without the bundled articles an empty database gets."""
    engine = make_engine(url)
    try:
        await ensure_schema(engine, url)
        yield make_sessions(engine)
    finally:
        await engine.dispose()
