"""The ``garda kb`` and ``garda db`` commands, run as a user would run them.

Plain (sync) tests: the commands call ``asyncio.run`` themselves.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from typer.testing import CliRunner, Result

from bot.cli import app
from knowledge.revisions import to_doc
from knowledge.store import BUNDLED, save_draft
from models.db import make_engine, make_sessions
from models.migrate import head_revision
from models.tables import Article, ArticleRevision

BUNDLED_FILES = len(list(BUNDLED.glob("*.md")))


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh SQLite file that the CLI uses through ``GARDA_DATABASE_URL``."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("GARDA_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)  # no stray .env or ./garda.db from the checkout
    return url


def garda(*args: str | Path, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, [str(arg) for arg in args], input=stdin)


def article_text(
    article_id: str = "password-reset",
    lang: str = "en",
    *,
    title: str = "Reset a forgotten password",
    topic: str = "password_reset",
) -> str:
    return (
        "---\n"
        f"id: {article_id}\n"
        f"lang: {lang}\n"
        f"title: {title}\n"
        f"topic: {topic}\n"
        "symptoms:\n"
        "  - I forgot my password\n"
        "  - my password expired\n"
        "keywords: [password, forgot]\n"
        "action: password_reset\n"
        "needs: [email]\n"
        "tier: 2\n"
        "---\n"
        "1. Check that Caps Lock is off.\n"
        "2. Tell me your work email so I can reset it.\n"
    )


def kb_folder(folder: Path, **files: str) -> Path:
    """A folder of article files: ``kb_folder(path, **{"a.en.md": text})``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def jsonl(*rows: Any) -> str:
    return "".join(row if isinstance(row, str) else json.dumps(row) + "\n" for row in rows)


def output_rows(result: Result) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def stored(url: str) -> tuple[list[Article], list[ArticleRevision]]:
    """Every article row and revision row in the database at ``url``."""

    async def read() -> tuple[list[Article], list[ArticleRevision]]:
        engine = make_engine(url)
        try:
            async with make_sessions(engine)() as session:
                articles = list(await session.exec(select(Article)))
                revisions = list(await session.exec(select(ArticleRevision)))
                return articles, revisions
        finally:
            await engine.dispose()

    return asyncio.run(read())


# --- kb validate ------------------------------------------------------------------------------


def test_validate_the_bundled_articles() -> None:
    result = garda("kb", "validate", BUNDLED)

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"ok: {BUNDLED_FILES} files")


def test_validate_reports_file_line_field_and_message(tmp_path: Path) -> None:
    folder = kb_folder(
        tmp_path / "kb",
        **{
            "password-reset.en.md": article_text(),
            "printer-jam.en.md": article_text("printer-jam", topic="printers"),
        },
    )

    result = garda("kb", "validate", folder)

    assert result.exit_code == 1
    bad = folder / "printer-jam.en.md"
    assert f"{bad}:5: topic: 'printers' is not a known topic" in result.stderr
    assert "1 problem(s) found" in result.stderr


# --- kb match ---------------------------------------------------------------------------------


def test_match_one_query_against_a_folder() -> None:
    result = garda("kb", "match", "I forgot my password", "--kb", BUNDLED)

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "decision: answer"
    assert "password-reset" in lines[1]


def test_match_needs_text_or_jsonl() -> None:
    result = garda("kb", "match", "--kb", BUNDLED)

    assert result.exit_code == 2


def test_match_jsonl_answers_every_line_with_its_id() -> None:
    queries = jsonl(
        {"id": "q1", "text": "I forgot my password"},
        {"id": 2, "text": "vpn"},
        {"id": None, "text": "order a pizza with extra cheese"},
        {"id": {"ticket": 7}, "text": "saya lupa kata sandi"},
        {"id": [1, "a"], "text": ""},
    )

    result = garda("kb", "match", "--jsonl", "--kb", BUNDLED, stdin=queries)

    assert result.exit_code == 0, result.output
    rows = output_rows(result)
    assert [row["id"] for row in rows] == ["q1", 2, None, {"ticket": 7}, [1, "a"]]
    assert [row["decision"] for row in rows] == [
        "answer",
        "clarify",
        "escalate",
        "answer",
        "escalate",
    ]
    assert rows[0]["matches"][0]["article"] == "password-reset"
    assert rows[3]["matches"][0]["article"] == "password-reset"
    assert rows[4]["matches"] == []


