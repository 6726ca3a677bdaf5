"""People added with ``garda people`` work the desk from their next message, no restart."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from bot.cli import app
from tests.desk.office import Office
from tests.desk.test_lifecycle import open_vpn_ticket


@pytest.fixture
def cli_env(either_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line on the office's database, with no people in its configuration."""
    monkeypatch.setenv("GARDA_DATABASE_URL", either_url)
    monkeypatch.chdir(tmp_path)  # no stray .env from the checkout
    for name in ("GARDA_ADMINS", "GARDA_AGENTS_L1", "GARDA_AGENTS_L2", "GARDA_AGENTS_L3"):
        monkeypatch.delenv(name, raising=False)


async def garda(*args: str) -> Result:
    """Run a command as an admin would, beside the running bot (its own event loop)."""
    result = await asyncio.to_thread(CliRunner().invoke, app, list(args))
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.usefixtures("cli_env")
async def test_an_agent_added_from_the_command_line_works_tickets_at_once(desk: Office) -> None:
    await open_vpn_ticket(desk)
    dewi = desk.person("dewi")
    assert "Only support agents can do that." in await dewi.say("/queue")

    await garda("people", "add", "console:dewi", "--role", "l2", "--name", "Dewi")

    assert "Open tickets (1):" in await dewi.say("/queue")
    assert "Ticket #1 is yours" in await dewi.say("/take 1")
    assert "Dewi (Level 2 support) is now working on your ticket #1" in desk.board.news("ana")

    await garda("people", "remove", "console:dewi")
    assert "Only support agents can do that." in await dewi.say("/queue")


@pytest.mark.usefixtures("cli_env")
async def test_an_admin_added_from_the_command_line_may_edit_the_knowledge_base(
    desk: Office,
) -> None:
    budi, rina = desk.person("budi"), desk.person("rina")  # Budi: Level 2, reads only
    agent_help = await budi.say("/kb")

    await garda("people", "add", "console:rina", "--role", "admin")

    admin_help = await rina.say("/kb")
    assert "/kb edit" in admin_help and "/kb disable" in admin_help
    assert "/kb edit" not in agent_help
    await garda("people", "role", "console:rina", "l2")
    assert "/kb edit" not in await rina.say("/kb")
