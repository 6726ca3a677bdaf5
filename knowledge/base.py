"""An in-memory knowledge base: articles by id and language, plus their matcher."""

from __future__ import annotations

from collections.abc import Iterable

from knowledge.articles import ArticleDoc
from knowledge.lexicon import Lexicon
from knowledge.matching import Matcher, MatchResult


class KnowledgeBase:
    """The enabled articles Level I answers from; changes update the index in place."""

    def __init__(self, docs: Iterable[ArticleDoc], *, lexicon: Lexicon | None = None) -> None:
        self._docs: dict[tuple[str, str], ArticleDoc] = {doc.key: doc for doc in docs}
        self._matcher = Matcher(self._docs.values(), lexicon=lexicon)

    def __len__(self) -> int:
        return len({article_id for article_id, _ in self._docs})

    def put(self, doc: ArticleDoc) -> None:
        """Add or replace one article in one language."""
        if self._docs.get(doc.key) == doc:
            return  # a reload of unchanged text: re-indexing would only cost time
        self._docs[doc.key] = doc
        self._matcher.add(doc)

    def drop(self, article_id: str, lang: str) -> None:
        """Remove one article in one language (no-op if absent)."""
        if self._docs.pop((article_id, lang), None) is not None:
            self._matcher.remove(article_id, lang)

    def match(self, text: str, *, top: int = 3) -> MatchResult:
        """Rank articles for a user's description."""
        return self._matcher.match(text, top=top)

    def article(self, article_id: str, lang: str) -> ArticleDoc | None:
        """The article in ``lang``, else in English, else in any language it exists in."""
        for candidate in (lang, "en"):
            if (doc := self._docs.get((article_id, candidate))) is not None:
                return doc
        return next((doc for key, doc in self._docs.items() if key[0] == article_id), None)
