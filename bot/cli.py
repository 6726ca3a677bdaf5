"""The ``garda`` command line (Typer)."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import garda_for, open_database
from bot.cli_common import in_session, login_name, run_or_exit, settings_or_exit
from bot.cli_desk import DESK_APPS
from bot.cli_kb import register_kb_commands
from bot.cli_report import report_app
from bot.console import ConsoleAdapter, ConsoleMailer, console_streams
from bot.jobs import jobs_for
from knowledge.articles import ArticleFileError, read_folder
from knowledge.base import KnowledgeBase
from knowledge.matching import MatchResult
from knowledge.regression import BUNDLED_CASES, check, load_cases
from knowledge.store import drafts, enabled_articles, publish
from models.db import make_engine
from models.migrate import current_revision, head_revision, upgrade

app = typer.Typer(help="Garda: the Level I IT support desk in chat.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
kb_app = typer.Typer(help="Knowledge-base articles.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(kb_app, name="kb")
app.add_typer(report_app, name="report")
register_kb_commands(kb_app)  # import, export, show, history, revert, disable
for name, sub_app in DESK_APPS.items():
    app.add_typer(sub_app, name=name)


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    """Garda: the Level I IT support desk in chat."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


@app.command()
def chat(
    user: Annotated[
        str | None, typer.Option(help="Who you are in this session (default: your login).")
    ] = None,
) -> None:
    """Talk to Garda in the terminal (reads piped input too)."""
    settings = settings_or_exit()
    user = user or login_name()
    stdin, stdout = console_streams()

    async def converse() -> None:
        mailer = None if settings.smtp_host else ConsoleMailer(stdout)
        async with garda_for(settings, mailer=mailer) as garda:
            console = ConsoleAdapter(garda, user=user, stdin=stdin, stdout=stdout)
            async with jobs_for(garda):  # tickets' notices reach the terminal through the outbox
                await console.run()

    try:
        run_or_exit(converse())
    except KeyboardInterrupt:
        typer.echo("")


@app.command()
def run() -> None:
    """Worker: Slack Socket Mode and/or Telegram long polling, as configured."""
    # Imported here: the platform SDKs take a while to load, and chat or kb never need them.
    from bot.platforms import StartupError
    from bot.runner import run_worker

    settings = settings_or_exit()
    try:
        run_or_exit(run_worker(settings))
    except StartupError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None


@app.command()
def serve(
    port: Annotated[
        int | None, typer.Option(help="Port to listen on (default: $PORT or 8000).")
    ] = None,
    host: Annotated[
        str, typer.Option(help="Address to listen on.")
    ] = "0.0.0.0",  # all interfaces: a platform reaches us through a router
) -> None:
    """Web: /slack/events, /telegram/webhook, /healthz and /metrics on one port."""
    import uvicorn

    from bot.platforms import StartupError, check_settings
    from bot.web import build_web_app

    settings = settings_or_exit()
    try:
        check_settings(settings, "web")
    except StartupError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    uvicorn.run(build_web_app(settings), host=host, port=port or settings.port, log_level="info")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration."""
    settings = settings_or_exit()

    async def apply() -> str | None:
        async with _engine(settings.database_url) as engine:
            await upgrade(engine)
            return await current_revision(engine)

    typer.echo(f"database is at revision {run_or_exit(apply())}")


@db_app.command("current")
def db_current() -> None:
    """Show the database's revision and the newest one this version knows."""
    settings = settings_or_exit()

    async def read() -> str | None:
        async with _engine(settings.database_url) as engine:
            return await current_revision(engine)

    typer.echo(f"database: {run_or_exit(read()) or 'empty'}  newest: {head_revision()}")


@kb_app.command("validate")
def kb_validate(path: Path) -> None:
    """Check article files and report every problem with file, line and field."""
    try:
        docs = read_folder(path)
    except ArticleFileError as error:
        typer.echo(str(error), err=True)
        typer.echo(f"{len(error.problems)} problem(s) found", err=True)
        raise typer.Exit(1) from None
    ids = {doc.id for doc in docs}
    typer.echo(f"ok: {len(docs)} files, {len(ids)} articles")


@kb_app.command("drafts")
def kb_drafts() -> None:
    """List the draft articles made from resolved tickets, waiting to be published."""

    async def read(session: AsyncSession) -> list[str]:
        return [
            f"{row.slug} [{row.lang}] {row.title}  (by {row.updated_by}, {row.updated_at:%Y-%m-%d})"
            for row in await drafts(session)
        ]

    lines = in_session(read)
    typer.echo("\n".join(lines) if lines else "no drafts")