def test_match_jsonl_rows_carry_ranked_scores() -> None:
    queries = jsonl({"id": "q", "text": "printer not printing"})

    result = garda("kb", "match", "--jsonl", "--top", "2", "--kb", BUNDLED, stdin=queries)

    (row,) = output_rows(result)
    scores = [match["score"] for match in row["matches"]]
    assert len(scores) == 2
    assert scores == sorted(scores, reverse=True)
    assert all(isinstance(score, float) for score in scores)


def test_match_jsonl_rows_keep_the_documented_shape() -> None:
    """DESIGN.md's fields are all there; extra explanatory fields are allowed."""
    queries = jsonl({"id": "q1", "text": "I forgot my password"}, {"id": "q2", "text": "vpn"})

    result = garda("kb", "match", "--jsonl", "--kb", BUNDLED, stdin=queries)

    for row in output_rows(result):
        assert {"id", "decision", "matches"} <= set(row)
        assert row["decision"] in {"answer", "clarify", "escalate"}
        for match in row["matches"]:
            assert {"article", "score"} <= set(match)


def test_match_jsonl_goes_on_after_a_malformed_line() -> None:
    queries = jsonl(
        {"id": "first", "text": "I forgot my password"},
        "this is not json\n",
        "[1, 2, 3]\n",
        "\n",
        {"id": "last", "text": "my account is locked"},
    )

    result = garda("kb", "match", "--jsonl", "--kb", BUNDLED, stdin=queries)

    assert result.exit_code == 0, result.output
    rows = output_rows(result)
    answered = {row["id"]: row["matches"][0]["article"] for row in rows if "decision" in row}
    assert answered == {"first": "password-reset", "last": "account-locked"}
    assert sum(1 for row in rows if "error" in row) == 2


def test_match_jsonl_null_text_matches_nothing() -> None:
    queries = jsonl({"id": 1, "text": None})

    result = garda("kb", "match", "--jsonl", "--kb", BUNDLED, stdin=queries)

    (row,) = output_rows(result)
    assert row["id"] == 1
    assert row.get("matches", []) == []


def test_match_without_kb_uses_the_database(database: str) -> None:
    result = garda("kb", "match", "I forgot my password")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "decision: answer"
    assert "password-reset" in result.stdout
    articles, _ = stored(database)
    assert len(articles) == BUNDLED_FILES


# --- db ---------------------------------------------------------------------------------------


def test_db_upgrade_then_current(database: str) -> None:
    upgraded = garda("db", "upgrade")
    current = garda("db", "current")

    assert upgraded.exit_code == 0, upgraded.output
    assert upgraded.stdout.strip() == f"database is at revision {head_revision()}"
    assert current.exit_code == 0, current.output
    assert current.stdout.split() == ["database:", head_revision(), "newest:", head_revision()]


def test_db_current_on_an_empty_database(database: str) -> None:
    result = garda("db", "current")

    assert result.stdout.split() == ["database:", "empty", "newest:", head_revision()]


def test_a_bad_database_url_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GARDA_DATABASE_URL", "mysql://nobody@nowhere/db")

    result = garda("db", "current")

    assert result.exit_code == 2
    assert "configuration error" in result.stderr


# --- kb import / export -----------------------------------------------------------------------


def test_import_with_one_bad_file_imports_nothing(database: str, tmp_path: Path) -> None:
    garda("db", "upgrade")
    folder = kb_folder(
        tmp_path / "kb",
        **{
            "new-article.en.md": article_text("new-article"),
            "printer-jam.en.md": article_text("printer-jam", topic="printers"),
        },
    )

    result = garda("kb", "import", folder)

    assert result.exit_code == 1
    assert "nothing was loaded" in result.stderr
    assert "printer-jam.en.md:5: topic:" in result.stderr
    assert stored(database) == ([], [])


def test_import_of_a_changed_article_records_a_new_revision(database: str, tmp_path: Path) -> None:
    changed = article_text(title="Reset a password you forgot")
    folder = kb_folder(tmp_path / "kb", **{"password-reset.en.md": changed})

    result = garda("kb", "import", folder)

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "0 new, 1 updated, 0 unchanged"
    articles, revisions = stored(database)
    (article,) = [a for a in articles if (a.slug, a.lang) == ("password-reset", "en")]
    assert (article.title, article.revision, article.updated_by) == (
        "Reset a password you forgot",
        2,
        "cli",
    )
    history = sorted(
        (r.revision, r.snapshot["title"], r.author, r.source)
        for r in revisions
        if (r.slug, r.lang) == ("password-reset", "en")
    )
    assert history == [
        (1, "Reset a forgotten password", "garda", "import"),
        (2, "Reset a password you forgot", "cli", "import"),
    ]


