"""An in-memory knowledge base: articles by id and language, plus their matcher."""

from __future__ import annotations

from collections.abc import Iterable

from knowledge.articles import ArticleDoc
from knowledge.matching import Matcher, MatchResult


class KnowledgeBase:
    """The enabled articles Level I answers from."""

    def __init__(self, docs: Iterable[ArticleDoc]) -> None:
        self._docs = {doc.key: doc for doc in docs}
        self._matcher = Matcher(self._docs.values())

    def __len__(self) -> int:
        return len({article_id for article_id, _ in self._docs})

    def match(self, text: str, *, top: int = 3) -> MatchResult:
        """Rank articles for a user's description."""
        return self._matcher.match(text, top=top)

    def article(self, article_id: str, lang: str) -> ArticleDoc | None:
        """The article in ``lang``, else in English, else in any language it exists in."""
        for candidate in (lang, "en"):
            if (doc := self._docs.get((article_id, candidate))) is not None:
                return doc
        return next((doc for key, doc in self._docs.items() if key[0] == article_id), None)
