"""The dependency rule: bot -> handlers -> knowledge, models; platforms stay at the edge."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SDKS = {"slack_bolt", "slack_sdk", "telegram", "aiohttp", "starlette", "uvicorn", "typer"}
FORBIDDEN = {
    "handlers": {"bot"} | SDKS,
    "knowledge": {"bot", "handlers"} | SDKS,
    "models": {"bot", "handlers", "knowledge"} | SDKS,
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def reads_environment(path: Path) -> bool:
    source = path.read_text(encoding="utf-8")
    return "os.environ" in source or "getenv" in source


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_inner_packages_never_import_outer_ones_or_an_sdk(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
    }
    assert {path: bad for path, bad in offenders.items() if bad} == {}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_only_bot_reads_the_environment(package: str) -> None:
    assert [p.name for p in (ROOT / package).rglob("*.py") if reads_environment(p)] == []


def test_the_rule_itself_catches_an_offender(tmp_path: Path) -> None:
    offender = tmp_path / "bad.py"
    offender.write_text("from bot.config import Settings\nimport slack_bolt.app\n")
    assert imported_packages(offender) & FORBIDDEN["handlers"] == {"bot", "slack_bolt"}