def test_import_of_a_new_article(database: str, tmp_path: Path) -> None:
    folder = kb_folder(tmp_path / "kb", **{"badge-reader.en.md": article_text("badge-reader")})

    result = garda("kb", "import", folder)

    assert result.stdout.strip() == "1 new, 0 updated, 0 unchanged"
    articles, revisions = stored(database)
    assert [(a.revision, a.title) for a in articles if a.slug == "badge-reader"] == [
        (1, "Reset a forgotten password")
    ]
    assert [r.revision for r in revisions if r.slug == "badge-reader"] == [1]


def test_import_of_the_same_files_again_changes_nothing(database: str) -> None:
    garda("kb", "import", BUNDLED)
    before = stored(database)

    result = garda("kb", "import", BUNDLED)

    assert result.stdout.strip() == f"0 new, 0 updated, {BUNDLED_FILES} unchanged"
    after = stored(database)
    assert len(after[1]) == len(before[1]) == BUNDLED_FILES


def test_export_writes_files_that_validate_and_reimport_unchanged(
    database: str, tmp_path: Path
) -> None:
    out = tmp_path / "exported"

    exported = garda("kb", "export", out)
    validated = garda("kb", "validate", out)
    reimported = garda("kb", "import", out)

    assert exported.exit_code == 0, exported.output
    assert exported.stdout.strip() == (
        f"wrote {BUNDLED_FILES} files to {out}, and {BUNDLED_FILES} revisions to history.jsonl"
    )
    assert sorted(p.name for p in out.glob("*.md")) == sorted(p.name for p in BUNDLED.glob("*.md"))
    assert validated.exit_code == 0, validated.output
    assert reimported.stdout.strip() == f"0 new, 0 updated, {BUNDLED_FILES} unchanged"


def test_an_edited_export_reimports_as_one_update(database: str, tmp_path: Path) -> None:
    out = tmp_path / "exported"
    garda("kb", "export", out)
    edited = out / "vpn-drops.en.md"
    edited.write_text(edited.read_text().replace("\ntier: 2\n", "\ntier: 3\n"), encoding="utf-8")

    # Languages must agree on the tier, so the Indonesian file has to change too.
    rejected = garda("kb", "import", out)
    twin = out / "vpn-drops.id.md"
    twin.write_text(twin.read_text().replace("\ntier: 2\n", "\ntier: 3\n"), encoding="utf-8")
    accepted = garda("kb", "import", out)

    assert rejected.exit_code == 1
    assert f"{out / 'vpn-drops.id.md'}:1: tier:" in rejected.stderr
    assert accepted.stdout.strip() == f"0 new, 2 updated, {BUNDLED_FILES - 2} unchanged"
    articles, _ = stored(database)
    assert {(a.lang, a.tier, a.revision) for a in articles if a.slug == "vpn-drops"} == {
        ("en", 3, 2),
        ("id", 3, 2),
    }


def test_a_draft_from_a_ticket_is_listed_then_published(database: str) -> None:
    async def draft() -> None:
        engine = make_engine(database)
        async with make_sessions(engine)() as session, session.begin():
            await save_draft(
                session, slug="ticket-7", lang="en", title="Printer jams on tray 2",
                topic="printer", symptoms=["printer jams on tray 2 every morning"],
                body="Replaced the tray 2 roller.", tier=2, author="slack:UBUDI",
            )  # fmt: skip
        await engine.dispose()

    assert garda("db", "upgrade").exit_code == 0
    asyncio.run(draft())
    listed = garda("kb", "drafts")
    assert "ticket-7 [en] Printer jams on tray 2  (by slack:UBUDI" in listed.output
    assert "no draft 'ticket-9'" in garda("kb", "publish", "ticket-9").output
    assert "published ticket-7 (1 language(s))" in garda("kb", "publish", "ticket-7").output
    assert garda("kb", "drafts").output.strip() == "no drafts"
    answer = garda("kb", "match", "printer jams on tray 2 every morning")
    assert "ticket-7" in answer.output

    async def revisions() -> list[tuple[int, str]]:
        engine = make_engine(database)
        async with make_sessions(engine)() as session:
            rows = await session.exec(
                select(ArticleRevision).where(ArticleRevision.slug == "ticket-7")
            )
            found = [(row.revision, row.source) for row in rows]
        await engine.dispose()
        return found

    assert sorted(asyncio.run(revisions())) == [(1, "ticket"), (2, "cli")]


# --- kb show / history / revert / disable -----------------------------------------------------


def current(url: str, slug: str, lang: str = "en") -> Article:
    (row,) = [a for a in stored(url)[0] if (a.slug, a.lang) == (slug, lang)]
    return row


