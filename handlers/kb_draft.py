"""An article being written from chat: the draft kept in the conversation, and its checks.

The draft is plain JSON in ``turn.data["kb"]``, so a restart mid-edit resumes where it was::

    {"mode": "new" | "edit", "slug": "vpn-drops", "auto": False, "step": "en.body",
     "topic": "vpn", "tier": 2, "action": None, "needs": [], "skip": False,
     "texts": {"en": {"title": ..., "symptoms": [...], "body": ..., "keywords": [...]}, ...},
     "base": {"en": 3, "id": 2}, "ui": ["en", "en"]}

``base`` is the revision of each language when the edit began (to notice a colleague's edit
meanwhile); ``auto``: the id is made from the English title (``/kb new`` without an id).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from handlers.errors import UserFacingError
from handlers.i18n import Texts
from handlers.messages import FormField
from handlers.text import clean_text, has_words
from knowledge.articles import (
    MAX_ID,
    SLUG,
    ArticleDoc,
    ArticleFileError,
    parse_article,
    render_article,
)
from knowledge.revisions import to_doc
from knowledge.text import fold, words
from knowledge.vocab import TIERS, TOPICS
from models.tables import Article

MAIN, OTHER = "en", "id"  # written in this order; skipping OTHER marks it out of date
LANG_FIELDS = ("title", "symptoms", "body")  # what each language has of its own
STEPS = (
    f"{MAIN}.title", "topic", "tier", f"{MAIN}.symptoms", f"{MAIN}.body",
    f"{OTHER}.title", f"{OTHER}.symptoms", f"{OTHER}.body",
)  # fmt: skip
MAX_TITLE = 200  # the column's size
MAX_SYMPTOM = 200
MAX_SYMPTOMS = 20
MAX_BODY = 3000  # what one chat message and one Slack text field hold
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")  # "- ", "• ", "1. " before a pasted symptom
_PARAGRAPHS = re.compile(r"\n\s*\n")


def split_step(step: str) -> tuple[str | None, str]:
    """``("en", "title")`` for ``en.title``; ``(None, "topic")`` for a shared field."""
    lang, _, name = step.rpartition(".")
    return lang or None, name


def new_draft(slug: str) -> dict[str, Any]:
    """The draft of a new article (its id made from the title if ``slug`` is empty)."""
    return {
        "mode": "new", "slug": slug, "auto": not slug, "step": STEPS[0], "topic": "",
        "tier": None, "action": None, "needs": [], "skip": False, "texts": {}, "base": {},
    }  # fmt: skip


def edit_draft(rows: Sequence[Article]) -> dict[str, Any]:
    """The draft of an edit, starting from the article's current text in every language."""
    by_lang = {row.lang: row for row in rows}
    shared = by_lang.get(MAIN) or rows[0]
    texts = {
        row.lang: {
            "title": row.title, "symptoms": list(row.symptoms), "body": row.body,
            "keywords": list(row.keywords),
        }
        for row in rows
        if row.lang in (MAIN, OTHER)
    }  # fmt: skip
    return {
        "mode": "edit", "slug": shared.slug, "auto": False, "step": STEPS[0],
        "topic": shared.topic, "tier": shared.tier, "action": shared.action,
        "needs": list(shared.needs), "skip": False, "texts": texts,
        "base": {row.lang: row.revision for row in rows},
    }  # fmt: skip


def current(draft: Mapping[str, Any], step: str) -> Any:
    """The draft's value for ``step`` (what "keep" keeps); empty if there is none yet."""
    lang, name = split_step(step)
    if lang is None:
        return draft.get(name) or ""
    return (draft["texts"].get(lang) or {}).get(name) or ""


def shown(value: Any) -> str:
    """A draft value as text, the way it is typed: symptoms one per line."""
    if isinstance(value, list):
        return "\n".join(value)
    return str(value) if value else ""


def set_value(draft: dict[str, Any], step: str, value: Any) -> None:
    """Put a checked value into the draft."""
    lang, name = split_step(step)
    if lang is None:
        draft[name] = value
        return
    draft["texts"].setdefault(lang, {"keywords": []})[name] = value
    if lang == OTHER:
        draft["skip"] = False
    if step == f"{MAIN}.title" and draft["auto"]:
        draft["slug"] = slug_for(value)


# Checking what an editor typed (raw text: the checks clean it themselves)


def check(step: str, raw: str) -> Any:
    """The value ``raw`` gives ``step``; :class:`UserFacingError` says what is wrong."""
    name = split_step(step)[1]
    if name == "title":
        return check_title(raw)
    if name == "topic":
        return check_topic(raw)
    if name == "tier":
        return check_tier(raw)
    if name == "symptoms":
        return check_symptoms(raw)
    return check_body(raw)


def check_title(raw: str) -> str:
    """One line of words, at most :data:`MAX_TITLE` characters."""
    title = " ".join(clean_text(raw)[0].split())
    _check_text(title, MAX_TITLE)
    return title


def check_topic(raw: str) -> str:
    """One of the knowledge base's topics, typed with spaces or underscores."""
    topic = "_".join(words(raw))
    if not topic:
        raise UserFacingError("kb.invalid.empty")
    if topic not in TOPICS:
        raise UserFacingError("kb.invalid.topic", topic=raw.strip()[:40], topics=topic_list())
    return topic


