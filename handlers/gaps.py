"""Knowledge gaps: record the questions Level I answered badly, list them grouped, and turn a
group into a draft article for an editor to finish.

Recorded once per conversation and reason: ``escalate`` (no article fitted), ``weak`` (only
a "did you mean", or an answer just over the threshold: see
:func:`knowledge.gaps.weak_reason`) and ``not_solved`` (an article was shown and the
requester said it did not solve it, or asked for a person).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.outcomes import scrub
from handlers.text import shorten
from handlers.turn import Turn
from knowledge.articles import MAX_ID
from knowledge.gaps import GapGroup, GapItem, group_gaps, summarise, weak_reason
from knowledge.matching import MatchResult
from knowledge.normalise import stopwords
from knowledge.store import save_draft
from knowledge.text import words
from models.tables import Article, KnowledgeGap

NOTED = "gaps_noted"  # turn.data: the reasons already recorded in this conversation
MAX_ROWS = 5000  # newest gaps read for grouping: plenty for a list of the top few
MAX_SYMPTOMS = 20
TITLE_LIMIT = 80
DEFAULT_TIER = 2
PLACEHOLDER = (
    "DRAFT made from {count} questions the knowledge base did not answer well "
    "(/kb gaps). Write the answer here, check the symptoms, then publish it.\n\n"
    "DRAF dari {count} pertanyaan yang belum terjawab baik oleh basis pengetahuan. "
    "Tulis jawabannya di sini, periksa gejalanya, lalu terbitkan."
)


def note_match(turn: Turn, result: MatchResult) -> None:
    """Record a gap if the requester's words matched no article, or only weakly."""
    reason = weak_reason(result)
    if reason is not None:
        best = result.best
        record_gap(
            turn,
            reason=reason,
            article=best.article if best else None,
            score=best.score if best else 0.0,
        )


def record_gap(
    turn: Turn, *, reason: str, article: str | None = None, score: float | None = None
) -> None:
    """Record the requester's latest problem words as a gap (once per conversation and reason).

    ``score``: the article's score; by default the best it got in this conversation.
    """
    noted: list[str] = turn.data.setdefault(NOTED, [])
    problem: list[str] = turn.data.get("problem") or []
    if reason in noted or not problem:
        return
    noted.append(reason)
    if score is None:
        tried = [t["score"] for t in turn.data.get("tried") or [] if t["article"] == article]
        score = max(tried, default=0.0)
    turn.session.add(
        KnowledgeGap(
            query=scrub(problem[-1]),
            lang=turn.lang,
            reason=reason,
            article=article,
            score=score,
            user_key=turn.message.user_key,
            created_at=turn.now,
        )
    )


async def gap_groups(
    session: AsyncSession,
    *,
    since: datetime | None = None,
    limit: int = 20,
    include_drafted: bool = False,
) -> list[GapGroup]:
    """The largest groups of similar gaps (since ``since``), drafted ones left out unless asked."""
    query = select(KnowledgeGap).order_by(col(KnowledgeGap.created_at).desc()).limit(MAX_ROWS)
    if since is not None:
        query = query.where(col(KnowledgeGap.created_at) >= since)
    if not include_drafted:
        query = query.where(col(KnowledgeGap.drafted_as).is_(None))
    return group_gaps([_item(row) for row in await session.exec(query)])[:limit]


async def group_of(session: AsyncSession, gap_ids: Sequence[int]) -> GapGroup | None:
    """The gaps ``gap_ids`` not drafted yet, as one group (None if none are left)."""
    rows = await session.exec(
        select(KnowledgeGap).where(
            col(KnowledgeGap.id).in_(list(gap_ids)), col(KnowledgeGap.drafted_as).is_(None)
        )
    )
    items = [_item(row) for row in rows]
    return summarise(items) if items else None


async def draft_from_group(session: AsyncSession, group: GapGroup, *, author: str) -> str:
    """Make a draft article from a group (its wordings as symptoms); return its slug.

    The gaps in the group are marked as drafted, so ``/kb gaps`` stops listing them.
    """
    rows = list(
        await session.exec(select(KnowledgeGap).where(col(KnowledgeGap.id).in_(group.gap_ids)))
    )
    langs = Counter(row.lang for row in rows)
    lang = langs.most_common(1)[0][0] if langs else "en"
    matched = None
    if group.article:
        found = await session.exec(select(Article).where(Article.slug == group.article))
        matched = found.first()
    symptoms = list(dict.fromkeys(shorten(w, TITLE_LIMIT * 2) for w in group.wordings))
    base = _slug(group.label)
    for number in range(1, 1000):
        slug = base if number == 1 else f"{base[: MAX_ID - 4]}-{number}"
        if await _slug_taken(session, slug):
            continue
        saved = await save_draft(
            session,
            slug=slug,
            lang=lang,
            title=_title(group.label),
            topic=matched.topic if matched else "other",
            symptoms=symptoms[:MAX_SYMPTOMS],
            body=PLACEHOLDER.format(count=group.count),
            tier=matched.tier if matched else DEFAULT_TIER,
            author=author,
        )
        if saved is not None:
            break
    else:  # pragma: no cover - a thousand drafts of one wording
        raise RuntimeError(f"no free slug for {base}")
    for row in rows:
        row.drafted_as = slug
        session.add(row)
    await session.flush()
    return slug


def _item(row: KnowledgeGap) -> GapItem:
    assert row.id is not None
    return GapItem(
        id=row.id,
        query=row.query,
        reason=row.reason,
        created_at=row.created_at,
        user_key=row.user_key,
        article=row.article,
        score=row.score,
        lang=row.lang,
    )


def _slug(label: str) -> str:
    """``gap-`` and the label's words (not "the", "in"...), short enough for an article id."""
    slug = "gap"
    stop = stopwords()
    for word in [w for w in words(label) if w not in stop] or words(label):
        if len(slug) + 1 + len(word) > MAX_ID - 4:  # room for "-999"
            break
        slug += "-" + word
    return slug if slug != "gap" else "gap-question"


def _title(label: str) -> str:
    text = shorten(label, TITLE_LIMIT)
    return text[:1].upper() + text[1:]


async def _slug_taken(session: AsyncSession, slug: str) -> bool:
    found = await session.exec(select(Article.slug).where(Article.slug == slug))
    return found.first() is not None
