"""The knowledge base shipped with Garda: valid, complete, bilingual and finished."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from knowledge.articles import ArticleDoc, read_folder
from knowledge.language import detect_language
from knowledge.store import BUNDLED
from knowledge.vocab import LANGUAGES, TOPICS

PLACEHOLDER = re.compile(r"\b(todo|lorem|ipsum|tbd|xxx+|fixme)\b", re.IGNORECASE)
NUMBERED_STEP = re.compile(r"^\s*(\d+)\.\s+\S", re.MULTILINE)

DOCS = read_folder(BUNDLED)


def by_id() -> dict[str, set[str]]:
    languages: dict[str, set[str]] = defaultdict(set)
    for doc in DOCS:
        languages[doc.id].add(doc.lang)
    return languages


def label(doc: ArticleDoc) -> str:
    return f"{doc.id}.{doc.lang}"


def test_the_bundled_folder_validates() -> None:
    assert len(read_folder(BUNDLED)) == len(list(BUNDLED.glob("*.md")))


def test_there_are_at_least_forty_articles() -> None:
    assert len(by_id()) >= 40


def test_every_article_is_in_english_and_indonesian() -> None:
    missing = {article: langs for article, langs in by_id().items() if langs != {"en", "id"}}

    assert missing == {}
    assert len(DOCS) >= 80
    assert set(LANGUAGES) == {"en", "id"}


def test_every_topic_has_an_article() -> None:
    assert TOPICS - {doc.topic for doc in DOCS} == set()


@pytest.mark.parametrize("doc", DOCS, ids=label)
def test_body_has_no_placeholder_text(doc: ArticleDoc) -> None:
    assert PLACEHOLDER.findall(f"{doc.title}\n{doc.body}") == []


@pytest.mark.parametrize("doc", DOCS, ids=label)
def test_body_has_numbered_steps(doc: ArticleDoc) -> None:
    steps = [int(number) for number in NUMBERED_STEP.findall(doc.body)]

    assert steps[:2] == [1, 2]


@pytest.mark.parametrize("doc", DOCS, ids=label)
def test_body_is_written_in_its_language(doc: ArticleDoc) -> None:
    assert detect_language(doc.body) == doc.lang


@pytest.mark.parametrize("doc", DOCS, ids=label)
def test_title_and_symptoms_are_filled_in(doc: ArticleDoc) -> None:
    assert doc.title.strip()
    assert len(doc.symptoms) >= 2
