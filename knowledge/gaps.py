"""Knowledge gaps grouped by similarity: the questions the knowledge base answers badly.

(Being written: the grouping. ``GapGroup`` is the contract the reports rely on.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class GapGroup:
    """Similar questions the knowledge base did not answer well, counted together."""

    wordings: tuple[str, ...]  # distinct wordings, most asked first: the first is its label
    count: int  # questions in the group
    people: int  # distinct requesters who asked them
    reasons: Mapping[str, int]  # escalate / not_solved / weak -> how many
    gap_ids: tuple[int, ...]  # the KnowledgeGap rows in it
    first_seen: datetime
    last_seen: datetime
    article: str | None = None  # the article most often (weakly) matched, if any

    @property
    def label(self) -> str:
        """The group's most asked wording."""
        return self.wordings[0]
