"""Block Kit for Garda's replies: text sections, a button per choice, the facts form, App Home.

Every text placed in a block goes through :mod:`bot.slack.text` and is cut to Slack's limits
(section text 3,000 characters, message text 40,000, button labels 75, 25 buttons a message).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from bot.slack.text import ELLIPSIS, escape, fit, mrkdwn, split, truncate
from handlers.messages import Address, Choice, FormField, Reply

logger = logging.getLogger(__name__)

Block = dict[str, Any]

MESSAGE_LIMIT = 40_000
SECTION_LIMIT = 3_000
MAX_SECTIONS = 45  # of Slack's 50 blocks a message, leaving room for the buttons
MAX_HOME_SECTIONS = 95  # of a Home tab's 100 blocks
LABEL_LIMIT = 75
MAX_BUTTONS = 25
VALUE_LIMIT = 2_000
MAX_FORM_FIELDS = 20
INPUT_LIMIT = 3_000  # plain_text_input's max_length (and so its initial_value's)
INPUT_LABEL_LIMIT = 2_000  # an input block's label and hint
PENDING_FORM = "pending"  # a form button's value when the fields do not fit in it: the adapter
# reads them from the user's conversation instead (``Dispatcher.pending_form``)

CHOICE_ACTION = "garda.choice."  # + the button's position: action ids are unique per message
FORM_ACTION = "garda.form"
FORM_VIEW = "garda.form"
CHOICES_BLOCK = "garda.choices"
FIELD_BLOCK = "garda.field."  # + the field's name
FIELD_INPUT = "value"

# Slack-only words. The catalogue has no keys for them yet, so they are English for everyone.
FORM_BUTTON = "Fill in the form"
FORM_TITLE = "Garda"
FORM_SUBMIT = "Send"
FORM_CLOSE = "Cancel"
CHOSEN_MARK = "✅"


def message(reply: Reply) -> tuple[str, list[Block]]:
    """The ``text`` and ``blocks`` of a chat.postMessage call for ``reply``."""
    text = truncate(mrkdwn(escape(reply.text)), MESSAGE_LIMIT)
    blocks = sections(text, MAX_SECTIONS)
    buttons = [*choice_buttons(reply.choices), *form_button(reply.form)]
    if len(buttons) > MAX_BUTTONS:
        logger.warning("a reply had %d buttons; Slack shows %d", len(buttons), MAX_BUTTONS)
        buttons = buttons[: MAX_BUTTONS - 1] + buttons[-1:]  # keep the form button, if any
    if buttons:
        blocks.append({"type": "actions", "block_id": CHOICES_BLOCK, "elements": buttons})
    return text or " ", blocks


def sections(escaped: str, most: int) -> list[Block]:
    """Escaped text as mrkdwn sections of at most 3,000 characters, at most ``most`` of them."""
    pieces = split(escaped, SECTION_LIMIT)
    if len(pieces) > most:
        pieces = [*pieces[: most - 1], truncate(pieces[most - 1], SECTION_LIMIT)]
    return [{"type": "section", "text": {"type": "mrkdwn", "text": piece}} for piece in pieces]


def choice_buttons(choices: Sequence[Choice]) -> list[Block]:
    """One button per choice; pressing it sends the choice id back as the button's value."""
    return [
        {
            "type": "button",
            "action_id": f"{CHOICE_ACTION}{position}",
            "text": _plain(choice.label, LABEL_LIMIT),
            "value": choice.id[:VALUE_LIMIT],
        }
        for position, choice in enumerate(choices)
    ]


def form_button(form: Sequence[FormField]) -> list[Block]:
    """The button that opens the form, carrying its fields (so any process can open it), or,
    when they do not fit in a button (prefilled articles), :data:`PENDING_FORM`."""
    if not form:
        return []
    fields = [field.as_json() for field in form[:MAX_FORM_FIELDS]]
    value = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    if len(value) > VALUE_LIMIT:
        value = PENDING_FORM
    return [
        {
            "type": "button",
            "action_id": FORM_ACTION,
            "style": "primary",
            "text": _plain(FORM_BUTTON, LABEL_LIMIT),
            "value": value,
        }
    ]


def form_fields(value: str) -> tuple[FormField, ...]:
    """The fields a form button carries (none for :data:`PENDING_FORM`)."""
    if value == PENDING_FORM:
        return ()
    return tuple(FormField.from_json(field) for field in json.loads(value))


def form_view(fields: Sequence[FormField], *, origin: Address) -> dict[str, Any]:
    """The modal asking every field at once; its answers go back to ``origin``."""
    blocks: list[Block] = []
    for field in fields:
        element: Block = {
            "type": "plain_text_input",
            "action_id": FIELD_INPUT,
            "max_length": INPUT_LIMIT,
        }
        if field.value:
            element["initial_value"] = field.value[:INPUT_LIMIT]
        if field.multiline:
            element["multiline"] = True
        block: Block = {
            "type": "input",
            "block_id": f"{FIELD_BLOCK}{field.name}",
            # Like "I don't know" in chat (the engineer can ask later); where an answer is
            # needed, Garda says so and asks again.
            "optional": True,
            "label": _plain(field.label, INPUT_LABEL_LIMIT),
            "element": element,
        }
        if field.hint:
            block["hint"] = _plain(field.hint, INPUT_LABEL_LIMIT)
        blocks.append(block)
    return {
        "type": "modal",
        "callback_id": FORM_VIEW,
        "title": _plain(FORM_TITLE, 24),
        "submit": _plain(FORM_SUBMIT, 24),
        "close": _plain(FORM_CLOSE, 24),
        "private_metadata": json.dumps({"channel": origin.chat_id, "thread": origin.thread_id}),
        "blocks": blocks,
    }


def form_answers(view: Mapping[str, Any]) -> dict[str, str]:
    """The filled-in fields of a submitted form, by field name (empty ones left out)."""
    answers: dict[str, str] = {}
    for block_id, inputs in (view.get("state", {}).get("values") or {}).items():
        value = (inputs.get(FIELD_INPUT) or {}).get("value")
        if block_id.startswith(FIELD_BLOCK) and value and value.strip():
            answers[block_id.removeprefix(FIELD_BLOCK)] = value.strip()
    return answers


def form_origin(view: Mapping[str, Any], platform: str) -> Address:
    """Where the form's button was, i.e. where the conversation goes on."""
    where = json.loads(view.get("private_metadata") or "{}")
    return Address(platform, where["channel"], where.get("thread"))


def answered(posted: Mapping[str, Any], label: str) -> tuple[str, list[Block]]:
    """A posted message with its buttons replaced by the one that was pressed."""
    kept = [block for block in posted.get("blocks") or [] if block.get("type") != "actions"]
    mark = {"type": "mrkdwn", "text": f"{CHOSEN_MARK} {fit(label, SECTION_LIMIT - 2)}"}
    return posted.get("text") or " ", [*kept, {"type": "context", "elements": [mark]}]


def home_view(text: str) -> dict[str, Any]:
    """The App Home tab showing ``text`` (the user's tickets)."""
    escaped = truncate(mrkdwn(escape(text)), MAX_HOME_SECTIONS * SECTION_LIMIT)
    return {"type": "home", "blocks": sections(escaped, MAX_HOME_SECTIONS)}


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": fit(text, limit) or ELLIPSIS, "emoji": True}
