"""A knowledge base's revision history as a JSON-lines file, so a move keeps every revision.

``garda kb export`` writes ``history.jsonl`` next to the article files; ``garda kb import``
restores the revisions a database lacks before it loads the files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from knowledge.articles import SLUG
from knowledge.revisions import full_snapshot, restore_snapshot
from knowledge.vocab import LANGUAGES
from models.tables import Article, ArticleRevision

HISTORY_FILE = "history.jsonl"
# What every snapshot must hold, and of which type, for it to be restored as an article.
_SNAPSHOT_TYPES: dict[str, tuple[type, ...]] = {
    "title": (str,), "topic": (str,), "body": (str,), "symptoms": (list,),
    "keywords": (list,), "needs": (list,), "action": (str, type(None)), "tier": (int,),
    "enabled": (bool,), "draft": (bool,),
}  # fmt: skip


class HistoryError(ValueError):
    """The history file is malformed or disagrees with the database; nothing was loaded."""


@dataclass(frozen=True)
class HistoryEntry:
    """One stored revision, as a line of the history file."""

    slug: str
    lang: str
    revision: int
    author: str
    source: str
    created_at: datetime
    snapshot: dict[str, Any]

    def to_json(self) -> str:
        """The entry as one JSON line (without the newline)."""
        return json.dumps(
            {
                "slug": self.slug, "lang": self.lang, "revision": self.revision,
                "author": self.author, "source": self.source,
                "created_at": self.created_at.isoformat(), "snapshot": self.snapshot,
            },
            ensure_ascii=False, sort_keys=False,
        )  # fmt: skip


async def all_revisions(session: AsyncSession) -> list[HistoryEntry]:
    """Every revision in the database, in the order they were recorded."""
    state = {
        (row.slug, row.lang, row.revision): {"enabled": row.enabled, "draft": row.draft}
        for row in await session.exec(select(Article))
    }
    rows = await session.exec(select(ArticleRevision).order_by(col(ArticleRevision.id)))
    return [
        HistoryEntry(
            slug=row.slug,
            lang=row.lang,
            revision=row.revision,
            author=row.author,
            source=row.source,
            created_at=row.created_at,
            # A current revision recorded before snapshots kept the state (a draft, say)
            # takes it from its row, so the new database gets it right.
            snapshot=_filled(row.snapshot, state.get((row.slug, row.lang, row.revision), {})),
        )
        for row in rows
    ]


def _filled(snapshot: dict[str, Any], state: dict[str, bool]) -> dict[str, Any]:
    """``snapshot`` as stored, plus what of ``state`` it lacks."""
    return snapshot | {name: value for name, value in state.items() if name not in snapshot}


def write_history(entries: Iterable[HistoryEntry], folder: Path) -> int:
    """Write ``entries`` to ``folder/history.jsonl``; return how many."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [entry.to_json() + "\n" for entry in entries]
    (folder / HISTORY_FILE).write_text("".join(lines), encoding="utf-8")
    return len(lines)


def read_history(path: Path) -> list[HistoryEntry]:
    """Read and check a history file; raise :class:`HistoryError` naming every bad line."""
    entries: list[HistoryEntry] = []
    problems: list[str] = []
    seen: set[tuple[str, str, int]] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = _entry(json.loads(line))
        except (ValueError, TypeError, KeyError) as error:
            problems.append(f"{path}:{number}: {error}")
            continue
        key = (entry.slug, entry.lang, entry.revision)
        if key in seen:
            where = f"{entry.slug} [{entry.lang}] revision {entry.revision}"
            problems.append(f"{path}:{number}: {where} appears twice")
        seen.add(key)
        entries.append(entry)
    if problems:
        raise HistoryError("\n".join(problems))
    return entries


def _entry(raw: Any) -> HistoryEntry:
    if not isinstance(raw, dict):
        raise ValueError("not a JSON object")
    slug, lang, revision = raw["slug"], raw["lang"], raw["revision"]
    if not isinstance(slug, str) or not SLUG.match(slug):
        raise ValueError(f"slug {slug!r} is not an article id")
    if lang not in LANGUAGES:
        raise ValueError(f"lang {lang!r} is not one of {', '.join(LANGUAGES)}")
    if type(revision) is not int or revision < 1:
        raise ValueError(f"revision {revision!r} must be a whole number from 1")
    snapshot = raw["snapshot"]
    if not isinstance(snapshot, dict):
        raise ValueError("snapshot must be a JSON object")
    complete = full_snapshot(snapshot)
    for name, types in _SNAPSHOT_TYPES.items():
        if not isinstance(complete.get(name), types):
            raise ValueError(f"snapshot field {name!r} is missing or of the wrong type")
    created_at = datetime.fromisoformat(str(raw["created_at"]))
    return HistoryEntry(
        slug=slug, lang=lang, revision=revision, author=str(raw["author"]),
        source=str(raw["source"]), snapshot=snapshot,
        # A time written without a zone is UTC, as every time Garda stores.
        created_at=created_at if created_at.tzinfo else created_at.replace(tzinfo=UTC),
    )  # fmt: skip


async def restore_history(session: AsyncSession, entries: Iterable[HistoryEntry]) -> int:
    """Add the revisions the database lacks; return how many were added.

    An article whose newest revision came from ``entries`` is set to that revision, so
    numbering goes on after it. A revision the database holds with other contents means two
    different histories: :class:`HistoryError`, and the caller rolls everything back.
    """
    stored = {
        (row.slug, row.lang, row.revision): row.snapshot
        for row in await session.exec(select(ArticleRevision))
    }
    newest: dict[tuple[str, str], HistoryEntry] = {}
    added = 0
    for entry in entries:
        key = (entry.slug, entry.lang, entry.revision)
        if key in stored:
            if not _same(stored[key], entry.snapshot):
                raise HistoryError(
                    f"{entry.slug} [{entry.lang}] revision {entry.revision} differs from the "
                    "one in this database: import into an empty database, or leave out "
                    f"{HISTORY_FILE} to load only the articles"
                )
            continue
        session.add(
            ArticleRevision(
                slug=entry.slug,
                lang=entry.lang,
                revision=entry.revision,
                snapshot=entry.snapshot,
                author=entry.author,
                source=entry.source,
                created_at=entry.created_at,
            )
        )
        added += 1
        pair = (entry.slug, entry.lang)
        if pair not in newest or newest[pair].revision < entry.revision:
            newest[pair] = entry
    for (slug, lang), entry in newest.items():
        await _catch_up(session, slug=slug, lang=lang, entry=entry)
    await session.flush()
    return added


def _same(stored: dict[str, Any], restored: dict[str, Any]) -> bool:
    """Whether two snapshots of one revision agree, on what both recorded (an old snapshot
    lacks the enabled/draft state its export filled in)."""
    return all(stored[name] == restored[name] for name in stored.keys() & restored.keys())


async def _catch_up(session: AsyncSession, *, slug: str, lang: str, entry: HistoryEntry) -> None:
    """Make the current row of an article what its newest restored revision says."""
    found = await session.exec(select(Article).where(Article.slug == slug, Article.lang == lang))
    row = found.first()
    if row is not None and row.revision >= entry.revision:
        return  # the database's own newer revisions stay current
    if row is None:
        row = Article(slug=slug, lang=lang, title="", topic="")
    restore_snapshot(row, entry.snapshot)
    row.revision, row.updated_by, row.updated_at = entry.revision, entry.author, entry.created_at
    session.add(row)
