"""The HTTP benchmark still runs against a real ``garda serve``, and cleans up after itself.

Behaviour only: the figures it prints are for people, never asserted here.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "http.py"
SMALL = ["--concurrency", "3", "--rounds", "1", "--sqlite-only"]


def in_tmp(tmp_path: Path) -> dict[str, str]:
    """The environment with the bench's temporary folders in ``tmp_path``, apart from any
    other run's."""
    return {**os.environ, "TMPDIR": str(tmp_path)}


def leftovers(tmp_path: Path) -> set[Path]:
    """The bench's temporary folders (each holds a SQLite file and the server's log)."""
    return set(tmp_path.glob("garda-bench-*"))


def servers_in(folders: set[Path]) -> list[int]:
    """Processes working in one of ``folders`` (the server and its release step do)."""
    found = []
    for process in Path("/proc").glob("[0-9]*"):
        try:
            cwd = (process / "cwd").resolve()
        except OSError:  # gone meanwhile, or not ours to look at
            continue
        if any(cwd == folder.resolve() for folder in folders):
            found.append(int(process.name))
    return found


@pytest.mark.timeout(120)
def test_a_small_run_prints_the_table_and_exits_zero(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *SMALL],
        cwd=ROOT,
        env=in_tmp(tmp_path),
        capture_output=True,
        text=True,
        timeout=110,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "database   round" in done.stdout
    assert "ack p99" in done.stdout and "reply p99" in done.stdout
    assert re.search(r"^sqlite\s+warm-up\s+3/3\s+3/3\s+\d", done.stdout, re.MULTILINE)
    assert re.search(r"^sqlite\s+all\s+3/3\s+3/3\s+\d.*p99 ack < 300 ms", done.stdout, re.MULTILINE)
    assert not re.search(r"^postgresql", done.stdout, re.MULTILINE)
    assert leftovers(tmp_path) == set()


@pytest.mark.timeout(120)
@pytest.mark.skipif(not Path("/proc/self/cwd").exists(), reason="needs Linux's /proc")
def test_ctrl_c_stops_the_server_and_removes_the_files(tmp_path: Path) -> None:
    bench = subprocess.Popen(
        [sys.executable, str(SCRIPT), *SMALL, "--rounds", "5"],
        cwd=ROOT,
        env=in_tmp(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert bench.stdout is not None
        for line in bench.stdout:  # the server is up once the first round is printed
            if line.startswith("sqlite     warm-up"):
                break
        ours = leftovers(tmp_path)
        running = servers_in(ours)
        assert ours and running

        bench.send_signal(signal.SIGINT)
        rest = bench.communicate(timeout=60)[0]
    finally:
        if bench.poll() is None:
            bench.kill()

    assert bench.returncode == 130, rest
    assert "cleaned up" in rest
    assert leftovers(tmp_path) == set()
    deadline = time.monotonic() + 5
    while alive(running) and time.monotonic() < deadline:  # an orphan is reaped a moment later
        time.sleep(0.1)
    assert alive(running) == []


def alive(pids: list[int]) -> list[int]:
    """Those of ``pids`` still running."""
    return [pid for pid in pids if Path(f"/proc/{pid}").exists()]
