"""The terminal adapter, in process and as the real ``garda chat`` command."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import subprocess
import sys
from pathlib import Path

from bot.app import Garda
from bot.console import ConsoleAdapter
from handlers.messages import Address, Choice, Reply

GARDA = [sys.executable, "-m", "bot"]


async def transcript(garda: Garda, script: str, *, user: str = "ana") -> str:
    out = io.StringIO()
    adapter = ConsoleAdapter(garda, user=user, stdin=io.StringIO(script), stdout=out)
    await adapter.run()
    return out.getvalue()


async def test_choices_are_numbered_and_scripted_input_is_echoed(garda: Garda) -> None:
    text = await transcript(garda, "I forgot my password\n")
    assert "ana> I forgot my password" in text
    assert "   1. Solved\n   2. Not solved\n   3. Talk to a person" in text


async def test_a_choice_can_be_made_by_number_or_by_label(garda: Garda) -> None:
    by_number = await transcript(garda, "I forgot my password\n2\n", user="ana")
    by_label = await transcript(garda, "I forgot my password\nnot solved\n", user="bob")
    assert "work email" in by_number and "work email" in by_label


async def test_different_users_have_different_conversations(garda: Garda) -> None:
    await transcript(garda, "I forgot my password\n", user="ana")
    text = await transcript(garda, "2\n", user="bob")
    assert "work email" not in text


async def test_printed_messages_have_ids_and_edits_are_printed_anew(garda: Garda) -> None:
    out = io.StringIO()
    console = ConsoleAdapter(garda, user="budi", stdin=io.StringIO(""), stdout=out)
    support = Address("slack", "C0SUPPORT")
    claim = (Choice("desk:claim:12", "Claim"),)
    ticket = await console.send(support, Reply("New ticket #12", claim))
    answer = await console.send(support, Reply("Ana says: thanks", reply_to=ticket))
    private = await console.send_private("budi", Reply("hello"))
    assert [ticket, answer, private] == ["1", "2", "3"]

    assert ticket is not None
    resolve = (Choice("desk:resolve:12", "Resolve"),)
    await console.edit(support, ticket, Reply("Ticket #12: taken by Budi", resolve))
    assert out.getvalue() == (
        "garda (to slack:C0SUPPORT): New ticket #12\n   1. Claim\n\n"
        "garda (to slack:C0SUPPORT, answering 1): Ana says: thanks\n\n"
        "garda: hello\n\n"
        "garda (edited, to slack:C0SUPPORT): Ticket #12: taken by Budi\n   1. Resolve\n\n"
    )


def run_chat(db: Path, script: str, user: str = "ana") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GARDA_DATABASE_URL": f"sqlite+aiosqlite:///{db}"}
    return subprocess.run(
        [*GARDA, "chat", "--user", user], input=script, capture_output=True, text=True,
        env=env, timeout=60, check=False,
    )  # fmt: skip


def test_piped_session_goes_from_the_password_article_to_a_ticket(tmp_path: Path) -> None:
    result = run_chat(
        tmp_path / "garda.db",
        "I forgot my password\nNot solved\nana@example.com\n2\n3\n/status\n",
    )
    assert result.returncode == 0, result.stderr
    assert "Reset a forgotten password" in result.stdout
    assert "I've opened ticket #1" in result.stdout
    assert "#1 [new] Reset a forgotten password (P2)" in result.stdout
    assert result.stderr == ""


def test_indonesian_piped_session(tmp_path: Path) -> None:
    result = run_chat(tmp_path / "garda.db", "saya lupa kata sandi\n")
    assert "Reset password yang terlupa" in result.stdout
    assert "1. Reset kata sandi saya sekarang" in result.stdout  # the builtin directory can
    assert "2. Teratasi" in result.stdout


def test_undecodable_bytes_on_stdin_do_not_crash(tmp_path: Path) -> None:
    env = {**os.environ, "GARDA_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'g.db'}"}
    result = subprocess.run(
        [*GARDA, "chat"], input=b"\xff\xfe\x00garbage\n\x80\x81 printer not printing\n",
        capture_output=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert b"printer" in result.stdout.lower()


async def test_a_killed_process_resumes_in_the_same_state(tmp_path: Path) -> None:
    env = {**os.environ, "GARDA_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'garda.db'}"}
    process = await asyncio.create_subprocess_exec(
        *GARDA, "chat", "--user", "ana", env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(b"I forgot my password\n")
    await process.stdin.drain()
    seen = b""
    while b"Talk to a person" not in seen:
        line = await asyncio.wait_for(process.stdout.readline(), timeout=30)
        assert line, "garda chat ended before answering"
        seen += line
    process.send_signal(signal.SIGKILL)  # no clean shutdown at all
    await process.wait()

    result = await asyncio.to_thread(run_chat, tmp_path / "garda.db", "Not solved\n")
    assert "work email" in result.stdout


def test_a_bad_database_url_is_a_clear_configuration_error(tmp_path: Path) -> None:
    env = {**os.environ, "GARDA_DATABASE_URL": "mysql://nope"}
    result = subprocess.run(
        [*GARDA, "chat"], input="", capture_output=True, text=True, env=env, timeout=60,
        check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "configuration error" in result.stderr and "GARDA_DATABASE_URL" in result.stderr
