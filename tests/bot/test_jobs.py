"""The background jobs: the outbox emptied and the SLA timers swept, round after round."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.app import open_garda
from bot.delivery import Courier
from bot.jobs import Jobs, jobs_for
from bot.outbox import Outbox
from models.db import SessionFactory
from tests.bot.test_outbox import FakeSender, MovingClock, clock, put, sessions

__all__ = ["clock", "sessions"]  # fixtures shared with the outbox's tests


class FakeSweeper:
    """Fires "timers" that each queue one message; fails when told to."""

    def __init__(self, sessions: SessionFactory, clock: MovingClock) -> None:
        self.sessions, self.clock = sessions, clock
        self.due: list[str] = []
        self.failures = 0
        self.sweeps = 0

    async def sweep(self) -> int:
        self.sweeps += 1
        if self.failures:
            self.failures -= 1
            raise RuntimeError("the database went away")
        fired, self.due = self.due, []
        for key in fired:
            await put(self.sessions, self.clock, key, f"SLA: {key}")
        return len(fired)


def jobs_on(
    sessions: SessionFactory, clock: MovingClock, *, interval: float = 60.0
) -> tuple[Jobs, FakeSender, FakeSweeper]:
    sender, sweeper = FakeSender(), FakeSweeper(sessions, clock)
    outbox = Outbox(sessions, Courier([sender]), clock=clock, batch=3)
    return Jobs(outbox, sweeper, interval=interval), sender, sweeper


async def eventually(condition: object, *, seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.01)


async def test_a_round_empties_the_outbox_and_delivers_what_the_sweep_queued(
    sessions: SessionFactory, clock: MovingClock
) -> None:
    jobs, sender, sweeper = jobs_on(sessions, clock)
    for number in range(7):  # more than two batches
        await put(sessions, clock, f"n{number}", f"n{number}")
    sweeper.due = ["ack_breach:1"]
    await jobs.run_once()
    assert sender.texts() == [f"n{number}" for number in range(7)] + ["SLA: ack_breach:1"]


async def test_the_loop_delivers_at_once_when_woken(
    sessions: SessionFactory, clock: MovingClock
) -> None:
    jobs, sender, _ = jobs_on(sessions, clock, interval=3600)  # only a wake can make it run
    async with jobs:
        await eventually(lambda: jobs.sweeper.sweeps == 1)  # type: ignore[attr-defined]
        await put(sessions, clock, "n1", "hello")
        jobs.outbox.wake()
        await eventually(lambda: sender.texts() == ["hello"])


async def test_a_failed_round_is_logged_and_the_loop_goes_on(
    sessions: SessionFactory, clock: MovingClock, caplog: pytest.LogCaptureFixture
) -> None:
    jobs, sender, sweeper = jobs_on(sessions, clock, interval=0.01)
    sweeper.failures = 2
    sweeper.due = ["resolve_warn:1"]
    async with jobs:
        await eventually(lambda: sender.texts() == ["SLA: resolve_warn:1"])
    assert sweeper.sweeps >= 3
    assert "a round failed" in caplog.text and "the database went away" in caplog.text


async def test_stopping_delivers_what_was_just_queued(
    sessions: SessionFactory, clock: MovingClock
) -> None:
    jobs, sender, _ = jobs_on(sessions, clock, interval=3600)
    jobs.start()
    await eventually(lambda: jobs.sweeper.sweeps == 1)  # type: ignore[attr-defined]
    await put(sessions, clock, "bye", "the last words")
    await jobs.stop()
    assert sender.texts() == ["the last words"]


async def test_open_garda_wires_the_outbox_but_starts_nothing(
    seeded_template: Path, tmp_path: Path
) -> None:
    path = tmp_path / "garda.db"
    path.write_bytes(seeded_template.read_bytes())
    clock = MovingClock()
    async with open_garda(f"sqlite+aiosqlite:///{path}", clock=clock) as garda:
        assert garda.outbox.courier is garda.courier and garda.outbox.clock is clock
        assert garda.dispatcher.clock is clock
        assert garda.dispatcher.wake is not None
        garda.dispatcher.wake()
        assert garda.outbox.woken.is_set()  # set, and nothing running to clear it
        jobs = jobs_for(garda)
        assert jobs.sweeper is garda.dispatcher and jobs.outbox is garda.outbox
        await jobs.run_once()  # no ticket, no timer: nothing to do, nothing fails
    assert not [task for task in asyncio.all_tasks() if task.get_name() == "garda-jobs"]