def test_history_shows_who_changed_what(database: str, tmp_path: Path) -> None:
    changed = article_text(title="Reset a password you forgot")
    garda("kb", "import", kb_folder(tmp_path / "kb", **{"password-reset.en.md": changed}))
    garda("kb", "disable", "password-reset")

    result = garda("kb", "history", "password-reset", "--lang", "en")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split()[2] for line in lines] == ["r3", "r2", "r1"]
    assert "(cli)  changed: enabled" in lines[0]
    assert "cli:" in lines[0]
    assert "cli (import)  changed: title, symptoms, keywords, body" in lines[1]
    assert "garda (import)  changed: id, lang, title" in lines[2]


def test_history_of_an_unknown_article_fails(database: str) -> None:
    result = garda("kb", "history", "no-such-thing")

    assert result.exit_code == 1
    assert "no revisions of 'no-such-thing'" in result.stderr


def test_show_prints_every_language_with_its_state(database: str) -> None:
    garda("kb", "disable", "vpn-drops")

    result = garda("kb", "show", "vpn-drops")

    assert result.exit_code == 0, result.output
    assert "# vpn-drops [en] revision 2, disabled" in result.stdout
    assert "# vpn-drops [id] revision 2, disabled" in result.stdout
    assert "id: vpn-drops\nlang: id\n" in result.stdout
    assert garda("kb", "show", "nothing-here").exit_code == 1


def test_disable_stops_matching_and_twice_is_an_error(database: str) -> None:
    first = garda("kb", "disable", "password-reset")
    again = garda("kb", "disable", "password-reset")
    answer = garda("kb", "match", "I forgot my password")

    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("disabled password-reset (2 language(s))")
    assert again.exit_code == 1
    assert "no enabled article 'password-reset'" in again.stderr
    assert "password-reset " not in answer.stdout
    assert {(a.lang, a.enabled, a.revision) for a in stored(database)[0]
            if a.slug == "password-reset"} == {("en", False, 2), ("id", False, 2)}  # fmt: skip


def test_revert_restores_a_revision_exactly(database: str, tmp_path: Path) -> None:
    garda("kb", "match", "vpn")  # the first start loads the bundled articles as revision 1
    original = current(database, "password-reset")
    changed = article_text(title="Reset a password you forgot")
    garda("kb", "import", kb_folder(tmp_path / "kb", **{"password-reset.en.md": changed}))
    garda("kb", "disable", "password-reset")

    back = garda("kb", "revert", "password-reset", "1", "--lang", "en")
    to_disabled = garda("kb", "revert", "password-reset", "3", "--lang", "en")
    again = garda("kb", "revert", "password-reset", "1", "--lang", "en")

    assert back.stdout.strip() == "reverted password-reset [en] to revision 1 (now 4)"
    assert to_disabled.exit_code == 0, to_disabled.output
    assert again.exit_code == 0, again.output
    restored = current(database, "password-reset")
    assert to_doc(restored) == to_doc(original)
    assert (restored.enabled, restored.draft, restored.revision) == (True, False, 6)
    history = garda("kb", "history", "password-reset", "--lang", "en").stdout.splitlines()
    # Revision 5 brought back revision 3 (the new title, disabled); revision 6 undid it all.
    assert [line.split()[2] for line in history[:2]] == ["r6", "r5"]
    assert all("changed: title, symptoms, keywords, body, enabled" in line for line in history[:2])


def test_revert_restores_a_draft_as_a_draft(database: str) -> None:
    test_a_draft_from_a_ticket_is_listed_then_published(database)

    result = garda("kb", "revert", "ticket-7", "1")

    assert result.exit_code == 0, result.output
    row = current(database, "ticket-7")
    assert (row.draft, row.enabled, row.revision) == (True, False, 3)
    assert "ticket-7 [en]" in garda("kb", "drafts").stdout


def test_revert_refuses_unknown_revisions_and_needs_a_language(database: str) -> None:
    missing = garda("kb", "revert", "password-reset", "9", "--lang", "en")
    ambiguous = garda("kb", "revert", "password-reset", "1")

    assert missing.exit_code == 1
    assert "password-reset [en] has no revision 9" in missing.stderr
    assert ambiguous.exit_code == 1
    assert "has languages en, id: say which with --lang" in ambiguous.stderr
    assert current(database, "password-reset").revision == 1


# --- export / import keep the history ---------------------------------------------------------


def revision_rows(url: str) -> list[tuple[Any, ...]]:
    return sorted(
        (r.slug, r.lang, r.revision, r.author, r.source, r.created_at, json.dumps(r.snapshot))
        for r in stored(url)[1]
    )


