"""An article edited in a Slack modal: the form too big for its button opens prefilled from the
conversation, and its submission goes straight to the preview and saves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.slack.blocks import INPUT_LIMIT, PENDING_FORM, VALUE_LIMIT, form_button, form_view
from handlers.desk import Desk
from handlers.messages import Address, FormField
from knowledge.store import article_rows
from tests.bot.test_slack import ANA, Workspace, fake, text_of, workspace_with
from tests.fakes.slack import (
    button_labels,
    buttons,
    direct_channel,
    slash_command,
    view_submission,
)

__all__ = ["fake"]  # the fake Slack fixture, shared with the other Slack tests

NEW_BODY = "1. Open https://id.example.com/forgot.\n\n2. Follow the link we email you."


@pytest.fixture
async def admin_slack(seeded_template: Path, tmp_path: Path, fake: Any) -> AsyncIterator[Workspace]:
    """Garda in the fake Slack, where Ana is an admin (she edits the knowledge base)."""
    desk = Desk(admins=frozenset({f"slack:{ANA}"}))
    async with workspace_with(desk, template=seeded_template, folder=tmp_path, fake=fake) as ws:
        yield ws


def inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The modal's input elements by field name."""
    return {
        block["block_id"].removeprefix("garda.field."): block["element"] for block in view["blocks"]
    }


async def test_kb_edit_opens_a_prefilled_modal_and_its_submission_saves(
    admin_slack: Workspace,
) -> None:
    slack = admin_slack
    posts = await slack.answer(slack.inbound.command(slash_command(ANA, "kb edit password-reset")))
    question = posts[-1]
    assert "Step 1 of 8" in question["text"]
    assert button_labels(question) == ["Keep", "Fill in the form"]
    assert buttons(question)[-1]["value"] == PENDING_FORM  # both languages do not fit

    await slack.presses(ANA, "Fill in the form")
    view = (await slack.fake.wait_for("views.open")).args["view"]
    fields = inputs(view)
    assert list(fields) == [
        "en.title", "topic", "tier", "en.symptoms", "en.body",
        "id.title", "id.symptoms", "id.body",
    ]  # fmt: skip
    assert fields["en.title"]["initial_value"] == "Reset a forgotten password"
    assert fields["topic"]["initial_value"] == "password_reset"
    assert fields["en.body"]["multiline"] is True and "multiline" not in fields["en.title"]
    assert "I forgot my password" in fields["en.symptoms"]["initial_value"].splitlines()
    assert all(element["max_length"] == INPUT_LIMIT for element in fields.values())
    assert all(len(block["label"]["text"]) <= 2000 for block in view["blocks"])

    answers = {
        f"garda.field.{name}": element.get("initial_value", "") for name, element in fields.items()
    }
    answers["garda.field.en.body"] = NEW_BODY
    submitted = view_submission(ANA, {**view, "id": "V0KB"}, answers)
    preview = text_of(await slack.answer(slack.inbound.interaction(submitted)))
    assert "Preview of password-reset" in preview and "id.example.com/forgot" in preview
    assert button_labels(slack.fake.posted()[-1]) == ["Save", "Cancel", "Fill in the form"]

    saved = text_of(await slack.presses(ANA, "Save"))
    assert "Saved password-reset: English revision 2" in saved
    async with slack.adapter.garda.sessions() as session:
        english = next(r for r in await article_rows(session, "password-reset") if r.lang == "en")
    assert english.body == NEW_BODY and english.updated_by == f"slack:{ANA}"

    answer = text_of(await slack.says(ANA, "I forgot my password"))
    assert "id.example.com/forgot" in answer


async def test_a_wrong_answer_in_the_modal_is_asked_again_in_chat(admin_slack: Workspace) -> None:
    slack = admin_slack
    await slack.answer(slack.inbound.command(slash_command(ANA, "kb new")))
    await slack.presses(ANA, "Fill in the form")
    view = (await slack.fake.wait_for("views.open")).args["view"]
    answers = {
        "garda.field.en.title": "Label printer prints blank labels",
        "garda.field.topic": "labels",
        "garda.field.tier": "2",
        "garda.field.en.symptoms": "the label printer prints blank labels",
        "garda.field.en.body": "Check the ribbon.",
    }  # the Indonesian fields left empty: skipped
    submitted = view_submission(ANA, {**view, "id": "V0NEW"}, answers)
    said = text_of(await slack.answer(slack.inbound.interaction(submitted)))
    assert 'Topic: "labels" is not a topic I know' in said
    assert "Step 2 of 8. Topic" in said

    preview = text_of(await slack.says(ANA, "printer"))
    assert "Bahasa Indonesia is skipped" in preview
    assert "Saved label-printer-prints-blank-labels: English revision 1" in text_of(
        await slack.presses(ANA, "Save")
    )


def test_a_small_form_rides_in_its_button_with_its_values() -> None:
    form = (FormField("note", "Note", value="as it was", multiline=True),)
    [button] = form_button(form)
    assert button["value"] != PENDING_FORM and len(button["value"]) <= VALUE_LIMIT
    from bot.slack.blocks import form_fields

    assert form_fields(button["value"]) == form
    big = (FormField("body", "Body", value="x" * VALUE_LIMIT),)
    assert form_button(big)[0]["value"] == PENDING_FORM
    view = form_view(form, origin=Address("slack", direct_channel(ANA)))
    element = view["blocks"][0]["element"]
    assert element["initial_value"] == "as it was" and element["multiline"] is True
