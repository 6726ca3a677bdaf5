"""Keep knowledge-base articles in the database, with a revision for every change."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from knowledge.articles import SHARED_FIELDS, ArticleDoc, render_article
from knowledge.revisions import revise, to_doc
from knowledge.text import words
from models.tables import Article

BUNDLED = Path(__file__).parent / "articles"


@dataclass(frozen=True)
class ImportSummary:
    """How many article files were new, changed, or already identical."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


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
        revise(session, row, author=author, source=source)
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
    revise(session, row, author=author, source="ticket")
    await session.flush()
    return slug


async def drafts(session: AsyncSession) -> list[Article]:
    """The draft articles waiting to be published, oldest first."""
    rows = await session.exec(
        select(Article).where(Article.draft).order_by(col(Article.updated_at))
    )
    return list(rows)


async def publish(session: AsyncSession, *, slug: str, author: str) -> int:
    """Publish the drafts of ``slug`` (every language); running bots pick it up within seconds.

    Returns how many were published (0: no such draft). Each becomes a new revision.
    """
    rows = await session.exec(select(Article).where(Article.slug == slug, Article.draft))
    published = 0
    for row in rows:
        row.enabled, row.draft = True, False
        revise(session, row, author=author, source="cli")
        published += 1
    await session.flush()
    return published


async def article_rows(session: AsyncSession, slug: str) -> list[Article]:
    """Every language of ``slug``, disabled and drafts included, sorted by language."""
    rows = await session.exec(select(Article).where(Article.slug == slug).order_by(Article.lang))
    return list(rows)


async def search_articles(session: AsyncSession, text: str, *, limit: int = 10) -> list[Article]:
    """Articles (every language, enabled or not) whose id, title, symptoms or keywords hold
    every word of ``text``, best first; an empty ``text`` finds nothing."""
    wanted = words(text)
    if not wanted:
        return []
    scored: list[tuple[float, Article]] = []
    for row in await session.exec(select(Article)):
        score = _search_score(row, wanted)
        if score:
            scored.append((score, row))
    scored.sort(key=lambda pair: (-pair[0], pair[1].slug, pair[1].lang))
    return [row for _, row in scored[:limit]]


def _search_score(row: Article, wanted: list[str]) -> float:
    """How well ``row`` matches: each word scores by the best field holding it; 0 if one is
    missing. A whole word beats part of one, so "vpn" ranks "vpn-drops" above "vpnless"."""
    fields = (
        (4.0, words(row.slug)),
        (3.0, words(row.title)),
        (2.0, [w for keyword in row.keywords for w in words(keyword)]),
        (1.0, [w for symptom in row.symptoms for w in words(symptom)]),
    )
    total = 0.0
    for word in wanted:
        best = 0.0
        for weight, found in fields:
            if word in found:
                best = max(best, weight)
            elif any(word in other for other in found):
                best = max(best, weight / 2)
        if not best:
            return 0.0
        total += best
    return total


async def save_edit(
    session: AsyncSession, docs: Sequence[ArticleDoc], *, author: str, source: str
) -> list[Article]:
    """Save one article's languages edited together; return their rows, in ``docs`` order.

    Each new or changed language becomes a revision (enabled, published, up to date);
    unchanged ones are left alone. When something changed, the article's other stored
    languages are marked outdated: they may now say something different.
    """
    slugs = {doc.id for doc in docs}
    if len(slugs) > 1:
        raise ValueError(f"one article at a time, not {sorted(slugs)}")
    if not docs:
        return []
    existing = {row.lang: row for row in await article_rows(session, docs[0].id)}
    saved: list[Article] = []
    changed = False
    for doc in docs:
        row = existing.get(doc.lang)
        if row is None:
            row = Article(slug=doc.id, lang=doc.lang, title=doc.title, topic=doc.topic)
            row.revision = 0
        elif to_doc(row) == doc and row.enabled and not row.draft:
            saved.append(row)
            continue
        _apply(row, doc)
        row.enabled, row.draft, row.outdated = True, False, False
        revise(session, row, author=author, source=source)
        saved.append(row)
        changed = True
    if changed:
        edited = {doc.lang for doc in docs}
        for lang, row in existing.items():
            if lang in edited:
                continue
            row.outdated = True
            session.add(row)
            # Topic, tier, action and needs belong to the article, not to one language:
            # the others follow at once, so its files still agree when exported.
            shared = {name: getattr(docs[0], name) for name in SHARED_FIELDS}
            if any(getattr(to_doc(row), name) != value for name, value in shared.items()):
                _apply(row, replace(to_doc(row), **shared))
                revise(session, row, author=author, source=source)
    await session.flush()
    return saved


async def disable_article(session: AsyncSession, *, slug: str, author: str, source: str) -> int:
    """Stop matching every language of ``slug``; return how many were enabled (0: none)."""
    rows = await session.exec(select(Article).where(Article.slug == slug, Article.enabled))
    disabled = 0
    for row in rows:
        row.enabled = False
        revise(session, row, author=author, source=source)
        disabled += 1
    await session.flush()
    return disabled


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