def test_export_then_import_into_a_new_database_keeps_every_revision(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    changed = article_text(title="Reset a password you forgot")
    garda("kb", "import", kb_folder(tmp_path / "kb", **{"password-reset.en.md": changed}))
    garda("kb", "disable", "vpn-drops")
    test_a_draft_from_a_ticket_is_listed_then_published(database)
    garda("kb", "revert", "ticket-7", "1")  # a draft again
    out = tmp_path / "exported"
    assert garda("kb", "export", out).exit_code == 0
    before = stored(database)[0]

    fresh = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    monkeypatch.setenv("GARDA_DATABASE_URL", fresh)
    result = garda("kb", "import", out)

    assert result.exit_code == 0, result.output
    revisions = len(revision_rows(database))
    assert result.stdout.splitlines() == [
        f"0 new, 0 updated, {BUNDLED_FILES - 2} unchanged",
        f"restored {revisions} revision(s) from history.jsonl",
    ]
    assert revision_rows(fresh) == revision_rows(database)
    after = {(a.slug, a.lang): a for a in stored(fresh)[0]}
    assert len(after) == len(before)
    for old in before:
        new = after[(old.slug, old.lang)]
        assert (to_doc(new), new.enabled, new.draft, new.revision) == (
            to_doc(old), old.enabled, old.draft, old.revision,
        )  # fmt: skip
    # Numbering goes on after the restored history.
    assert garda("kb", "disable", "password-reset").exit_code == 0
    assert current(fresh, "password-reset").revision == 3


def test_validate_ignores_the_history_file(database: str, tmp_path: Path) -> None:
    out = tmp_path / "exported"
    garda("kb", "export", out)

    assert (out / "history.jsonl").is_file()
    assert garda("kb", "validate", out).exit_code == 0


def test_a_bad_history_line_imports_nothing(database: str, tmp_path: Path) -> None:
    out = tmp_path / "exported"
    garda("kb", "export", out)
    edited = out / "password-reset.en.md"
    edited.write_text(edited.read_text().replace("title: ", "title: New "), encoding="utf-8")
    with (out / "history.jsonl").open("a", encoding="utf-8") as history:
        history.write('{"slug": "Bad Slug", "lang": "en"}\n')
    before = stored(database)

    result = garda("kb", "import", out)

    assert result.exit_code == 1
    assert "invalid history, nothing was loaded" in result.stderr
    assert "history.jsonl:" in result.stderr
    assert stored(database) == before


def test_a_history_that_disagrees_with_the_database_imports_nothing(
    database: str, tmp_path: Path
) -> None:
    out = tmp_path / "exported"
    garda("kb", "export", out)
    history = out / "history.jsonl"
    rows = [json.loads(line) for line in history.read_text().splitlines()]
    rows[0]["snapshot"]["title"] = "Something else"
    rows.append({**rows[0], "revision": 2, "snapshot": {**rows[0]["snapshot"], "title": "Two"}})
    history.write_text(jsonl(*rows), encoding="utf-8")
    before = stored(database)

    result = garda("kb", "import", out)

    assert result.exit_code == 1
    assert f"{rows[0]['slug']} [{rows[0]['lang']}] revision 1 differs" in result.stderr
    assert stored(database) == before


def test_a_draft_recorded_before_snapshots_kept_the_state_moves_as_a_draft(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def old_style_draft() -> None:
        engine = make_engine(database)
        async with make_sessions(engine)() as session, session.begin():
            await save_draft(
                session, slug="ticket-8", lang="en", title="Badge reader beeps twice",
                topic="hardware_problem", symptoms=["badge reader beeps twice"],
                body="Re-enrolled the badge.", tier=2, author="slack:UBUDI",
            )  # fmt: skip
            await session.flush()
            revision = (
                await session.exec(
                    select(ArticleRevision).where(ArticleRevision.slug == "ticket-8")
                )
            ).one()
            revision.snapshot = {
                k: v for k, v in revision.snapshot.items() if k not in ("enabled", "draft")
            }
            session.add(revision)
        await engine.dispose()

    garda("kb", "match", "vpn")  # the first start loads the bundled articles
    asyncio.run(old_style_draft())
    out = tmp_path / "exported"
    garda("kb", "export", out)
    monkeypatch.setenv("GARDA_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}")

    assert garda("kb", "import", out).exit_code == 0
    assert "ticket-8 [en] Badge reader beeps twice" in garda("kb", "drafts").stdout
    monkeypatch.setenv("GARDA_DATABASE_URL", database)
    again = garda("kb", "import", out)  # the same database: the histories agree
    assert again.exit_code == 0, again.output
