"""Impact x urgency -> priority, the way service desks rank work (ITIL's matrix)."""

from __future__ import annotations

from typing import Final

LEVELS: Final = ("low", "medium", "high")

MATRIX: Final = {
    ("high", "high"): "P1",
    ("high", "medium"): "P2",
    ("medium", "high"): "P2",
    ("high", "low"): "P3",
    ("medium", "medium"): "P3",
    ("low", "high"): "P3",
    ("medium", "low"): "P4",
    ("low", "medium"): "P4",
    ("low", "low"): "P4",
}


def priority(impact: str, urgency: str) -> str:
    """``P1`` (most urgent) to ``P4`` for an impact and urgency of low, medium or high."""
    return MATRIX[(impact, urgency)]
