"""The domain lexicon: informal spellings and IT synonyms mapped to one concept each."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from knowledge.text import fold, load_yaml

MAX_PHRASE = 3  # longest variant, in words


@dataclass(frozen=True)
class Lexicon:
    """Word sequences (1 to 3 folded words) and the concept each stands for."""

    variants: Mapping[tuple[str, ...], str]
    it_words: frozenset[str] = frozenset()  # every word of the IT section: "this is about IT"
    starts: frozenset[str] = field(init=False)  # first words of multi-word variants

    @classmethod
    def from_mapping(cls, sections: Mapping[str, Mapping[str, list[str]]]) -> Lexicon:
        """Build from ``{section: {concept: [variant, ...]}}`` (the data file's shape)."""
        variants: dict[tuple[str, ...], str] = {}
        it_words: set[str] = set()
        for section, concepts in sections.items():
            for concept, words in (concepts or {}).items():
                canonical = fold(str(concept))
                for variant in (canonical, *(str(word) for word in words or ())):
                    key = tuple(fold(variant).split())
                    if key and len(key) <= MAX_PHRASE:
                        variants.setdefault(key, canonical)
                        if section == "it":
                            it_words.update(key)
        return cls(variants, frozenset(it_words))

    @classmethod
    def load(cls, path: Path | None = None) -> Lexicon:
        """The bundled lexicon, or the file at ``path``."""
        source = (
            path.read_text(encoding="utf-8")
            if path is not None
            else resources.files("knowledge").joinpath("data/lexicon.yaml").read_text("utf-8")
        )
        return cls.from_mapping(load_yaml(source) or {})

    def __post_init__(self) -> None:
        # Only where a multi-word variant can start is a longer lookup worth it.
        starts = frozenset(key[0] for key in self.variants if len(key) > 1)
        object.__setattr__(self, "starts", starts)

    def spans(self, tokens: list[str]) -> list[tuple[int, int, str]]:
        """Multi-word variants in ``tokens``, read left to right, longest first.

        Each is ``(start, size, concept)``: "lupa kata sandi" -> ``[(1, 2, "password")]``.
        """
        found: list[tuple[int, int, str]] = []
        if self.starts.isdisjoint(tokens):  # the usual case: nothing can start here
            return found
        i, count = 0, len(tokens)
        while i < count:
            if tokens[i] in self.starts:
                for size in range(min(MAX_PHRASE, count - i), 1, -1):
                    concept = self.variants.get(tuple(tokens[i : i + size]))
                    if concept is not None:
                        found.append((i, size, concept))
                        i += size
                        break
                else:
                    i += 1
            else:
                i += 1
        return found
