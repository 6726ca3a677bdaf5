"""``/kb search|show|new|edit|disable|history|revert``: reading and changing articles in chat.

Reading is for support staff; the changing subcommands (``edits=True``) for KB editors, who
are checked again when a change is saved. Writing an article is :mod:`handlers.kb_steps`.
Every change is a revision by the editor (source ``chat``), and the dispatcher reloads the
changed articles after the commit (``turn.kb_changed``), so the next question matches them.
"""

from __future__ import annotations

from datetime import datetime

from handlers import kb_draft, kb_steps
from handlers.errors import UserFacingError
from handlers.kb_commands import KbCommands
from handlers.router import Routes
from handlers.states import State
from handlers.text import shorten
from handlers.turn import Option, Turn
from knowledge.revisions import article_history, revert_article, to_doc
from knowledge.store import article_rows, disable_article, search_articles
from knowledge.vocab import LANGUAGES
from models.tables import Article

commands = KbCommands()
routes = Routes()

SOURCE = "chat"
MAX_FOUND = 10  # articles listed by /kb search
MAX_HISTORY = 20  # revisions listed by /kb history
YES, NO = "yes", "no"
REVERT_PREFIX = "revert:"  # + language: the revert to confirm


# Reading


@commands.command("search", edits=False)
async def search(turn: Turn) -> State | None:
    """/kb search TEXT — find articles by words, id or symptom"""
    text = turn.args.strip()
    if not text:
        raise UserFacingError("kb.usage.search")
    rows = await search_articles(turn.session, text, limit=MAX_FOUND * len(LANGUAGES))
    slugs = list(dict.fromkeys(row.slug for row in rows))[:MAX_FOUND]
    if not slugs:
        turn.say("kb.search.none", text=shorten(text, 80))
        return None
    lines = [turn.t("kb.search.found", count=len(slugs))]
    for slug in slugs:  # every language of each, not only those the words were found in
        langs = await article_rows(turn.session, slug)
        title = _in_language(langs, turn.lang).title
        names = ", ".join(row.lang for row in langs)
        lines.append(f"• {slug} [{names}] {title} — {_article_state(turn, langs)}")
    turn.say_text("\n".join(lines))
    return None


@commands.command("show", edits=False)
async def show(turn: Turn) -> State | None:
    """/kb show ID — every language of an article, with its revision and state"""
    rows = await _rows(turn, "show")
    for row in rows:
        head = turn.t(
            "kb.show.head",
            id=row.slug,
            language=turn.t(f"kb.lang.{row.lang}"),
            revision=row.revision,
            state=_article_state(turn, [row]),
        )
        parts = [head, kb_steps.describe(turn, to_doc(row))]
        parts.append(
            turn.t("kb.show.edited", who=row.updated_by or "—", when=_when(row.updated_at))
        )
        if row.outdated:
            parts.append(turn.t("kb.show.outdated"))
        turn.say_text("\n".join(parts))
    return None


@commands.command("history", edits=False)
async def history(turn: Turn) -> State | None:
    """/kb history ID — who changed an article, when, and what"""
    slug = _slug(turn, "history")
    revisions = await article_history(turn.session, slug)
    if not revisions:
        raise UserFacingError("kb.no_article", id=slug)
    lines = [turn.t("kb.history.head", id=slug)]
    for revision in revisions[:MAX_HISTORY]:
        changed = (
            turn.t("kb.history.created")
            if revision.revision == 1
            else ", ".join(revision.changed) or "—"
        )
        lines.append(
            turn.t(
                "kb.history.line",
                revision=revision.revision,
                lang=revision.lang,
                who=revision.author,
                when=_when(revision.created_at),
                changed=changed,
                source=revision.source,
            )
        )
    if len(revisions) > MAX_HISTORY:
        lines.append(turn.t("kb.history.more", count=len(revisions) - MAX_HISTORY))
    turn.say_text("\n".join(lines))
    return None


# Changing


@commands.command("new", edits=True)
async def new(turn: Turn) -> State | None:
    """/kb new [ID] — write a new article, step by step (or in one form in Slack)"""
    slug = kb_draft.check_slug(turn.args) if turn.args.strip() else ""
    if slug and await article_rows(turn.session, slug):
        raise UserFacingError("kb.new.taken", id=slug)
    turn.say("kb.new.start")
    return kb_steps.begin(turn, kb_draft.new_draft(slug))


@commands.command("edit", edits=True)
async def edit(turn: Turn) -> State | None:
    """/kb edit ID — change an article in both languages, step by step (or in one form)"""
    rows = await _rows(turn, "edit")
    turn.say("kb.edit.start", id=rows[0].slug)
    return kb_steps.begin(turn, kb_draft.edit_draft(rows))


@commands.command("disable", edits=True)
async def disable(turn: Turn) -> State | None:
    """/kb disable ID — stop offering an article (asks first)"""
    rows = await _rows(turn, "disable")
    if not any(row.enabled for row in rows):
        raise UserFacingError("kb.disable.already", id=rows[0].slug)
    turn.data = {"kb": {"confirm": "disable", "slug": rows[0].slug}}
    title = _in_language(rows, turn.lang).title
    turn.ask(
        turn.t("kb.disable.ask", id=rows[0].slug, title=title),
        [turn.option(YES, "choice.kb.disable"), turn.option(NO, "choice.kb.leave")],
    )
    return State.KB_CONFIRM


