"""The states of a Level I conversation, persisted on the conversation row."""

import enum


class State(enum.StrEnum):
    """Where a conversation stands; each handler returns the next one."""

    IDLE = "idle"  # nothing under way
    DESCRIBE = "describe"  # asked what is wrong
    CLARIFY = "clarify"  # offered "did you mean" articles
    FEEDBACK = "feedback"  # showed an article, asked whether it solved the problem
    FACTS = "facts"  # collecting the facts the article needs
    IMPACT = "impact"  # asked who is affected
    URGENCY = "urgency"  # asked how urgent it is
    VERIFY_EMAIL = "verify_email"  # asked for the email to send a verification code to
    VERIFY_CODE = "verify_code"  # waiting for that code
    ACTION_INPUT = "action_input"  # asking what a self-service action needs (an address...)
    ACTION_CONFIRM = "action_confirm"  # showed what the action will do; waiting for yes/no
    DESK_INPUT = "desk_input"  # an agent pressed Ask or Resolve: waiting for their words
    KB_DRAFT = "kb_draft"  # a KB editor writes an article step by step (the draft: data["kb"])
    KB_PREVIEW = "kb_preview"  # showed the written article; waiting for Save or Cancel
    KB_CONFIRM = "kb_confirm"  # asked to confirm disabling or reverting an article
