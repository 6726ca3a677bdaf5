"""The message catalogue: every user-visible string, in every supported language."""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from functools import partial
from importlib import resources

from knowledge.text import load_yaml

DEFAULT_LANG = "en"

Texts = Callable[..., str]  # a catalogue lookup in one language: t(key, **params)


class Catalogue:
    """Looks up and formats user-visible texts by key and language."""

    def __init__(self, texts: Mapping[str, Mapping[str, str]]) -> None:
        self._texts = texts

    @classmethod
    def load(cls) -> Catalogue:
        """The catalogue shipped in ``handlers/locales``: ``en.yaml``, and the texts of one
        area in files of their own (``en.kb.yaml``); a key defined twice fails here."""
        texts: dict[str, dict[str, str]] = {}
        for entry in sorted(
            resources.files("handlers").joinpath("locales").iterdir(), key=lambda e: e.name
        ):
            if not entry.name.endswith(".yaml"):
                continue
            lang = entry.name.split(".", 1)[0]
            found = load_yaml(entry.read_text(encoding="utf-8"))
            known = texts.setdefault(lang, {})
            twice = known.keys() & {str(key) for key in found}
            if twice:
                raise ValueError(f"{entry.name} defines {sorted(twice)} again")
            known.update({str(key): str(value) for key, value in found.items()})
        return cls(texts)

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages the catalogue has texts for."""
        return tuple(sorted(self._texts))

    def keys(self, lang: str) -> set[str]:
        """Every key defined for ``lang``."""
        return set(self._texts.get(lang, {}))

    def has(self, lang: str, key: str) -> bool:
        """Whether ``key`` exists in ``lang``."""
        return key in self._texts.get(lang, {})

    def text(self, lang: str, key: str, /, **params: object) -> str:
        """The text for ``key`` in ``lang`` (English if missing there), filled with ``params``."""
        texts = self._texts.get(lang) or self._texts[DEFAULT_LANG]
        template = texts.get(key) or self._texts[DEFAULT_LANG][key]
        return template.format(**params) if params else template

    def texts(self, lang: str) -> Texts:
        """:meth:`text` bound to one language: ``t(key, **params)``."""
        return partial(self.text, lang)

    def all_texts(self, key: str) -> list[str]:
        """``key`` in every language (to recognise a typed choice label in any of them)."""
        return [texts[key] for texts in self._texts.values() if key in texts]


def placeholders(template: str) -> set[str]:
    """The ``{name}`` fields a template expects."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}