def check_tier(raw: str) -> int:
    """1, 2 or 3: the support tier that gets the ticket when the article does not help."""
    typed = fold(raw).removeprefix("l").removeprefix("tier ").strip()
    if not typed.isdigit() or int(typed) not in TIERS:
        raise UserFacingError("kb.invalid.tier")
    return int(typed)


def check_symptoms(raw: str) -> list[str]:
    """One symptom a line, or between semicolons (a terminal sends one line at a time);
    pasted bullets and numbers dropped; at least one."""
    parts = clean_text(raw)[0].replace(";", "\n").splitlines()
    lines = [_BULLET.sub("", line).strip() for line in parts]
    symptoms = [line for line in lines if line]
    if not symptoms:
        raise UserFacingError("kb.invalid.empty")
    if len(symptoms) > MAX_SYMPTOMS:
        raise UserFacingError("kb.invalid.too_many", count=len(symptoms), limit=MAX_SYMPTOMS)
    for symptom in symptoms:
        _check_text(symptom, MAX_SYMPTOM)
    return symptoms


def check_body(raw: str) -> str:
    """The answer: paragraphs and lines kept as typed, at most :data:`MAX_BODY` characters."""
    # clean_text drops blank lines; an answer's paragraphs need them, so clean each one.
    paragraphs = (clean_text(part)[0] for part in _PARAGRAPHS.split(raw.replace("\r\n", "\n")))
    body = "\n\n".join(part for part in paragraphs if part)
    _check_text(body, MAX_BODY)
    return body


def check_slug(raw: str) -> str:
    """An article id as article files write it (``vpn-drops``)."""
    slug = raw.strip().casefold()
    if not SLUG.match(slug) or len(slug) > MAX_ID:
        raise UserFacingError("kb.invalid.id", id=raw.strip()[:60], limit=MAX_ID)
    return slug


def _check_text(text: str, limit: int) -> None:
    if not text:
        raise UserFacingError("kb.invalid.empty")
    if not has_words(text):
        raise UserFacingError("kb.invalid.no_words")
    if len(text) > limit:
        raise UserFacingError("kb.invalid.too_long", length=len(text), limit=limit)


def topic_list() -> str:
    """Every topic, for the editor to pick from."""
    return ", ".join(sorted(TOPICS))


def slug_for(title: str) -> str:
    """An id made from a title: "Reset a forgotten password" -> ``reset-a-forgotten-password``."""
    slug = ""
    for word in words(title):
        if len(slug) + len(word) + 1 > MAX_ID:
            break
        slug = f"{slug}-{word}" if slug else word
    return slug or "article"


# The finished draft


def languages(draft: Mapping[str, Any]) -> list[str]:
    """The languages the draft saves: the main one, and the other unless skipped."""
    texts = draft["texts"]
    wanted = [MAIN] if draft["skip"] else [MAIN, OTHER]
    return [lang for lang in wanted if all(texts.get(lang, {}).get(n) for n in LANG_FIELDS)]


def docs_of(draft: Mapping[str, Any]) -> list[ArticleDoc]:
    """The article files the draft amounts to, checked by every rule article files follow."""
    docs = []
    for lang in languages(draft):
        texts = draft["texts"][lang]
        doc = ArticleDoc(
            id=draft["slug"], lang=lang, title=texts["title"], topic=draft["topic"],
            symptoms=tuple(texts["symptoms"]), body=texts["body"],
            keywords=tuple(texts.get("keywords") or ()), action=draft["action"],
            needs=tuple(draft["needs"]), tier=draft["tier"],
        )  # fmt: skip
        try:
            parse_article(render_article(doc), f"{doc.id}.{doc.lang}.md")
        except ArticleFileError as error:  # the steps check each field; this is a backstop
            raise UserFacingError("kb.invalid.article", problems=str(error)) from None
        docs.append(doc)
    return docs


def form_of(t: Texts, draft: Mapping[str, Any]) -> tuple[FormField, ...]:
    """Every step as one form (a Slack modal), filled in with the draft."""
    fields = []
    for step in STEPS:
        lang, name = split_step(step)
        language = t(f"kb.lang.{lang}") if lang else ""
        hint = ""
        if name == "topic":
            hint = t("kb.form.topic_hint", topics=topic_list())
        elif step == f"{OTHER}.title":
            hint = t("kb.form.skip_hint", language=language)
        value = shown(current(draft, step))
        multiline = name in ("symptoms", "body")
        fields.append(
            FormField(step, t(f"kb.form.{name}", language=language), hint, value, multiline)
        )
    return tuple(fields)


def fill_from_form(
    draft: dict[str, Any], fields: Mapping[str, str]
) -> list[tuple[str, UserFacingError]]:
    """Put a submitted form into the draft; the steps whose answers were wrong, and why.

    Every field of the other language left empty skips that language.
    """
    draft["skip"] = not any(fields.get(f"{OTHER}.{name}", "").strip() for name in LANG_FIELDS)
    problems = []
    for step in STEPS:
        if draft["skip"] and step.startswith(f"{OTHER}."):
            continue
        try:
            set_value(draft, step, check(step, fields.get(step, "")))
        except UserFacingError as problem:
            problems.append((step, problem))
    return problems


def same(doc: ArticleDoc, row: Article | None) -> bool:
    """Whether saving ``doc`` would leave ``row`` exactly as it is."""
    return row is not None and row.enabled and not row.draft and to_doc(row) == doc
