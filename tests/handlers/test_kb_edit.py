"""Keeping the knowledge base from chat: an admin writes, edits, disables and reverts articles,
and the very next employee question is answered from the new text (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from bot.jobs import jobs_for
from handlers.desk import Desk
from knowledge.revisions import to_doc
from knowledge.store import article_rows, save_edit
from tests.desk.office import AGENTS, L2, L3, Colleague, Office, migrate, office

ADMIN = "dewi"
STEPS_TO_SAVE = 8  # title, topic, tier, symptoms, body; then the Indonesian title, symptoms, body

LABELS_EN = [
    "Zebra label printer prints blank labels",
    "printer",
    "2",
    "the zebra label printer prints blank labels\nthe warehouse label printer feeds empty labels",
    "1. Open the printer and check that the ribbon is not used up.\n\n"
    "2. Hold the feed button for five seconds until it calibrates.",
]
LABELS_ID = [
    "Printer label Zebra mencetak label kosong",
    "printer label zebra mencetak label kosong\nprinter label gudang mengeluarkan label kosong",
    "1. Buka printer dan periksa apakah pita sudah habis.\n"
    "2. Tahan tombol feed selama lima detik sampai printer terkalibrasi.",
]
LABELS_SLUG = "zebra-label-printer-prints-blank-labels"  # made from the title


@pytest.fixture
async def desk(either_url: str) -> AsyncIterator[Office]:
    """The office of tests.desk, where Dewi is an admin (so she edits the knowledge base)."""
    await migrate(either_url)
    staff = Desk({2: L2, 3: L3}, agents=AGENTS, admins=frozenset({f"console:{ADMIN}"}))
    async with office(either_url, desk=staff) as ready:
        yield ready


async def says(chat: Colleague, *lines: str) -> str:
    """Say each line in turn; everything Garda answered to the last one."""
    for line in lines:
        await chat.say(line)
    return chat.text


def changed(history: list[str], revision: str) -> set[str]:
    """What the /kb history line of ``revision`` ("rev 2 [en]") says changed."""
    line = next(line for line in history if revision in line)
    return set(line.split("(chat): ")[1].split(", "))


async def snapshot(desk: Office, slug: str) -> dict[str, Any]:
    """Everything stored of an article, every language, but its revision bookkeeping."""
    async with desk.garda.sessions() as session:
        rows = await article_rows(session, slug)
    return {
        row.lang: {**to_doc(row).fields(), "enabled": row.enabled, "draft": row.draft}
        for row in rows
    }


# Who may


async def test_an_employee_cannot_use_kb_and_an_agent_cannot_edit(desk: Office) -> None:
    ana = desk.person("ana")
    assert "Only support staff can use /kb" in await ana.say("/kb edit password-reset")
    assert "Only support staff" in await ana.say("/kb new")

    budi = desk.person("budi")  # a Level 2 agent: reads, does not write
    assert "Only knowledge-base editors" in await budi.say("/kb edit password-reset")
    assert "Only knowledge-base editors" in await budi.say("/kb revert password-reset 1")
    shown = await budi.say("/kb show password-reset")
    assert "Reset a forgotten password" in shown and "revision 1" in shown
    assert "password-reset [en, id]" in await budi.say("/kb search forgot password")

    help_text = await budi.say("/kb")
    assert "/kb search" in help_text and "/kb edit" not in help_text
    assert "/kb edit ID" in await desk.person(ADMIN).say("/kb")


# Writing a new article


async def test_an_admin_writes_an_article_in_both_languages_and_it_answers_at_once(
    desk: Office,
) -> None:
    ana = desk.person("ana")
    assert "Zebra" not in await ana.say("the zebra label printer prints blank labels")
    await ana.say("/cancel")

    dewi = desk.person(ADMIN)
    started = await dewi.say("/kb new")
    assert "first in English" in started and "Step 1 of 8. Title in English" in started
    assert "Topic" in await says(dewi, LABELS_EN[0])
    for line in LABELS_EN[1:]:
        await dewi.say(line)
    assert "Title in Bahasa Indonesia" in dewi.text
    assert "Skip Bahasa Indonesia" in dewi.choices
    # Indonesian text does not switch the language Garda talks to the admin in.
    assert "Step 7 of 8. How do users describe" in await says(dewi, LABELS_ID[0])
    preview = await says(dewi, *LABELS_ID[1:])
    assert f"Preview of {LABELS_SLUG} — English" in preview
    assert f"Preview of {LABELS_SLUG} — Bahasa Indonesia" in preview
    assert "Topic: printer · Tier: 2" in preview
    assert "used up.\n\n2. Hold" in preview  # the answer's paragraphs are kept
    assert dewi.choices == ["Save", "Cancel"]

    saved = await dewi.say("Save")
    assert f"Saved {LABELS_SLUG}: English revision 1, Bahasa Indonesia revision 1" in saved

    await ana.say("/cancel")
    answer = await ana.say("the zebra label printer prints blank labels")
    assert "Hold the feed button for five seconds" in answer
    siti = desk.person("siti")
    await siti.say("/lang id")
    assert "Tahan tombol feed" in await siti.say("printer label zebra mencetak label kosong")


async def test_bad_input_is_explained_and_asked_again(desk: Office) -> None:
    dewi = desk.person(ADMIN)
    await dewi.say("/kb new coffee-badge")
    assert "That is empty" in await dewi.say("")
    assert "Title in English" in dewi.text  # the same step again
    assert "at most 200 fit" in await dewi.say("word " * 60)
    await dewi.say("Coffee badge")
    unknown = await dewi.say("coffee")
    assert '"coffee" is not a topic I know' in unknown and "hardware_problem" in unknown
    assert "The tier is 1, 2 or 3" in await says(dewi, "hardware_problem", "7")
    await says(dewi, "2", "badge beeps red")
    assert "at most 3000 fit" in await dewi.say("Step one of many. " * 300)
    assert "That has no words" in await dewi.say("🙂 ✅")
    await dewi.say("Ask reception for a new badge.")
    assert "Title in Bahasa Indonesia" in dewi.text

    assert "already exists" in await dewi.say("/kb new password-reset")
    assert "cannot be an article id" in await dewi.say("/kb new Bad_Id!")


async def test_cancel_stops_without_saving(desk: Office) -> None:
    dewi = desk.person(ADMIN)
    await says(dewi, "/kb new cancelled-article", "A title")
    assert "Cancelled" in await dewi.say("/cancel")
    assert "no article with the id cancelled-article" in await dewi.say(
        "/kb show cancelled-article"
    )


# Editing


async def test_an_edit_keeps_what_is_kept_and_changes_the_rest(desk: Office) -> None:
    dewi = desk.person(ADMIN)
    before = await snapshot(desk, "password-reset")
    shown = await dewi.say("/kb edit password-reset")
    assert "Now:\nReset a forgotten password" in shown and "Keep" in dewi.choices
    await dewi.press("keep")  # the button
    await dewi.say("-")  # the topic
    await dewi.say("keep")  # the tier
    await dewi.say("keep")  # the symptoms
    await dewi.say("Go to https://id.example.com/forgot and follow the link we email you.")
    for _ in range(3):
        await dewi.say("tetap")  # the Indonesian title, symptoms and answer, as they are
    assert "Save this article?" in dewi.text
    assert "out of date" not in dewi.text
    assert "English revision 2" in await dewi.say("save")

    after = await snapshot(desk, "password-reset")
    assert after["id"] == before["id"]
    assert after["en"] == {
        **before["en"],
        "body": "Go to https://id.example.com/forgot and follow the link we email you.",
    }
    shown = await dewi.say("/kb show password-reset")
    assert "Out of date" not in shown and "Last changed by console:dewi" in shown
    answer = await desk.person("ana").say("I forgot my password")
    assert "id.example.com/forgot" in answer


async def test_skipping_the_other_language_marks_it_out_of_date(desk: Office) -> None:
    dewi = desk.person(ADMIN)
    await dewi.say("/kb edit password-reset")
    await says(dewi, "Reset a password you forgot", "-", "-", "-", "-")
    preview = await dewi.say("2")  # typed as the chat numbers them: 1 Keep, 2 Skip
    assert "Bahasa Indonesia is not edited this time" in preview
    saved = await dewi.say("Save")
    assert "Bahasa Indonesia of password-reset was not edited and is now marked out of date" in (
        saved
    )
    shown = await dewi.say("/kb show password-reset")
    indonesian = shown.split("— Bahasa Indonesia —")[1]
    assert "Out of date" in indonesian and "out of date: id" in indonesian
    assert "Out of date" not in shown.split("— Bahasa Indonesia —")[0]
    assert "out of date: id" in await dewi.say("/kb search password-reset")


async def test_nothing_changed_saves_nothing(desk: Office) -> None:
    dewi = desk.person(ADMIN)
    await dewi.say("/kb edit password-reset")
    await says(dewi, *["keep"] * STEPS_TO_SAVE)
    assert "Nothing changed in password-reset" in await dewi.say("Save")
    assert "rev 2" not in await dewi.say("/kb history password-reset")


async def test_an_editor_whose_role_ends_mid_edit_cannot_save(desk: Office) -> None:
    dewi = desk.person(ADMIN)
    await dewi.say("/kb edit password-reset")
    await says(dewi, "A new title", *["keep"] * (STEPS_TO_SAVE - 1))
    dispatcher = desk.garda.dispatcher
    dispatcher.desk = Desk(agents=AGENTS)  # Dewi is no admin any more
    assert "Only knowledge-base editors" in await dewi.say("Save")
    async with desk.garda.sessions() as session:
        [english] = [
            row for row in await article_rows(session, "password-reset") if row.lang == "en"
        ]
    assert english.title == "Reset a forgotten password"


# Disabling, history, reverting


async def test_a_disabled_article_is_no_longer_offered(desk: Office) -> None:
    ana = desk.person("ana")
    assert "Reset a forgotten password" in await ana.say("I forgot my password")
    await ana.say("/cancel")

    dewi = desk.person(ADMIN)
    asked = await dewi.say("/kb disable password-reset")
    assert 'Disable password-reset ("Reset a forgotten password")?' in asked
    assert "Cancelled" in await dewi.say("No, leave it")
    await dewi.say("/kb disable password-reset")
    assert "Disabled password-reset (2 languages)" in await dewi.say("Yes, disable it")

    assert "Reset a forgotten password" not in await ana.say("I forgot my password")
    assert "disabled" in await dewi.say("/kb search password-reset")
    assert "already disabled" in await dewi.say("/kb disable password-reset")


async def test_history_says_who_changed_what_and_revert_restores_exactly(desk: Office) -> None:
    dewi = desk.person(ADMIN)
    before = await snapshot(desk, "vpn-cannot-connect")
    assert before, "the bundled KB has this article"
    await dewi.say("/kb edit vpn-cannot-connect")
    await says(dewi, "VPN refuses to connect", "network drive", "3", "vpn is broken")
    await says(dewi, "Restart the laptop.", "Pindah jaringan", "-", "Mulai ulang laptop.")
    await dewi.say("Save")
    await says(dewi, "/kb disable vpn-cannot-connect", "Yes, disable it")

    history = await dewi.say("/kb history vpn-cannot-connect")
    lines = history.splitlines()
    assert lines[0] == "Revisions of vpn-cannot-connect, newest first:"
    assert any("rev 3 [en]" in line and "by console:dewi (chat): enabled" in line for line in lines)
    assert changed(lines, "rev 2 [en]") == {"title", "topic", "symptoms", "body", "tier"}
    assert changed(lines, "rev 2 [id]") == {"title", "topic", "body", "tier"}  # symptoms kept
    assert any("rev 1 [en]" in line and "(import): created" in line for line in lines)

    asked = await dewi.say("/kb revert vpn-cannot-connect 1")
    assert "Revert vpn-cannot-connect to revision 1?" in asked
    assert dewi.choices == ["Revert English", "Revert Bahasa Indonesia", "No, leave it"]
    assert "it is now revision 4, enabled" in await dewi.press("revert:en")
    await says(dewi, "/kb revert vpn-cannot-connect 1 id", "Revert Bahasa Indonesia")

    assert await snapshot(desk, "vpn-cannot-connect") == before
    answer = await desk.person("ana").say("my vpn won't connect")
    assert "VPN refuses to connect" not in answer and before["en"]["title"] in answer


async def test_revert_explains_what_it_needs(desk: Office) -> None:
    dewi = desk.person(ADMIN)
    assert "Usage: /kb revert ID REV" in await dewi.say("/kb revert password-reset")
    assert "has no revision 9" in await dewi.say("/kb revert password-reset 9")
    assert 'no language "fr"' in await dewi.say("/kb revert password-reset 1 fr")
    assert "no article with the id nope" in await dewi.say("/kb revert nope 1")


# Edits made elsewhere


async def test_edits_by_another_process_reach_the_running_bot_in_the_jobs_next_round(
    desk: Office,
) -> None:
    async with desk.garda.sessions() as session, session.begin():
        [english] = [
            row for row in await article_rows(session, "password-reset") if row.lang == "en"
        ]
        doc = to_doc(english)
        changed = replace(doc, symptoms=("the teapot refuses my login",))
        await save_edit(session, [changed], author="cli", source="cli")
    ana = desk.person("ana")
    assert "Reset a forgotten password" not in await ana.say("the teapot refuses my login")
    await ana.say("/cancel")

    await jobs_for(desk.garda).run_once()
    assert "Reset a forgotten password" in await ana.say("the teapot refuses my login")
    assert await desk.garda.dispatcher.refresh_kb() == 0  # nothing new since
