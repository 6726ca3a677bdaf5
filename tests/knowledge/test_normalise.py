"""Each normalisation rule, one at a time."""

from __future__ import annotations

import pytest

from knowledge.index import Index
from knowledge.lexicon import Lexicon
from knowledge.normalise import Normaliser, word_forms
from knowledge.text import fold, load_yaml, words

LEXICON = Lexicon.load()


@pytest.fixture(scope="module")
def normaliser() -> Normaliser:
    return Normaliser(LEXICON)


def main_forms(normaliser: Normaliser, text: str) -> list[str]:
    return [word.forms[0] for word in normaliser.words(text)]


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Hello WORLD", "hello world"),  # case
        ("café naïve résumé", "cafe naive resume"),  # accents
        ("can't-connect!!! (again)", "can t connect again"),  # punctuation
        ("error 0x80070005 on PC-42", "error 0x80070005 on pc 42"),  # numbers and codes kept
        ("tab\tand\nnewline", "tab and newline"),
        ("🙂🔥", ""),  # emoji carry no words
    ],
)
def test_folding(text: str, folded: str) -> None:
    assert fold(text) == folded
    assert words(text) == folded.split()


@pytest.mark.parametrize(
    ("variant", "concept"),
    [
        ("pwd", "password"),
        ("pw", "password"),
        ("kata sandi", "password"),  # a phrase becomes one word
        ("katasandi", "password"),
        ("terkunci", "locked"),
        ("keblokir", "blocked"),
        ("jaringan", "network"),
        ("lemot", "slow"),
        ("ngeprint", "print"),
        ("konek", "connect"),
        ("gak", "tidak"),  # chat spelling to the standard word
        ("nggak", "tidak"),
        ("tdk", "tidak"),
        ("pls", "please"),
        ("outlook", "email"),
    ],
)
def test_lexicon_maps_variants_to_one_concept(
    normaliser: Normaliser, variant: str, concept: str
) -> None:
    assert main_forms(normaliser, variant) == [concept]


def test_the_longest_variant_wins(normaliser: Normaliser) -> None:
    assert main_forms(normaliser, "lupa kata sandi wifi") == [
        *main_forms(normaliser, "lupa"),
        "password",
        *main_forms(normaliser, "wifi"),
    ]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("printers", "printer"),  # plural
        ("connected", "connecting"),  # tense
        ("mencetak", "dicetak"),  # Indonesian me- / di-
        ("jaringannya", "jaringan"),  # -nya
        ("perbaikan", "diperbaiki"),  # -kan / -an / per-
    ],
)
def test_word_forms_share_a_stem(first: str, second: str) -> None:
    assert set(word_forms(first)) & set(word_forms(second))


@pytest.mark.parametrize("word", ["vpn", "dns", "0x80070005", "win10", "2024"])
def test_short_words_numbers_and_codes_are_kept_whole(word: str) -> None:
    assert word_forms(word) == (word,)


def test_stop_words_are_flagged_not_dropped(normaliser: Normaliser) -> None:
    flags = {word.text: word.stop for word in normaliser.words("my printer is not printing")}
    assert flags["my"] and flags["is"] and not flags["printer"]


def test_words_yaml_would_read_as_booleans_stay_words(normaliser: Normaliser) -> None:
    """YAML 1.1 reads a bare on/off/yes/no as a boolean; the data files must not."""
    flags = {word.text: word.stop for word in normaliser.words("yes no on off spam")}
    assert flags == {"yes": True, "no": True, "on": True, "off": True, "spam": False}
    assert load_yaml("[on, off, yes, no, true]") == ["on", "off", "yes", "no", True]


def test_the_index_reads_phrases_exactly_as_queries_are_read(normaliser: Normaliser) -> None:
    """The index has its own fast path; it must agree with the normaliser word for word."""
    index = Index(normaliser)
    for text in (
        "saya lupa kata sandi dan akun terkunci",
        "printer not working, jobs stuck",
        "can not log in to outlook",
        "kata sandi kata sandi",
        "not not working",
        "wifi",
        "",
    ):
        expected = [index._word_ids(word) for word in normaliser.words(text)]
        assert index._phrase_terms(text) == expected, text


def test_a_typo_finds_the_word_it_means(normaliser: Normaliser) -> None:
    index = Index(normaliser)
    from tests.knowledge.test_index import article

    index.add(article("a", symptoms=("password expired", "network printer offline")))
    names = {index.term_names[term] for term in index.near("pasword")}
    assert "password" in names
    assert list(index.near("vpa")) == []  # short words must be spelt right
