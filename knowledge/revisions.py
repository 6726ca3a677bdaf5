"""Article revisions: every change to an article is one, with a full snapshot, so any of
them can be shown, compared and made current again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from knowledge.articles import FIELDS, ArticleDoc
from models.tables import Article, ArticleRevision, utcnow

# What a snapshot written before they were recorded means: a live article.
SNAPSHOT_DEFAULTS: dict[str, Any] = {"enabled": True, "draft": False}
_SNAPSHOT_ORDER = (*FIELDS, "body", "enabled", "draft")  # how a revision lists what changed


@dataclass(frozen=True)
class Revision:
    """One change to one language of an article, and what it changed."""

    slug: str
    lang: str
    revision: int
    author: str
    source: str  # import, cli, chat, ticket, revert
    created_at: datetime
    changed: tuple[str, ...]  # fields that differ from the previous revision (all: the first)
    snapshot: dict[str, Any]  # the article as it was after this change


def to_doc(row: Article) -> ArticleDoc:
    """The article file view of a stored article."""
    return ArticleDoc(
        id=row.slug, lang=row.lang, title=row.title, topic=row.topic,
        symptoms=tuple(row.symptoms), body=row.body, keywords=tuple(row.keywords),
        action=row.action, needs=tuple(row.needs), tier=row.tier,
    )  # fmt: skip


async def article_history(
    session: AsyncSession, slug: str, *, lang: str | None = None
) -> list[Revision]:
    """The revisions of ``slug`` (of one language if given), newest first."""
    statement = select(ArticleRevision).where(ArticleRevision.slug == slug)
    if lang is not None:
        statement = statement.where(ArticleRevision.lang == lang)
    rows = await session.exec(
        statement.order_by(ArticleRevision.lang, col(ArticleRevision.revision))
    )
    history: list[Revision] = []
    previous: dict[str, dict[str, Any]] = {}
    for row in rows:
        snapshot = full_snapshot(row.snapshot)
        before = previous.get(row.lang)
        changed = tuple(
            name for name in snapshot if before is None or before.get(name) != snapshot[name]
        )
        previous[row.lang] = snapshot
        history.append(
            Revision(
                slug=row.slug,
                lang=row.lang,
                revision=row.revision,
                author=row.author,
                source=row.source,
                created_at=row.created_at,
                changed=changed,
                snapshot=snapshot,
            )
        )
    history.sort(key=lambda item: (item.created_at, item.revision), reverse=True)
    return history


async def revert_article(
    session: AsyncSession, *, slug: str, lang: str, revision: int, author: str, source: str
) -> Article:
    """Make ``revision`` of one language current again, exactly, as a new revision.

    Raises :class:`LookupError` if there is no such revision.
    """
    found = await session.exec(
        select(ArticleRevision).where(
            ArticleRevision.slug == slug,
            ArticleRevision.lang == lang,
            ArticleRevision.revision == revision,
        )
    )
    old = found.first()
    if old is None:
        raise LookupError(f"{slug} [{lang}] has no revision {revision}")
    current = await session.exec(select(Article).where(Article.slug == slug, Article.lang == lang))
    row = current.first()
    if row is None:  # not reachable through Garda, which never deletes rows; kept for safety
        row = Article(slug=slug, lang=lang, title="", topic="")
        row.revision = await _last_revision(session, slug=slug, lang=lang)
    restore_snapshot(row, old.snapshot)
    revise(session, row, author=author, source=source)
    await session.flush()
    return row


async def kb_version(session: AsyncSession) -> int:
    """A number that changes whenever any article changes (0: no article yet)."""
    newest = (await session.exec(select(func.max(ArticleRevision.id)))).one()
    return newest or 0


async def changed_since(session: AsyncSession, version: int) -> list[Article]:
    """The current rows of the articles changed after :func:`kb_version` gave ``version``."""
    pairs = await session.exec(
        select(ArticleRevision.slug, ArticleRevision.lang)
        .where(col(ArticleRevision.id) > version)
        .distinct()
    )
    wanted = {(slug, lang) for slug, lang in pairs}
    if not wanted:
        return []
    slugs = {slug for slug, _ in wanted}
    rows = await session.exec(
        select(Article).where(col(Article.slug).in_(slugs)).order_by(Article.slug, Article.lang)
    )
    return [row for row in rows if (row.slug, row.lang) in wanted]


def snapshot_of(row: Article) -> dict[str, Any]:
    """Everything a revision keeps of ``row``: its file fields and whether it is live."""
    return {**to_doc(row).fields(), "enabled": row.enabled, "draft": row.draft}


def full_snapshot(snapshot: dict[str, Any]) -> dict[str, Any]:
    """``snapshot`` with the state fields that snapshots written before them lack."""
    complete = {**SNAPSHOT_DEFAULTS, **snapshot}
    known = {name: complete[name] for name in _SNAPSHOT_ORDER if name in complete}
    return known | complete  # fields in file order, then anything a later version adds


def restore_snapshot(row: Article, snapshot: dict[str, Any]) -> None:
    """Make ``row`` what ``snapshot`` recorded: every field and its enabled/draft state."""
    values = full_snapshot(snapshot)
    row.title, row.topic, row.body = values["title"], values["topic"], values["body"]
    row.symptoms, row.keywords = list(values["symptoms"]), list(values["keywords"])
    row.needs, row.action, row.tier = list(values["needs"]), values["action"], values["tier"]
    row.enabled, row.draft = bool(values["enabled"]), bool(values["draft"])


async def _last_revision(session: AsyncSession, *, slug: str, lang: str) -> int:
    newest = await session.exec(
        select(func.max(ArticleRevision.revision)).where(
            ArticleRevision.slug == slug, ArticleRevision.lang == lang
        )
    )
    return newest.one() or 0


def revise(session: AsyncSession, row: Article, *, author: str, source: str) -> None:
    """Count a change to ``row`` as its next revision, and keep a snapshot of it."""
    row.revision += 1
    row.updated_by, row.updated_at = author, utcnow()
    session.add(row)
    session.add(
        ArticleRevision(
            slug=row.slug,
            lang=row.lang,
            revision=row.revision,
            snapshot=snapshot_of(row),
            author=author,
            source=source,
        )
    )
