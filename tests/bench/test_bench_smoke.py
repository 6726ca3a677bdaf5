"""The matcher benchmark still runs: valid generated articles, and a small run prints its table.

Behaviour only: the figures it prints are for people, never asserted here.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from knowledge.articles import parse_article, render_article
from knowledge.vocab import LANGUAGES, TOPICS

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "matcher.py"


@pytest.fixture(scope="module")
def bench() -> Iterator[ModuleType]:
    """``bench/matcher.py`` loaded as a module (``bench/`` is scripts, not a package)."""
    spec = importlib.util.spec_from_file_location("bench_matcher", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def test_generated_articles_are_valid_article_files_and_repeatable(bench: ModuleType) -> None:
    docs = bench.generate_articles(300, seed=3)

    assert docs == bench.generate_articles(300, seed=3)
    assert len({doc.id for doc in docs}) == 300
    assert {doc.lang for doc in docs} == set(LANGUAGES)
    for doc in docs:
        assert doc.topic in TOPICS
        assert len(doc.symptoms) == 5
        assert 3 <= len(doc.keywords) <= 5
        assert parse_article(render_article(doc)) == doc


def test_queries_come_from_the_articles_and_include_off_topic_ones(bench: ModuleType) -> None:
    docs = bench.generate_articles(100, seed=3)
    queries = bench.generate_queries(docs, 200, seed=3)

    sources = {query.source for query in queries}
    assert len(queries) == 200
    assert None in sources
    assert sources - {None} <= {doc.id for doc in docs}


def test_a_small_run_prints_the_table_and_exits_zero() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--sizes", "100", "--queries", "20"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=100,
    )

    assert done.returncode == 0, done.stderr
    assert "articles  build s  RSS MB  garda p50  garda p99" in done.stdout
    assert re.search(r"^\s+100\s+\d", done.stdout, re.MULTILINE), done.stdout
