"""``garda people`` and the roles it gives, run as an admin would run it.

Plain (sync) tests: the commands call ``asyncio.run`` themselves.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner, Result

from bot.cli import app
from bot.config import Settings
from handlers.desk import Desk
from models.tables import StaffMember


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh SQLite file that the CLI uses through ``GARDA_DATABASE_URL``."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("GARDA_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)  # no stray .env or ./garda.db from the checkout
    for name in ("GARDA_ADMINS", "GARDA_AGENTS_L1", "GARDA_AGENTS_L2", "GARDA_AGENTS_L3"):
        monkeypatch.delenv(name, raising=False)
    return url


def garda(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def test_add_then_list_shows_configured_and_added_people(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GARDA_ADMINS", "slack:UBOSS")
    monkeypatch.setenv("GARDA_AGENTS_L2", "telegram:7, slack:UBOSS")

    added = garda("people", "add", "telegram:42", "--role", "l2", "--name", "Budi")
    listed = garda("people", "list")

    assert added.exit_code == 0, added.output
    assert added.stdout.strip() == "added telegram:42 as l2"
    lines = listed.stdout.splitlines()
    assert lines[:2] == ["slack:UBOSS  admin  (config)", "telegram:7  l2  (config)"]
    assert lines[2].startswith("telegram:42  l2  Budi  (added by cli:")


def test_list_when_nobody_works_the_desk(database: str) -> None:
    assert garda("people", "list").stdout.strip() == "nobody yet (see `garda people add`)"


@pytest.mark.parametrize("key", ["U123", "slack:", "slack U1", "fax:123", "slack:U1,slack:U2"])
def test_add_refuses_what_is_not_a_user_key(database: str, key: str) -> None:
    result = garda("people", "add", key, "--role", "l1")

    assert result.exit_code == 1
    assert "is not a user key: write platform:id" in result.stderr
    assert garda("people", "list").stdout.startswith("nobody yet")


def test_add_refuses_an_unknown_role_and_a_second_add(database: str) -> None:
    unknown = garda("people", "add", "slack:U1", "--role", "boss")
    first = garda("people", "add", "slack:U1", "--role", "l1")
    second = garda("people", "add", "slack:U1", "--role", "l3")

    assert unknown.exit_code == 2
    assert first.exit_code == 0
    assert second.exit_code == 1
    assert "slack:U1 is already l1; change it with `garda people role slack:U1 ROLE`" in (
        second.stderr
    )


def test_add_of_a_configured_person_says_the_higher_role_counts(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GARDA_AGENTS_L1", "slack:U1")

    result = garda("people", "add", "slack:U1", "--role", "l3")

    assert result.exit_code == 0, result.output
    assert "note: GARDA_AGENTS_L1 also names them (l1); the higher role counts" in result.stdout


def test_role_changes_a_table_entry_only(database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GARDA_AGENTS_L3", "slack:UCONF")
    garda("people", "add", "slack:U1", "--role", "l1")

    changed = garda("people", "role", "slack:U1", "admin")
    configured = garda("people", "role", "slack:UCONF", "l1")
    unknown = garda("people", "role", "slack:UNOBODY", "l1")

    assert changed.stdout.strip() == "slack:U1: l1 -> admin"
    assert "slack:U1  admin" in garda("people", "list").stdout
    assert configured.exit_code == 1
    assert "GARDA_AGENTS_L3 names them: edit the configuration" in configured.stderr
    assert unknown.exit_code == 1
    assert "slack:UNOBODY is not in the people table" in unknown.stderr


def test_remove_takes_table_people_off_but_not_configured_ones(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GARDA_ADMINS", "slack:UBOSS")
    garda("people", "add", "slack:U1", "--role", "l2")

    removed = garda("people", "remove", "slack:U1")
    again = garda("people", "remove", "slack:U1")
    configured = garda("people", "remove", "slack:UBOSS")

    assert removed.stdout.strip() == "removed slack:U1"
    assert again.exit_code == 1
    assert "slack:U1 is not on the desk" in again.stderr
    assert configured.exit_code == 1
    assert "is in the configuration (GARDA_ADMINS): edit the configuration" in configured.stderr
    assert garda("people", "list").stdout.strip() == "slack:UBOSS  admin  (config)"


# --- the effective desk -----------------------------------------------------------------------


def member(key: str, role: str) -> StaffMember:
    return StaffMember(user_key=key, role=role)


def test_the_table_adds_to_the_configured_desk_and_the_higher_role_wins() -> None:
    desk = Desk(agents={"slack:A": 3, "slack:B": 1}, admins=frozenset({"slack:BOSS"}))

    staffed = desk.with_staff(
        [
            member("slack:A", "l1"),  # configuration says Level 3: stays 3
            member("slack:B", "l2"),  # configuration says Level 1: now 2
            member("slack:BOSS", "l1"),  # a configured admin stays admin
            member("slack:C", "admin"),
            member("slack:D", "l3"),
            member("slack:E", "retired"),  # not a role: ignored
        ]
    )

    assert dict(staffed.agents) == {"slack:A": 3, "slack:B": 2, "slack:D": 3}
    assert staffed.admins == {"slack:BOSS", "slack:C"}
    assert staffed.tier_of("slack:C") == 3
    assert staffed.can_edit_kb("slack:C") and not staffed.can_edit_kb("slack:D")
    assert desk.with_staff([]) is desk


# --- GARDA_KB_EDITORS -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "tier"), [(None, None), ("admins", None), ("l3", 3), ("L2", 2), (" l2 ", 2)]
)
def test_kb_editors_setting(monkeypatch: pytest.MonkeyPatch, value: str | None, tier: int) -> None:
    monkeypatch.delenv("GARDA_KB_EDITORS", raising=False)
    if value is not None:
        monkeypatch.setenv("GARDA_KB_EDITORS", value)
    monkeypatch.setenv("GARDA_AGENTS_L2", "slack:TWO")

    desk = Settings(_env_file=None).desk()

    assert desk.kb_editor_tier == tier
    assert desk.can_edit_kb("slack:TWO") is (tier == 2)


@pytest.mark.parametrize("value", ["l1", "everyone", "3"])
def test_kb_editors_setting_refuses_other_values(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("GARDA_KB_EDITORS", value)

    with pytest.raises(ValidationError, match=r"admins \(the default\), l3 .* or l2"):
        Settings(_env_file=None)
