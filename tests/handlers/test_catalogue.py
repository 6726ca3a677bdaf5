"""Every user-visible text exists in both languages, with the same placeholders."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from handlers import build_router
from handlers.i18n import Catalogue, placeholders
from handlers.kb_admin import SUBCOMMANDS
from knowledge.vocab import FACTS
from models.tables import TicketStatus

ROOT = Path(__file__).resolve().parents[2]
HELP_ONLY = re.compile(r"^help\.(?!intro$)")  # English help comes from docstrings


def test_both_languages_have_the_same_keys() -> None:
    catalogue = Catalogue.load()
    english = {key for key in catalogue.keys("en") if not HELP_ONLY.match(key)}
    indonesian = {key for key in catalogue.keys("id") if not HELP_ONLY.match(key)}
    assert english - indonesian == set()
    assert indonesian - english == set()


def test_translations_keep_the_placeholders() -> None:
    catalogue = Catalogue.load()
    for key in catalogue.keys("en") & catalogue.keys("id"):
        english, indonesian = catalogue.text("en", key), catalogue.text("id", key)
        assert placeholders(english) == placeholders(indonesian), key


def test_every_command_has_indonesian_help() -> None:
    catalogue = Catalogue.load()
    for name in build_router().commands:
        assert catalogue.has("id", f"help.{name}"), name


def test_every_kb_subcommand_has_indonesian_help() -> None:
    catalogue = Catalogue.load()
    for name in SUBCOMMANDS.commands:
        assert catalogue.has("id", f"help.kb.{name}"), name


def test_every_fact_and_status_has_its_texts() -> None:
    catalogue = Catalogue.load()
    for lang in catalogue.languages:
        for fact in FACTS:
            for part in ("ask", "invalid", "label"):
                assert catalogue.has(lang, f"fact.{fact}.{part}"), (lang, fact, part)
        for status in TicketStatus:
            assert catalogue.has(lang, f"ticket.status.{status.value}"), (lang, status)


def test_every_key_used_in_code_exists() -> None:
    """Literal keys passed to say/t/option/UserFacingError are all in the catalogue."""
    catalogue = Catalogue.load()
    used: set[str] = set()
    for path in (ROOT / "handlers").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and node.args:
                name = getattr(node.func, "attr", getattr(node.func, "id", ""))
                first = node.args[1] if name == "option" else node.args[0]
                if name in {"say", "t", "option", "UserFacingError"} and isinstance(
                    first, ast.Constant
                ):
                    used.add(str(first.value))
    assert used, "found no catalogue keys in handlers/"
    assert sorted(key for key in used if not catalogue.has("en", key)) == []
