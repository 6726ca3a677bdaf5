"""Knowledge-base article files: parse, validate (with file, line and field) and render."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from knowledge.text import load_yaml
from knowledge.vocab import ACTIONS, FACTS, LANGUAGES, TIERS, TOPICS

FILE_NAME = re.compile(r"^(?P<id>[a-z0-9]+(?:-[a-z0-9]+)*)\.(?P<lang>[a-z]{2})\.md$")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FIELDS = ("id", "lang", "title", "topic", "symptoms", "keywords", "action", "needs", "tier")
SHARED_FIELDS = ("topic", "action", "needs", "tier")  # equal in every language of an article
MAX_FILE_BYTES = 256 * 1024
MAX_ID = 48  # a button's data carries "article:<id>", and Telegram allows 64 bytes


@dataclass(frozen=True)
class ArticleDoc:
    """One article in one language, as written in its file."""

    id: str
    lang: str
    title: str
    topic: str
    symptoms: tuple[str, ...]
    body: str
    keywords: tuple[str, ...] = ()
    action: str | None = None
    needs: tuple[str, ...] = ()
    tier: int = 2

    @property
    def key(self) -> tuple[str, str]:
        """(id, lang): unique within a knowledge base."""
        return (self.id, self.lang)

    def fields(self) -> dict[str, Any]:
        """The article as plain JSON-friendly values."""
        values = asdict(self)
        for name in ("symptoms", "keywords", "needs"):
            values[name] = list(values[name])
        return values


@dataclass(frozen=True)
class ArticleProblem:
    """One thing wrong with an article file, located precisely."""

    path: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = (
            f"{self.path}:{self.line}: {self.field}" if self.field else f"{self.path}:{self.line}"
        )
        return f"{where}: {self.message}"


class ArticleFileError(ValueError):
    """Raised when article files are invalid; nothing from them was loaded."""

    def __init__(self, problems: list[ArticleProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


@dataclass
class _Checker:
    path: str
    problems: list[ArticleProblem] = field(default_factory=list)

    def fail(self, line: int, name: str, message: str) -> None:
        self.problems.append(ArticleProblem(self.path, line, name, message))


def parse_article(text: str, path: str = "<text>") -> ArticleDoc:
    """Parse one article file; raise :class:`ArticleFileError` listing every problem."""
    checker = _Checker(path)
    doc = _parse(text, checker)
    if checker.problems or doc is None:
        raise ArticleFileError(checker.problems)
    return doc


def _parse(text: str, checker: _Checker) -> ArticleDoc | None:
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        checker.fail(1, "", "the file must start with a '---' line opening the front matter")
        return None
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        checker.fail(1, "", "the front matter is never closed by a '---' line")
        return None
    front, body = "\n".join(lines[1:end]), "\n".join(lines[end + 1 :]).strip()
    values, positions = _front_matter(front, checker)
    if values is None:
        return None
    for name, line in positions.items():
        if name not in FIELDS:
            checker.fail(line, name, f"unknown field (allowed: {', '.join(FIELDS)})")

    def line_of(name: str) -> int:
        return positions.get(name, 1)

    for name in ("id", "lang", "title", "topic", "symptoms"):
        if name not in values:
            checker.fail(1, name, "required field is missing")
    if not body:
        checker.fail(end + 1, "body", "the answer text after the front matter is empty")

    article_id = _string(values, "id", checker, line_of("id"))
    if article_id and not SLUG.match(article_id):
        checker.fail(line_of("id"), "id", "use lowercase letters, digits and single '-'")
    elif len(article_id or "") > MAX_ID:
        checker.fail(line_of("id"), "id", f"at most {MAX_ID} characters")
    lang = _string(values, "lang", checker, line_of("lang"))
    if lang and lang not in LANGUAGES:
        checker.fail(line_of("lang"), "lang", f"{lang!r} is not one of {', '.join(LANGUAGES)}")
    title = _string(values, "title", checker, line_of("title"))
    topic = _string(values, "topic", checker, line_of("topic"))
    if topic and topic not in TOPICS:
        checker.fail(line_of("topic"), "topic", f"{topic!r} is not a known topic")
    symptoms = _strings(values, "symptoms", checker, line_of("symptoms"), required=True)
    keywords = _strings(values, "keywords", checker, line_of("keywords"))
    needs = _strings(values, "needs", checker, line_of("needs"))
    for need in needs:
        if need not in FACTS:
            checker.fail(line_of("needs"), "needs", f"{need!r} is not one of {', '.join(FACTS)}")
    action = values.get("action")
    if action is not None and (not isinstance(action, str) or action not in ACTIONS):
        checker.fail(line_of("action"), "action", f"{action!r} is not one of {sorted(ACTIONS)}")
    tier = values.get("tier", 2)
    if type(tier) is not int or tier not in TIERS:  # not 2.0, not True
        checker.fail(line_of("tier"), "tier", f"{tier!r} must be 1, 2 or 3")
    _check_file_name(checker, article_id, lang)
    if checker.problems:
        return None
    return ArticleDoc(
        id=article_id, lang=lang, title=title, topic=topic, symptoms=symptoms, body=body,
        keywords=keywords, action=action, needs=needs, tier=tier,
    )  # fmt: skip


def _front_matter(front: str, checker: _Checker) -> tuple[dict[str, Any] | None, dict[str, int]]:
    """Load the YAML front matter and remember the file line of each top-level field."""
    try:
        node = yaml.compose(front, Loader=yaml.SafeLoader)
        values = load_yaml(front)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 2
        checker.fail(line, "", f"invalid YAML: {getattr(error, 'problem', None) or error}")
        return None, {}
    if not isinstance(values, dict) or not isinstance(node, yaml.MappingNode):
        checker.fail(2, "", "the front matter must be a mapping of field: value")
        return None, {}
    positions: dict[str, int] = {}
    for key, _ in node.value:
        line = key.start_mark.line + 2
        if str(key.value) in positions:
            checker.fail(line, str(key.value), "appears twice; keep one")
        positions.setdefault(str(key.value), line)
    return values, positions


def _string(values: dict[str, Any], name: str, checker: _Checker, line: int) -> str:
    value = values.get(name)
    if value is None:
        return ""
    if not isinstance(value, str) or not value.strip():
        checker.fail(line, name, "must be a non-empty text")
        return ""
    return value.strip()


def _strings(
    values: dict[str, Any], name: str, checker: _Checker, line: int, *, required: bool = False
) -> tuple[str, ...]:
    value = values.get(name)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        checker.fail(line, name, "must be a list of non-empty texts")
        return ()
    if required and not value:
        checker.fail(line, name, "needs at least one entry")
    return tuple(v.strip() for v in value)


def _check_file_name(checker: _Checker, article_id: str, lang: str) -> None:
    name = Path(checker.path).name
    if not name.endswith(".md") or not article_id or not lang:
        return
    expected = f"{article_id}.{lang}.md"
    if name != expected:
        checker.fail(1, "id", f"the file must be named {expected} to match its id and lang")


def read_folder(folder: Path) -> list[ArticleDoc]:
    """Read and validate every ``*.md`` article under ``folder``: all of them or none."""
    paths = sorted(folder.glob("*.md")) if folder.is_dir() else [folder]
    if not paths or not all(path.is_file() for path in paths):
        raise ArticleFileError([ArticleProblem(str(folder), 0, "", "no article files found")])
    docs: list[ArticleDoc] = []
    problems: list[ArticleProblem] = []
    where: dict[tuple[str, str], str] = {}
    for path in paths:
        try:
            docs.append(parse_article(_read_text(path), str(path)))
            where[docs[-1].key] = str(path)
        except ArticleFileError as error:
            problems.extend(error.problems)
    problems.extend(check_collection(docs, where))
    if problems:
        raise ArticleFileError(problems)
    return docs


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    if len(data) > MAX_FILE_BYTES:
        raise ArticleFileError([ArticleProblem(str(path), 1, "", "file is larger than 256 KB")])
    if b"\x00" in data:
        raise ArticleFileError([ArticleProblem(str(path), 1, "", "binary file, not Markdown")])
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ArticleFileError([ArticleProblem(str(path), line, "", "not UTF-8 text")]) from None


def check_collection(
    docs: Iterable[ArticleDoc], where: Mapping[tuple[str, str], str] | None = None
) -> Iterator[ArticleProblem]:
    """Problems between files: duplicates, and languages of one article that disagree."""
    by_id: dict[str, list[ArticleDoc]] = {}
    for doc in docs:
        by_id.setdefault(doc.id, []).append(doc)

    def path(doc: ArticleDoc) -> str:
        return (where or {}).get(doc.key, f"{doc.id}.{doc.lang}.md")

    for versions in by_id.values():
        first = versions[0]
        for other in versions[1:]:
            if other.lang == first.lang:
                yield ArticleProblem(path(other), 1, "id", f"a second {other.lang} file for one id")
            for name in SHARED_FIELDS:
                if getattr(other, name) != getattr(first, name):
                    message = f"differs from {path(first)}; all languages of an article must agree"
                    yield ArticleProblem(path(other), 1, name, message)


def render_article(doc: ArticleDoc) -> str:
    """The file text for ``doc``; parsing it gives ``doc`` back."""
    front: dict[str, Any] = {
        "id": doc.id, "lang": doc.lang, "title": doc.title, "topic": doc.topic,
        "symptoms": list(doc.symptoms),
    }  # fmt: skip
    if doc.keywords:
        front["keywords"] = list(doc.keywords)
    if doc.action:
        front["action"] = doc.action
    if doc.needs:
        front["needs"] = list(doc.needs)
    front["tier"] = doc.tier
    text = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=100)
    return f"---\n{text}---\n{doc.body.strip()}\n"
