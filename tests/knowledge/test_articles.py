"""Article files: parsing, precise problem reports, rendering, and folder-wide checks."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from knowledge.articles import (
    ArticleDoc,
    ArticleFileError,
    ArticleProblem,
    check_collection,
    parse_article,
    read_folder,
    render_article,
)

BODY = "1. Check that Caps Lock is off.\n2. Tell me your work email so I can reset it."

DEFAULTS = {
    "id": "password-reset",
    "lang": "en",
    "title": "Reset a forgotten password",
    "topic": "password_reset",
    "symptoms": "[I forgot my password, my password expired]",
    "keywords": "[password, forgot]",
    "action": "password_reset",
    "needs": "[email]",
    "tier": "2",
}


def article_text(body: str = BODY, **fields: str | None) -> str:
    """An article file, one front-matter field per line; a field set to None is left out."""
    values = {**DEFAULTS, **fields}
    front = [f"{name}: {value}" for name, value in values.items() if value is not None]
    return "\n".join(["---", *front, "---", body, ""])


def line_of(text: str, start: str) -> int:
    """The 1-based number of the first line of ``text`` that starts with ``start``."""
    return next(n for n, line in enumerate(text.split("\n"), 1) if line.startswith(start))


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def problems(path: Path) -> list[tuple[str, int, str]]:
    """(file, line, field) of every problem reading ``path``."""
    with pytest.raises(ArticleFileError) as caught:
        read_folder(path)
    return [(problem.path, problem.line, problem.field) for problem in caught.value.problems]


def doc(**changes: object) -> ArticleDoc:
    base = ArticleDoc(
        id="password-reset",
        lang="en",
        title="Reset a forgotten password",
        topic="password_reset",
        symptoms=("I forgot my password",),
        body=BODY,
        keywords=("password",),
        action="password_reset",
        needs=("email",),
        tier=2,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


# --- a valid file ---------------------------------------------------------------------------


def test_a_valid_file_parses() -> None:
    parsed = parse_article(article_text(), "password-reset.en.md")

    assert parsed == doc(
        symptoms=("I forgot my password", "my password expired"),
        keywords=("password", "forgot"),
    )


def test_optional_fields_default() -> None:
    text = article_text(keywords=None, action=None, needs=None, tier=None)

    parsed = parse_article(text, "password-reset.en.md")

    assert (parsed.keywords, parsed.action, parsed.needs, parsed.tier) == ((), None, (), 2)


def test_windows_line_endings_and_a_byte_order_mark_are_accepted() -> None:
    text = "\ufeff" + article_text().replace("\n", "\r\n")

    assert parse_article(text, "password-reset.en.md").title == "Reset a forgotten password"


def test_render_then_parse_gives_the_same_doc() -> None:
    original = parse_article(article_text(), "password-reset.en.md")

    assert parse_article(render_article(original), "password-reset.en.md") == original


def test_render_round_trips_text_that_yaml_would_misread() -> None:
    tricky = doc(
        lang="id",
        title='Kata sandi: lupa & kedaluwarsa — "cepat"',
        symptoms=("yes", "123", "---", "null", "saya lupa kata sandi: tolong!", "# not a comment"),
        keywords=("on", "2.0", "sandi"),
        body="---\n1. Buka portal.\n2. Klik **Reset**.",
    )

    assert parse_article(render_article(tricky), "password-reset.id.md") == tricky


def test_a_file_with_no_action_round_trips() -> None:
    plain = doc(action=None, needs=(), keywords=(), tier=1)

    assert parse_article(render_article(plain)) == plain


# --- problems, each with file, line and field ----------------------------------------------


def test_missing_front_matter(tmp_path: Path) -> None:
    path = write(tmp_path, "password-reset.en.md", "# Reset a password\n\n" + BODY)

    assert problems(path) == [(str(path), 1, "")]


def test_unclosed_front_matter(tmp_path: Path) -> None:
    text = article_text().replace("\n---\n1.", "\n1.")
    path = write(tmp_path, "password-reset.en.md", text)

    assert problems(path) == [(str(path), 1, "")]


def test_invalid_yaml_is_reported_at_the_line_of_the_error(tmp_path: Path) -> None:
    text = article_text(title="Reset: a: password")
    path = write(tmp_path, "password-reset.en.md", text)

    assert problems(path) == [(str(path), line_of(text, "title:"), "")]


def test_invalid_yaml_message_says_so(tmp_path: Path) -> None:
    path = write(tmp_path, "password-reset.en.md", article_text(symptoms="[unclosed"))

    with pytest.raises(ArticleFileError, match="invalid YAML"):
        read_folder(path)


def test_front_matter_that_is_not_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "password-reset.en.md", "---\n- just\n- a list\n---\n" + BODY)

    assert problems(path) == [(str(path), 2, "")]


def test_unknown_field_is_reported_at_its_line(tmp_path: Path) -> None:
    text = article_text(priority="high")
    path = write(tmp_path, "password-reset.en.md", text)

    assert problems(path) == [(str(path), line_of(text, "priority:"), "priority")]


@pytest.mark.parametrize("name", ["id", "lang", "title", "topic", "symptoms"])
def test_missing_required_field(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, "password-reset.en.md", article_text(**{name: None}))

    found = problems(path)

    assert (str(path), 1, name) in found
    assert {field for _, _, field in found} == {name}


def test_unknown_topic_is_reported_at_its_line(tmp_path: Path) -> None:
    text = article_text(topic="printers")
    path = write(tmp_path, "password-reset.en.md", text)

    assert problems(path) == [(str(path), line_of(text, "topic:"), "topic")]


def test_unknown_action_is_reported_at_its_line(tmp_path: Path) -> None:
    text = article_text(action="reboot_server")
    path = write(tmp_path, "password-reset.en.md", text)

    assert problems(path) == [(str(path), line_of(text, "action:"), "action")]


def test_an_action_written_as_a_list_is_reported_not_a_crash(tmp_path: Path) -> None:
    text = article_text(action="[password_reset]")
    path = write(tmp_path, "password-reset.en.md", text)

    assert problems(path) == [(str(path), line_of(text, "action:"), "action")]


def test_unknown_needs_entry_is_reported_at_its_line(tmp_path: Path) -> None:
    text = article_text(needs="[email, shoe_size]")
    path = write(tmp_path, "password-reset.en.md", text)

    with pytest.raises(ArticleFileError, match="shoe_size"):
        read_folder(path)
    assert problems(path) == [(str(path), line_of(text, "needs:"), "needs")]


@pytest.mark.parametrize("tier", ["7", "0", "true", "'2'"])
def test_tier_outside_one_to_three(tmp_path: Path, tier: str) -> None:
    text = article_text(tier=tier)
    path = write(tmp_path, "password-reset.en.md", text)

    assert problems(path) == [(str(path), line_of(text, "tier:"), "tier")]


def test_a_fractional_tier_is_reported(tmp_path: Path) -> None:
    text = article_text(tier="2.0")
    path = write(tmp_path, "password-reset.en.md", text)

    assert problems(path) == [(str(path), line_of(text, "tier:"), "tier")]


def test_empty_body_is_reported_after_the_front_matter(tmp_path: Path) -> None:
    text = article_text(body="   \n\n")
    path = write(tmp_path, "password-reset.en.md", text)
    closing = text.split("\n").index("---", 1) + 1

    assert problems(path) == [(str(path), closing, "body")]


def test_symptoms_must_be_a_list(tmp_path: Path) -> None:
    text = article_text(symptoms="I forgot my password")
    path = write(tmp_path, "password-reset.en.md", text)

    assert problems(path) == [(str(path), line_of(text, "symptoms:"), "symptoms")]


def test_symptoms_must_not_be_empty(tmp_path: Path) -> None:
    text = article_text(symptoms="[]")
    path = write(tmp_path, "password-reset.en.md", text)

    assert problems(path) == [(str(path), line_of(text, "symptoms:"), "symptoms")]


def test_unknown_language(tmp_path: Path) -> None:
    text = article_text(lang="fr")
    path = write(tmp_path, "password-reset.fr.md", text)

    assert problems(path) == [(str(path), line_of(text, "lang:"), "lang")]


def test_id_must_be_a_slug(tmp_path: Path) -> None:
    text = article_text(id="Password_Reset")
    path = write(tmp_path, "password-reset.en.md", text)

    assert (str(path), line_of(text, "id:"), "id") in problems(path)


def test_file_name_must_match_the_id(tmp_path: Path) -> None:
    path = write(tmp_path, "reset-password.en.md", article_text())

    assert problems(path) == [(str(path), 1, "id")]


def test_file_name_must_match_the_language(tmp_path: Path) -> None:
    path = write(tmp_path, "password-reset.id.md", article_text())

    found = problems(path)

    assert found == [(str(path), 1, "id")]


def test_binary_file(tmp_path: Path) -> None:
    path = write(tmp_path, "password-reset.en.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")

    assert problems(path) == [(str(path), 1, "")]
    with pytest.raises(ArticleFileError, match="binary"):
        read_folder(path)


def test_non_utf8_file_is_reported_at_the_line_of_the_bad_byte(tmp_path: Path) -> None:
    text = article_text(title="Reset a forgotten password")
    data = text.encode().replace(b"forgotten", b"forgott\xe9n")
    path = write(tmp_path, "password-reset.en.md", data)

    assert problems(path) == [(str(path), line_of(text, "title:"), "")]
    with pytest.raises(ArticleFileError, match="UTF-8"):
        read_folder(path)


def test_every_problem_in_a_file_is_reported_at_once(tmp_path: Path) -> None:
    text = article_text(topic="printers", tier="7", priority="high")
    path = write(tmp_path, "password-reset.en.md", text)

    assert {field for _, _, field in problems(path)} == {"topic", "tier", "priority"}


def test_problem_reads_as_file_line_field_message() -> None:
    problem = ArticleProblem("kb/a.en.md", 4, "topic", "'printers' is not a known topic")

    assert str(problem) == "kb/a.en.md:4: topic: 'printers' is not a known topic"


# --- folders: all or nothing ------------------------------------------------------------------


def test_read_folder_returns_every_article(tmp_path: Path) -> None:
    write(tmp_path, "password-reset.en.md", article_text())
    write(tmp_path, "password-reset.id.md", article_text(lang="id", title="Lupa kata sandi"))
    write(tmp_path, "README.txt", "not an article")

    docs = read_folder(tmp_path)

    assert sorted(d.key for d in docs) == [("password-reset", "en"), ("password-reset", "id")]


def test_one_bad_file_among_good_ones_loads_nothing(tmp_path: Path) -> None:
    write(tmp_path, "password-reset.en.md", article_text())
    write(tmp_path, "password-reset.id.md", article_text(lang="id", title="Lupa kata sandi"))
    bad = write(tmp_path, "printer-jam.en.md", article_text(id="printer-jam", topic="printers"))

    with pytest.raises(ArticleFileError) as caught:
        read_folder(tmp_path)

    assert [problem.path for problem in caught.value.problems] == [str(bad)]


def test_an_empty_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ArticleFileError, match="no article files"):
        read_folder(tmp_path)


# --- languages of one article must agree --------------------------------------------------------


def test_languages_that_agree_have_no_problems() -> None:
    english = doc()
    indonesian = doc(lang="id", title="Lupa kata sandi", symptoms=("saya lupa kata sandi",))

    assert list(check_collection([english, indonesian])) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("topic", "account_locked"),
        ("needs", ("email", "username")),
        ("tier", 3),
        ("action", None),
    ],
)
def test_languages_that_disagree_are_reported(field: str, value: object) -> None:
    english = doc()
    indonesian = doc(lang="id", **{field: value})

    found = list(check_collection([english, indonesian]))

    assert [(p.path, p.field) for p in found] == [("password-reset.id.md", field)]


def test_two_files_for_one_id_and_language_are_reported() -> None:
    found = list(check_collection([doc(), doc(title="Another title")]))

    assert [(p.path, p.field) for p in found] == [("password-reset.en.md", "id")]


def test_read_folder_checks_languages_agree(tmp_path: Path) -> None:
    write(tmp_path, "password-reset.en.md", article_text())
    write(tmp_path, "password-reset.id.md", article_text(lang="id", tier="3"))

    with pytest.raises(ArticleFileError) as caught:
        read_folder(tmp_path)

    problems = [(p.path, p.line, p.field) for p in caught.value.problems]
    assert problems == [(str(tmp_path / "password-reset.id.md"), 1, "tier")]


def test_an_id_too_long_for_a_button_is_reported(tmp_path: Path) -> None:
    long_id = "-".join(["password"] * 6)  # 53 characters: "article:<id>" would pass 64 bytes
    text = article_text(id=long_id)
    path = write(tmp_path, f"{long_id}.en.md", text)

    assert problems(path) == [(str(path), line_of(text, "id:"), "id")]
