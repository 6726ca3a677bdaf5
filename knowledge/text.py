"""Text normalisation shared by matching, language detection and small-talk recognition."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib import resources
from typing import Any

import yaml

_NON_WORD = re.compile(r"[^0-9a-z]+")
# For ASCII text (nearly all of it), one C-level pass: keep letters and digits, space the rest.
_ASCII_TO_WORDS = str.maketrans(
    {chr(c): " " for c in range(128) if not chr(c).isalnum() or chr(c).isupper()}
)


def fold(text: str) -> str:
    """Lowercase, strip accents, and turn everything that is not a letter or digit into spaces."""
    return " ".join(words(text))


def words(text: str) -> list[str]:
    """The folded words of ``text``: lowercase, no accents, letters and digits only."""
    lowered = text.casefold()
    if lowered.isascii():
        return lowered.translate(_ASCII_TO_WORDS).split()
    decomposed = unicodedata.normalize("NFKD", lowered)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", stripped).split()


class _Yaml12Loader(yaml.SafeLoader):
    """YAML 1.2 scalars: only ``true``/``false`` are booleans, so "on", "no", "off" stay words."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_yaml(source: str) -> Any:
    """Parse a data or article file; a bare ``on``/``no``/``yes`` is a word, not a boolean."""
    return yaml.load(source, Loader=_Yaml12Loader)


@cache
def word_lists(name: str) -> dict[str, frozenset[str]]:
    """A word-list data file, ``knowledge/data/<name>.yaml``: its lists by heading."""
    raw = load_yaml(resources.files("knowledge").joinpath(f"data/{name}.yaml").read_text("utf-8"))
    return {
        str(key): frozenset(str(word) for word in vocabulary) for key, vocabulary in raw.items()
    }
