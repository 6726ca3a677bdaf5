"""Matching queries against the knowledge base, language detection and small talk."""

from __future__ import annotations

import pytest

from knowledge.articles import ArticleDoc, read_folder
from knowledge.base import KnowledgeBase
from knowledge.language import detect_language
from knowledge.matching import Decision, Matcher
from knowledge.smalltalk import small_talk
from knowledge.store import BUNDLED
from knowledge.text import words


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase(read_folder(BUNDLED))


def article(article_id: str, lang: str = "en", **fields: object) -> ArticleDoc:
    values: dict[str, object] = {
        "title": f"{article_id} title",
        "topic": "other",
        "symptoms": (f"{article_id} symptom",),
        "body": "1. Do this.\n2. Then that.",
    }
    values.update(fields)
    return ArticleDoc(id=article_id, lang=lang, **values)  # type: ignore[arg-type]


# --- the bundled knowledge base ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("I forgot my password", "password-reset"),
        ("saya lupa kata sandi", "password-reset"),
        ("my account is locked", "account-locked"),
        ("printer not printing", "printer-not-printing"),
    ],
)
def test_a_clear_description_is_answered(kb: KnowledgeBase, query: str, expected: str) -> None:
    result = kb.match(query)

    assert result.decision is Decision.ANSWER
    assert result.best is not None
    assert result.best.article == expected


def test_an_off_topic_request_is_escalated(kb: KnowledgeBase) -> None:
    assert kb.match("order a pizza with extra cheese").decision is Decision.ESCALATE


@pytest.mark.parametrize("query", ["", "   ", "😀🙏🔥", "?!... ---", "the and of"])
def test_a_query_with_no_words_is_escalated_without_matches(kb: KnowledgeBase, query: str) -> None:
    result = kb.match(query)

    assert result.decision is Decision.ESCALATE
    assert result.matches == ()
    assert result.best is None


@pytest.mark.parametrize("query", ["pasword reset", "forgot my pasword", "passwrod reset"])
def test_a_misspelt_query_still_finds_the_article(kb: KnowledgeBase, query: str) -> None:
    result = kb.match(query)

    assert result.best is not None
    assert result.best.article == "password-reset"


def test_an_ambiguous_query_asks_which_was_meant(kb: KnowledgeBase) -> None:
    result = kb.match("vpn")

    assert result.decision is Decision.CLARIFY
    assert {"vpn-cannot-connect", "vpn-drops"} <= {m.article for m in result.matches[:3]}


@pytest.mark.parametrize(
    "query", ["I forgot my password", "vpn", "wifi slow", "komputer lemot", "email"]
)
def test_matches_are_ordered_by_score(kb: KnowledgeBase, query: str) -> None:
    scores = [match.score for match in kb.match(query, top=10).matches]

    assert scores == sorted(scores, reverse=True)
    assert all(0 <= score <= 1 for score in scores)


def test_top_limits_the_number_of_matches(kb: KnowledgeBase) -> None:
    assert len(kb.match("password", top=1).matches) == 1
    assert len(kb.match("password", top=5).matches) <= 5


def test_each_article_is_ranked_once_whatever_its_languages(kb: KnowledgeBase) -> None:
    articles = [match.article for match in kb.match("password", top=20).matches]

    assert len(articles) == len(set(articles))


def test_the_knowledge_base_counts_articles_not_files(kb: KnowledgeBase) -> None:
    assert len(kb) == len({doc.id for doc in read_folder(BUNDLED)})


# --- KnowledgeBase.article --------------------------------------------------------------------


def test_article_in_the_asked_language() -> None:
    base = KnowledgeBase([article("printer-add"), article("printer-add", "id")])

    assert base.article("printer-add", "id") == article("printer-add", "id")


def test_article_falls_back_to_english() -> None:
    base = KnowledgeBase([article("printer-add"), article("printer-add", "id")])
    english_only = KnowledgeBase([article("printer-add")])

    assert english_only.article("printer-add", "id") == article("printer-add")
    assert base.article("printer-add", "fr") == article("printer-add")


def test_article_falls_back_to_any_language_without_english() -> None:
    base = KnowledgeBase([article("printer-add", "id")])

    assert base.article("printer-add", "en") == article("printer-add", "id")


def test_an_unknown_article_is_none() -> None:
    assert KnowledgeBase([article("printer-add")]).article("nope", "en") is None


# --- Matcher on its own ----------------------------------------------------------------------


def test_an_empty_matcher_escalates() -> None:
    result = Matcher([]).match("I forgot my password")

    assert (result.decision, result.matches) == (Decision.ESCALATE, ())


def test_a_rarer_word_counts_for_more() -> None:
    matcher = Matcher(
        [
            article("a", symptoms=("computer printer",)),
            article("b", symptoms=("computer screen",)),
            article("c", symptoms=("computer keyboard",)),
        ]
    )

    assert matcher.idf("printer") > matcher.idf("computer")


def test_short_words_must_match_exactly() -> None:
    matcher = Matcher([article("vpn-drops", symptoms=("vpn drops",), title="VPN drops")])

    result = matcher.match("vpa")  # a tiny KB is still ranked, but nothing was explained
    assert result.decision is Decision.ESCALATE
    assert all(match.words == () and match.coverage == 0 for match in result.matches)


# --- language detection ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("I forgot my password", "en"),
        ("my laptop is slow and keeps freezing", "en"),
        ("saya lupa kata sandi", "id"),
        ("akun saya terkunci, tolong dibuka", "id"),
        ("ok", None),
        ("wifi", None),
        ("", None),
        ("😀", None),
    ],
)
def test_detect_language(text: str, lang: str | None) -> None:
    assert detect_language(text) == lang


# --- small talk -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("hi", "greeting"),
        ("Hello there!", "greeting"),
        ("selamat pagi", "greeting"),
        ("terima kasih", "thanks"),
        ("thanks!", "thanks"),
        ("Makasih banyak", "thanks"),
        ("I forgot my password", None),
        ("hi, my printer is broken", None),
        ("terima kasih, tapi vpn masih putus", None),
        ("", None),
        ("!!!", None),
    ],
)
def test_small_talk(text: str, kind: str | None) -> None:
    assert small_talk(words(text)) == kind
