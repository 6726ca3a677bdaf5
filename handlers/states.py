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