@commands.command("revert", edits=True)
async def revert(turn: Turn) -> State | None:
    """/kb revert ID REV [LANG] — make an old revision current again (asks first)"""
    words = turn.args.split()
    if len(words) not in (2, 3) or not words[1].lstrip("#").isdigit():
        raise UserFacingError("kb.usage.revert")
    slug, number = kb_draft.check_slug(words[0]), int(words[1].lstrip("#"))
    lang = words[2].casefold() if len(words) == 3 else None
    if lang is not None and lang not in LANGUAGES:
        raise UserFacingError("kb.invalid.lang", lang=lang[:10], options=", ".join(LANGUAGES))
    revisions = await article_history(turn.session, slug, lang=lang)
    if not revisions and lang is None:
        raise UserFacingError("kb.no_article", id=slug)
    found = sorted((r for r in revisions if r.revision == number), key=lambda r: r.lang)
    if not found:
        raise UserFacingError("kb.revert.no_revision", id=slug, revision=number)
    # Revision numbers count per language, so "rev 3" may name two unrelated texts: with no
    # language given and several languages having it, the editor picks one.
    lines = [turn.t("kb.revert.ask", id=slug, revision=number)]
    options = []
    for revision in found:
        language = turn.t(f"kb.lang.{revision.lang}")
        lines.append(
            turn.t(
                "kb.revert.which",
                language=language,
                title=str(revision.snapshot.get("title", "")),
                who=revision.author,
                when=_when(revision.created_at),
            )
        )
        label = turn.t("choice.kb.revert", language=language)
        options.append(Option(f"{REVERT_PREFIX}{revision.lang}", label))
    turn.data = {"kb": {"confirm": "revert", "slug": slug, "revision": number}}
    turn.ask("\n".join(lines), [*options, turn.option(NO, "choice.kb.leave")])
    return State.KB_CONFIRM


@routes.state(State.KB_CONFIRM)
async def confirm(turn: Turn) -> State | None:
    """Yes or no to disabling or reverting an article."""
    chosen = turn.chosen()
    if chosen is None:
        turn.reprompt()
        return None
    turn.clear_pending()
    asked = turn.data.get("kb") or {}
    if chosen == NO or "slug" not in asked:
        turn.say("kb.cancelled")
        return turn.reset()
    editor = turn.message.user_key
    if not turn.desk.can_edit_kb(editor):  # the role may have been taken away meanwhile
        turn.say("kb.edit_not_allowed")
        return turn.reset()
    slug = asked["slug"]
    if asked.get("confirm") == "disable":
        count = await disable_article(turn.session, slug=slug, author=editor, source=SOURCE)
        turn.kb_changed = count > 0
        turn.say("kb.disabled", id=slug, count=count)
        return turn.reset()
    lang = chosen.removeprefix(REVERT_PREFIX)
    try:
        row = await revert_article(
            turn.session,
            slug=slug,
            lang=lang,
            revision=asked["revision"],
            author=editor,
            source=SOURCE,
        )
    except LookupError:
        turn.say("kb.revert.no_revision", id=slug, revision=asked["revision"])
        return turn.reset()
    turn.kb_changed = True
    turn.say(
        "kb.reverted",
        id=slug,
        language=turn.t(f"kb.lang.{lang}"),
        old=asked["revision"],
        revision=row.revision,
        state=_article_state(turn, [row]),
    )
    return turn.reset()


routes.state(State.KB_DRAFT)(kb_steps.answer_step)
routes.state(State.KB_PREVIEW)(kb_steps.answer_preview)


# Helpers


def _slug(turn: Turn, command: str) -> str:
    """The article id the subcommand was given (its usage if none)."""
    words = turn.args.split()
    if len(words) != 1:
        raise UserFacingError(f"kb.usage.{command}")
    return kb_draft.check_slug(words[0])


async def _rows(turn: Turn, command: str) -> list[Article]:
    """Every language of the article the subcommand names."""
    slug = _slug(turn, command)
    rows = await article_rows(turn.session, slug)
    if not rows:
        raise UserFacingError("kb.no_article", id=slug)
    return rows


def _in_language(rows: list[Article], lang: str) -> Article:
    """The row in ``lang``, else in English, else any."""
    by_lang = {row.lang: row for row in rows}
    return by_lang.get(lang) or by_lang.get("en") or rows[0]


def _article_state(turn: Turn, rows: list[Article]) -> str:
    """enabled / disabled / draft, and which languages are out of date."""
    if any(row.draft for row in rows):
        state = turn.t("kb.state.draft")
    elif any(row.enabled for row in rows):
        state = turn.t("kb.state.enabled")
    else:
        state = turn.t("kb.state.disabled")
    outdated = [row.lang for row in rows if row.outdated]
    if outdated:
        state += ", " + turn.t("kb.state.outdated", languages=", ".join(outdated))
    return state


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"
