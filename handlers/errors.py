"""Errors whose text is meant for the user (everything else is a bug and gets an apology)."""

from __future__ import annotations


class UserFacingError(Exception):
    """An expected problem; the catalogue text for ``key`` is shown to the user as is."""

    def __init__(self, key: str, /, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params
