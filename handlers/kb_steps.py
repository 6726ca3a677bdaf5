"""Writing an article from chat, step by step: English, then Bahasa Indonesia, preview, save.

Each step shows the current text when editing and takes "keep" (a button, or typed ``keep``,
``-`` or ``tetap``). Slack users can fill in every step at once in a modal instead; its
answers arrive as ``turn.message.fields`` in either state and lead straight to the preview.
"""

from __future__ import annotations

from typing import Any

from handlers import kb_draft
from handlers.errors import UserFacingError
from handlers.kb_draft import MAIN, OTHER, STEPS
from handlers.states import State
from handlers.turn import Option, Turn
from knowledge.articles import MAX_ID, ArticleDoc
from knowledge.store import article_rows, save_edit
from knowledge.text import fold

KEEP, SKIP, SAVE, CANCEL = "keep", "skip", "save", "cancel"
STALE = "stale"  # a button of an earlier question
KEEP_WORDS = ("keep", "tetap", "-")  # typed instead of pressing Keep
SKIP_WORDS = ("skip", "lewati")
TIER_PREFIX = "tier:"


def begin(turn: Turn, draft: dict[str, Any]) -> State:
    """Start writing: remember the draft (and the language to talk in), ask the first step."""
    # The editor types Indonesian text in the other language's steps; that must not switch
    # the language Garda talks to them in (see :func:`steady_language`).
    draft["ui"] = [turn.lang, turn.conversation.lang]
    turn.data = {"kb": draft}
    return ask_step(turn, draft)


def draft_of(turn: Turn) -> dict[str, Any] | None:
    """The draft this conversation is writing, with the conversation's language held."""
    draft = turn.data.get("kb")
    if not isinstance(draft, dict) or "texts" not in draft:
        return None
    steady_language(turn, draft)
    return draft


def steady_language(turn: Turn, draft: dict[str, Any]) -> None:
    """Talk in the language the edit began in, whatever language the article text is in."""
    if turn.person.lang is None and draft.get("ui"):
        turn.lang, turn.conversation.lang = draft["ui"]


def ask_step(turn: Turn, draft: dict[str, Any]) -> State:
    """Ask for the draft's current step, showing what it holds now."""
    step = draft["step"]
    lang, name = kb_draft.split_step(step)
    language = turn.t(f"kb.lang.{lang}") if lang else ""
    position = STEPS.index(step) + 1
    lines = [turn.t(f"kb.step.{name}", language=language, number=position, total=len(STEPS))]
    if name == "topic":
        lines.append(kb_draft.topic_list())
    options: list[Option] = []
    if name == "tier":
        options += [Option(f"{TIER_PREFIX}{tier}", str(tier)) for tier in (1, 2, 3)]
    value = kb_draft.shown(kb_draft.current(draft, step))
    if value:
        lines.append(turn.t("kb.step.current", value=value))
        keep = turn.option(KEEP, "choice.kb.keep")
        options.append(Option(KEEP, keep.label, (*keep.aliases, *KEEP_WORDS)))
    if step == f"{OTHER}.title":
        lines.append(turn.t("kb.step.skip_hint", language=language))
        skip = turn.option(SKIP, "choice.kb.skip")
        options.append(Option(SKIP, skip.label, (*skip.aliases, *SKIP_WORDS)))
    lines.append(turn.t("kb.step.cancel_hint"))
    turn.ask("\n".join(lines), options, form=kb_draft.form_of(turn.t, draft))
    return State.KB_DRAFT


def picked(turn: Turn) -> str | None:
    """The option this message picks: its number, as the console and Telegram list them, or
    its exact words; anything else is the text being written ("Keeps" is not Keep)."""
    options = turn.pending_options()
    if turn.message.choice is not None:
        return turn.message.choice if turn.message.choice in {o.id for o in options} else STALE
    raw = turn.message.text.strip()
    if raw.isdigit() and 1 <= int(raw) <= len(options):  # no title or symptom is a bare number
        return options[int(raw) - 1].id
    typed = fold(raw)
    for option in options:
        wordings = {fold(w) for w in (option.id, option.label, *option.aliases)} - {""}
        if typed in wordings or (raw and raw in option.aliases):
            return option.id
    return None


async def answer_step(turn: Turn) -> State | None:
    """An answer to one step: check it, keep it, and ask the next one (or show the preview)."""
    draft = draft_of(turn)
    if draft is None:
        turn.say("kb.draft.lost")
        return turn.reset()
    if turn.message.fields:
        return await from_form(turn, draft)
    step = draft["step"]
    choice = picked(turn)
    if choice == STALE:
        turn.rejected = "stale"
        turn.reprompt()
        return None
    if choice == SKIP:
        draft["skip"] = True
        turn.clear_pending()
        return await preview(turn, draft)
    if choice is not None and choice.startswith(TIER_PREFIX):
        kb_draft.set_value(draft, step, int(choice.removeprefix(TIER_PREFIX)))
    elif choice != KEEP:
        try:
            value = kb_draft.check(step, turn.message.text)
        except UserFacingError as problem:
            turn.say(problem.key, **problem.params)
            return ask_step(turn, draft)
        kb_draft.set_value(draft, step, value)
    turn.clear_pending()
    return await next_step(turn, draft)


