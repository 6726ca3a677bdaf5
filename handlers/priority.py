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


def parse_matrix(text: str) -> dict[tuple[str, str], str]:
    """The matrix with ``"high/low=P2, low/high=P2"`` (impact/urgency=priority) changed."""
    matrix = dict(MATRIX)
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        cell, _, rank = part.partition("=")
        impact, _, urgency = cell.strip().casefold().partition("/")
        rank = rank.strip().upper()
        if impact not in LEVELS or urgency not in LEVELS or rank not in ("P1", "P2", "P3", "P4"):
            raise ValueError(
                f"{part!r}: write impact/urgency=priority, e.g. high/low=P2 "
                f"(levels {', '.join(LEVELS)}; priorities P1-P4)"
            )
        matrix[(impact, urgency)] = rank
    return matrix
