"""The matcher benchmark still runs: valid generated articles, and a small run prints its table;
so does the desk benchmark.

Behaviour only: the figures it prints are for people, never asserted here.
"""

from __future__ import annotations

import importlib.util
import os
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
DESK_SCRIPT = ROOT / "bench" / "desk.py"


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


def test_a_small_desk_run_prints_its_three_tables_on_sqlite(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "GARDA_TEST_POSTGRES_URL"}
    env["TMPDIR"] = str(tmp_path)  # its SQLite folder, to check that it is gone afterwards
    done = subprocess.run(
        [sys.executable, str(DESK_SCRIPT), "--tickets", "5", "--notices", "10", "--runs", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=100,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "database   run  tickets open p50 open p99 ref p50 ref p99 open/ref p50" in out
    assert "database   run  messages    msg/s  ms/msg empty round ms msg/empty" in out
    assert "database   run  timers timers/s ms/timer empty sweep ms timer/empty pings" in out
    number = r"\s+(\d+\.\d+|\d+)"
    assert re.search(rf"^sqlite\s+1\s+5({number}){{6}}$", out, re.MULTILINE), out  # tickets
    assert re.search(rf"^sqlite\s+1\s+15({number}){{4}}$", out, re.MULTILINE), out  # 5 + 10
    assert re.search(rf"^sqlite\s+1\s+5({number}){{4}}\s+5$", out, re.MULTILINE), out  # pings
    assert not re.search(r"^(postgresql|sqlite\s+all)", out, re.MULTILINE)
    assert list(tmp_path.glob("garda-bench-desk-*")) == []