@kb_app.command("publish")
def kb_publish(article_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Publish a draft article (every language of it); running bots pick it up within seconds."""

    async def run(session: AsyncSession) -> int:
        return await publish(session, slug=article_id, author="cli")

    published = in_session(run)
    if not published:
        typer.echo(f"no draft {article_id!r} (see `garda kb drafts`)", err=True)
        raise typer.Exit(1)
    typer.echo(
        f"published {article_id} ({published} language(s)); running bots pick it up within seconds"
    )


@kb_app.command("match")
def kb_match(
    text: Annotated[str | None, typer.Argument(help="The query; omit with --jsonl.")] = None,
    kb: Annotated[Path | None, typer.Option(help="Match against this folder of files.")] = None,
    jsonl: Annotated[bool, typer.Option(help='Read {"id","text"} lines on stdin.')] = False,
    top: Annotated[int, typer.Option(min=1, max=50)] = 3,
) -> None:
    """Show how a query matches the knowledge base."""
    if not jsonl and not text:
        typer.echo("give a TEXT to match, or --jsonl to read queries from stdin", err=True)
        raise typer.Exit(2)
    base = run_or_exit(_knowledge_base(kb))
    if not jsonl:
        assert text is not None
        _print_result(base.match(text, top=top))
        return
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            query_id, query = row.get("id"), row.get("text")
            query = query if isinstance(query, str) else ""
        except (json.JSONDecodeError, AttributeError):
            typer.echo(json.dumps({"id": None, "error": "not a JSON object"}))
            continue
        typer.echo(json.dumps(_as_row(query_id, base.match(query, top=top)), ensure_ascii=False))


@kb_app.command("test")
def kb_test(
    cases: Annotated[Path, typer.Option(help="The regression file.")] = BUNDLED_CASES,
    kb: Annotated[Path | None, typer.Option(help="Test this folder of files.")] = None,
) -> None:
    """Check saved queries still get their expected answers; exit 1 on any change.

    With --kb DIR, that folder against the file's cases (what CI runs on the bundled KB);
    without, the database's knowledge base against the file's cases and those saved in the
    database (from /kb test and solved conversations), which win over a file case.
    """
    # Imported here: only this command reads the database's cases.
    from knowledge.regression import Case, change_line, merge_cases, stored_cases

    if kb is not None:
        outcomes = check(run_or_exit(_knowledge_base(kb)), load_cases(cases))
        failed = [outcome for outcome in outcomes if outcome.problem]
        for outcome in failed:
            typer.echo(f"FAIL {outcome.case.query!r}: {outcome.problem}")
        typer.echo(f"{len(outcomes) - len(failed)} passed, {len(failed)} failed")
        if failed:
            raise typer.Exit(1)
        return

    async def load() -> tuple[KnowledgeBase, list[Case]]:
        url = settings_or_exit().database_url
        async with open_database(url) as sessions, sessions() as session:
            return KnowledgeBase(await enabled_articles(session)), await stored_cases(session)

    base, saved = run_or_exit(load())
    outcomes = check(base, merge_cases(load_cases(cases), saved))
    changed = [outcome for outcome in outcomes if outcome.problem]
    for outcome in changed:
        typer.echo(change_line(outcome))
    typer.echo(
        f"{len(outcomes) - len(changed)} passed, {len(changed)} changed "
        f"({len(saved)} case(s) from the database)"
    )
    if changed:
        raise typer.Exit(1)


async def _knowledge_base(folder: Path | None) -> KnowledgeBase:
    if folder is not None:
        return KnowledgeBase(read_folder(folder))
    async with open_database(settings_or_exit().database_url) as sessions, sessions() as session:
        return KnowledgeBase(await enabled_articles(session))


@asynccontextmanager
async def _engine(url: str) -> AsyncIterator[AsyncEngine]:
    """An engine without migrating or seeding (for the ``db`` commands themselves)."""
    engine = make_engine(url)
    try:
        yield engine
    finally:
        await engine.dispose()


def _as_row(query_id: object, result: MatchResult) -> dict[str, object]:
    return {
        "id": query_id,
        "decision": result.decision.value,
        "small_talk": result.small_talk,
        "matches": [
            {
                "article": m.article,
                "score": m.score,
                "matched": m.matched,
                "words": list(m.words),
                "coverage": m.coverage,
            }
            for m in result.matches
        ],
    }


def _print_result(result: MatchResult) -> None:
    talk = f"  (small talk: {result.small_talk}, never an article)" if result.small_talk else ""
    typer.echo(f"decision: {result.decision.value}{talk}")
    for rank, match in enumerate(result.matches, start=1):
        typer.echo(f"{rank:>3}. {match.article:<36} score {match.score:.3f}")
        typer.echo(f"       matched:  {match.matched!r}")
        words = ", ".join(match.words) or "(none: ranked by similarity only)"
        typer.echo(f"       words:    {words}  (covers {match.coverage:.0%} of the query)")
    if not result.matches:
        typer.echo("  (no article matched)")
