"""The index is updated in place: changes behave exactly like a rebuild."""

from __future__ import annotations

from knowledge.articles import ArticleDoc
from knowledge.base import KnowledgeBase
from knowledge.index import COMPACT_AT
from knowledge.matching import Matcher


def article(
    article_id: str, *, symptoms: tuple[str, ...], lang: str = "en", title: str = ""
) -> ArticleDoc:
    return ArticleDoc(
        id=article_id, lang=lang, title=title or symptoms[0], topic="other",
        symptoms=symptoms, body="Steps.",
    )  # fmt: skip


DOCS = [
    article("printer", symptoms=("printer not printing", "print jobs stuck in the queue")),
    article("printer", lang="id", symptoms=("printer tidak bisa mencetak", "antrean macet")),
    article("vpn", symptoms=("vpn will not connect", "vpn keeps dropping")),
    article("wifi", symptoms=("wifi is slow", "cannot join the office wifi")),
    article("password", symptoms=("forgot my password", "password expired")),
]
QUERIES = ["printer stuck", "vpn dropping", "forgot password", "wifi slow", "antrean printer"]


def ranking(matcher: Matcher) -> list[list[tuple[str, float]]]:
    return [[(m.article, m.score) for m in matcher.match(q).matches] for q in QUERIES]


def test_adding_one_by_one_equals_building_at_once() -> None:
    incremental = Matcher()
    for doc in DOCS:
        incremental.add(doc)
    assert ranking(incremental) == ranking(Matcher(DOCS))


def test_a_changed_article_matches_its_new_words_only() -> None:
    matcher = Matcher(DOCS)
    matcher.add(article("vpn", symptoms=("remote access client fails",)))
    assert matcher.match("remote access client").best.article == "vpn"  # type: ignore[union-attr]
    assert "vpn" not in [m.article for m in matcher.match("vpn dropping").matches]


def test_removing_and_re_adding_gives_the_same_answers_as_a_fresh_build() -> None:
    matcher = Matcher(DOCS)
    for _ in range(5):  # enough churn to force compactions
        for doc in DOCS:
            matcher.remove(doc.id, doc.lang)
            matcher.add(doc)
    assert matcher.index._dead / max(1, len(matcher.index.phrases)) <= COMPACT_AT
    assert len(matcher.index._docs) <= len(DOCS) + 1  # document slots are reused
    assert ranking(matcher) == ranking(Matcher(DOCS))


def test_a_removed_article_is_never_matched() -> None:
    matcher = Matcher(DOCS)
    matcher.remove("password", "en")
    assert all(m.article != "password" for m in matcher.match("forgot my password").matches)
    assert matcher.index.article_count == 3


def test_an_article_in_two_languages_counts_once_for_rarity() -> None:
    matcher = Matcher(DOCS)
    assert matcher.index.article_count == 4
    printer = matcher.index.term_id("printer")
    assert matcher.index.df[printer] == 1  # in both files of one article
    matcher.remove("printer", "id")
    assert matcher.index.df[printer] == 1
    matcher.remove("printer", "en")
    assert matcher.index.term_id("printer") is None


def test_rarer_words_weigh_more() -> None:
    matcher = Matcher(DOCS)
    assert matcher.idf("queue") > matcher.idf("the")  # queue: one article; the: two
    assert matcher.idf("never-seen-word") > matcher.idf("printer")


def test_the_knowledge_base_applies_an_edit_without_a_rebuild() -> None:
    kb = KnowledgeBase(DOCS)
    edited = article("wifi", symptoms=("guest network portal never loads",))
    kb.put(edited)
    assert kb.article("wifi", "en") == edited
    assert kb.match("guest network portal").best.article == "wifi"  # type: ignore[union-attr]
    kb.drop("wifi", "en")
    assert kb.article("wifi", "en") is None
    assert all(m.article != "wifi" for m in kb.match("guest network portal").matches)
    kb.drop("wifi", "en")  # dropping twice is harmless
