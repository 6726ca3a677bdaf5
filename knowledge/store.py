"""Keep knowledge-base articles in the database, with a revision for every change."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from knowledge.articles import ArticleDoc, render_article
from models.tables import Article, ArticleRevision, utcnow

BUNDLED = Path(__file__).parent / "articles"


@dataclass(frozen=True)
class ImportSummary:
    """How many article files were new, changed, or already identical."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


def to_doc(row: Article) -> ArticleDoc:
    """The article file view of a stored article."""
    return ArticleDoc(
        id=row.slug, lang=row.lang, title=row.title, topic=row.topic,
        symptoms=tuple(row.symptoms), body=row.body, keywords=tuple(row.keywords),
        action=row.action, needs=tuple(row.needs), tier=row.tier,
    )  # fmt: skip


async def save_articles(
    session: AsyncSession, docs: Iterable[ArticleDoc], *, author: str, source: str
) -> ImportSummary:
    """Insert or update articles; each real change becomes a new revision."""
    created = updated = unchanged = 0
    existing = {(row.slug, row.lang): row for row in await session.exec(select(Article))}
    for doc in docs:
        row = existing.get(doc.key)
        if row is None:
            row = Article(slug=doc.id, lang=doc.lang, title=doc.title, topic=doc.topic)
            row.revision = 0
            created += 1
        elif to_doc(row) == doc and row.enabled:
            unchanged += 1
            continue
        else:
            updated += 1
        _apply(row, doc)
        row.enabled, row.draft = True, False
        _revise(session, row, author=author, source=source)
    await session.flush()
    return ImportSummary(created, updated, unchanged)


async def save_draft(
    session: AsyncSession,
    *,
    slug: str,
    lang: str,
    title: str,
    topic: str,
    symptoms: list[str],
    body: str,
    tier: int,
    author: str,
) -> str | None:
    """Store a draft article (not matched until published); None if ``slug`` is taken."""
    taken = await session.exec(select(Article).where(Article.slug == slug, Article.lang == lang))
    if taken.first() is not None:
        return None
    row = Article(
        slug=slug, lang=lang, title=title, topic=topic, symptoms=symptoms, body=body, tier=tier,
        enabled=False, draft=True, revision=0,
    )  # fmt: skip
    _revise(session, row, author=author, source="ticket")
    await session.flush()
    return slug


async def drafts(session: AsyncSession) -> list[Article]:
    """The draft articles waiting to be published, oldest first."""
    rows = await session.exec(
        select(Article).where(Article.draft).order_by(col(Article.updated_at))
    )
    return list(rows)


async def publish(session: AsyncSession, *, slug: str, author: str) -> int:
    """Publish the drafts of ``slug`` (every language): matched from the next start on.

    Returns how many were published (0: no such draft). Each becomes a new revision.
    """
    rows = await session.exec(select(Article).where(Article.slug == slug, Article.draft))
    published = 0
    for row in rows:
        row.enabled, row.draft = True, False
        _revise(session, row, author=author, source="cli")
        published += 1
    await session.flush()
    return published


def _revise(session: AsyncSession, row: Article, *, author: str, source: str) -> None:
    """Count a change to ``row`` as its next revision, and keep a snapshot of it."""
    row.revision += 1
    row.updated_by, row.updated_at = author, utcnow()
    session.add(row)
    session.add(
        ArticleRevision(
            slug=row.slug,
            lang=row.lang,
            revision=row.revision,
            snapshot=to_doc(row).fields(),
            author=author,
            source=source,
        )
    )


def _apply(row: Article, doc: ArticleDoc) -> None:
    row.title, row.topic, row.body = doc.title, doc.topic, doc.body
    row.symptoms, row.keywords, row.needs = list(doc.symptoms), list(doc.keywords), list(doc.needs)
    row.action, row.tier = doc.action, doc.tier


async def enabled_articles(session: AsyncSession) -> list[ArticleDoc]:
    """Every enabled article in every language."""
    rows = await session.exec(select(Article).where(Article.enabled).order_by(Article.slug))
    return [to_doc(row) for row in rows]


async def count_articles(session: AsyncSession) -> int:
    """How many article files (id and language pairs) are stored."""
    return (await session.exec(select(func.count()).select_from(Article))).one()


def export_articles(docs: Iterable[ArticleDoc], folder: Path) -> int:
    """Write ``docs`` as article files into ``folder``; return how many were written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for doc in docs:
        (folder / f"{doc.id}.{doc.lang}.md").write_text(render_article(doc), encoding="utf-8")
        written += 1
    return written