async def next_step(turn: Turn, draft: dict[str, Any]) -> State:
    """The step after the current one; after a form, only the answers it got wrong."""
    redo = [step for step in draft.get("redo") or () if step != draft["step"]]
    if "redo" in draft:
        draft["redo"] = redo
        if not redo:
            del draft["redo"]
            return await preview(turn, draft)
        draft["step"] = redo[0]
        return ask_step(turn, draft)
    index = STEPS.index(draft["step"]) + 1
    if index == len(STEPS):
        return await preview(turn, draft)
    draft["step"] = STEPS[index]
    return ask_step(turn, draft)


async def from_form(turn: Turn, draft: dict[str, Any]) -> State:
    """A submitted form: every step at once; wrong answers are asked again one by one."""
    problems = kb_draft.fill_from_form(draft, turn.message.fields)
    turn.clear_pending()
    if not problems:
        return await preview(turn, draft)
    labels = {field.name: field.label for field in kb_draft.form_of(turn.t, draft)}
    for step, problem in problems:
        turn.say(
            "kb.invalid.in_field", field=labels[step], problem=turn.t(problem.key, **problem.params)
        )
    draft["redo"] = [step for step, _ in problems]  # then straight back to the preview
    draft["step"] = problems[0][0]
    return ask_step(turn, draft)


async def free_slug(turn: Turn, wanted: str) -> str:
    """``wanted``, or ``wanted-2``, ``-3``... if an article already has that id."""
    slug, number = wanted, 2
    while await article_rows(turn.session, slug):
        suffix = f"-{number}"
        slug = wanted[: MAX_ID - len(suffix)].rstrip("-") + suffix
        number += 1
    return slug


async def preview(turn: Turn, draft: dict[str, Any]) -> State:
    """Show the article as it will be saved; ask Save or Cancel."""
    draft.pop("redo", None)
    if draft["auto"]:
        draft["slug"] = await free_slug(turn, kb_draft.slug_for(draft["texts"][MAIN]["title"]))
    docs = kb_draft.docs_of(draft)
    for doc in docs:
        language = turn.t(f"kb.lang.{doc.lang}")
        turn.say_text(
            turn.t("kb.preview.head", id=doc.id, language=language) + "\n" + describe(turn, doc)
        )
    if OTHER not in {doc.lang for doc in docs}:
        other = turn.t(f"kb.lang.{OTHER}")
        if OTHER in draft["base"]:
            turn.say("kb.preview.outdated", language=other)
        else:
            turn.say("kb.preview.one_language", language=other)
    options = [turn.option(SAVE, "choice.kb.save"), turn.option(CANCEL, "choice.kb.cancel")]
    turn.ask(turn.t("kb.preview.ask"), options, form=kb_draft.form_of(turn.t, draft))
    return State.KB_PREVIEW


def describe(turn: Turn, doc: ArticleDoc) -> str:
    """An article's fields, readable in chat."""
    return turn.t(
        "kb.article",
        title=doc.title,
        topic=doc.topic,
        tier=doc.tier,
        action=doc.action or "—",
        symptoms="\n".join(f"• {symptom}" for symptom in doc.symptoms),
        body=doc.body,
    )


async def answer_preview(turn: Turn) -> State | None:
    """Save or Cancel (or a form submitted again from the preview)."""
    draft = draft_of(turn)
    if draft is None:
        turn.say("kb.draft.lost")
        return turn.reset()
    if turn.message.fields:
        return await from_form(turn, draft)
    chosen = turn.chosen()
    if chosen is None:
        turn.reprompt()
        return None
    turn.clear_pending()
    if chosen == CANCEL:
        turn.say("kb.cancelled")
        return turn.reset()
    return await save(turn, draft)


async def save(turn: Turn, draft: dict[str, Any]) -> State:
    """Save the draft's languages together, as revisions by this editor."""
    editor = turn.message.user_key
    if not turn.desk.can_edit_kb(editor):  # the role may have been taken away meanwhile
        turn.say("kb.edit_not_allowed")
        return turn.reset()
    rows = {row.lang: row for row in await article_rows(turn.session, draft["slug"])}
    if draft["mode"] == "new" and rows:  # someone took the id meanwhile
        if not draft["auto"]:
            turn.say("kb.new.taken", id=draft["slug"])
            return turn.reset()
        draft["slug"], rows = await free_slug(turn, draft["slug"]), {}
    revisions = {lang: row.revision for lang, row in rows.items()}
    if draft["mode"] == "edit" and revisions != draft["base"]:
        draft["base"] = revisions  # shown the conflict once; Save again overwrites
        authors = sorted({row.updated_by for row in rows.values()})
        turn.say("kb.edit.conflict", id=draft["slug"], who=", ".join(authors))
        return await preview(turn, draft)
    docs = kb_draft.docs_of(draft)
    if all(kb_draft.same(doc, rows.get(doc.lang)) for doc in docs):
        turn.say("kb.edit.unchanged", id=draft["slug"])
        return turn.reset()
    saved = await save_edit(turn.session, docs, author=editor, source="chat")
    turn.kb_changed = True
    done = ", ".join(
        turn.t("kb.saved.revision", language=turn.t(f"kb.lang.{row.lang}"), revision=row.revision)
        for row in saved
    )
    turn.say("kb.saved", id=draft["slug"], revisions=done)
    outdated = sorted(set(rows) - {doc.lang for doc in docs})
    if outdated:
        names = ", ".join(turn.t(f"kb.lang.{lang}") for lang in outdated)
        turn.say("kb.saved.outdated", id=draft["slug"], languages=names)
    return turn.reset()
