"""Benchmark the support desk's three hot paths: opening a ticket, the outbox, the SLA sweep.

Garda runs in this process (``bot.app.open_garda``) on a scratch database, with a support
desk whose Level 2 channel is on the console platform, a no-op sender for that platform and
a clock this script moves. Each run, on a fresh database, measures:

1. **open**: the last message of an intake, the press of "urgency:medium" that opens the
   ticket, through ``Dispatcher.handle``, over ``--tickets`` new requesters. The reference,
   interleaved with them on the same dispatcher: a new user asking "I forgot my password",
   answered with an article.
2. **outbox**: ``Outbox.deliver_due()`` rounds until the packets of those tickets and
   ``--notices`` extra notices (``models.queries.enqueue``) are delivered: messages per
   second and ms per message. The reference: one empty round (nothing due).
3. **sweep**: the clock moved to the last acknowledge warning, then ``Dispatcher.sweep()``:
   timers fired per second. It checks that exactly one warning per ticket was queued, and
   that a second sweep fires nothing. The reference: one empty sweep (nothing due).

This is a benchmark, not a test: it prints figures and exits 0 (130 when interrupted).

    .venv/bin/python bench/desk.py [--tickets 200] [--notices 800] [--runs 1]

SQLite always (a temporary file); PostgreSQL too when ``GARDA_TEST_POSTGRES_URL`` is set: an
admin URL, through which each run creates a scratch database, migrates it with
``models.migrate.upgrade`` and drops it afterwards, also on failure or Ctrl+C.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/ holds http.py: run as a script, this folder comes first on sys.path and would shadow
# the standard library's ``http`` package, which the libraries Garda loads import.
HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a plain script from a checkout, installed or not

import argparse  # noqa: E402
import asyncio  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import textwrap  # noqa: E402
import time  # noqa: E402
from collections.abc import AsyncIterator, Sequence  # noqa: E402
from contextlib import asynccontextmanager  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from itertools import count  # noqa: E402

from sqlalchemy import func  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import col, select  # noqa: E402

from bench.common import percentile, postgres_database  # noqa: E402
from bot.app import Garda, open_garda  # noqa: E402
from handlers.desk import Desk, private_target  # noqa: E402
from handlers.dispatcher import Dispatcher  # noqa: E402
from handlers.messages import Address, IncomingMessage, Reply, reply_to_json  # noqa: E402
from models.db import make_engine  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from models.queries import enqueue  # noqa: E402
from models.tables import OutboxMessage, SlaTimer, Ticket  # noqa: E402

POSTGRES_ENV = "GARDA_TEST_POSTGRES_URL"  # the tests' variable: an admin URL
PLATFORM = "console"
L2 = Address(PLATFORM, "l2-desk")
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # the fake clock stands still while tickets open
PROBLEM = "my vpn keeps disconnecting every few minutes"  # an article, then a P3 ticket for L2
QUESTION = "I forgot my password"  # the reference: answered with an article
MAX_SKIPS = 10  # facts an intake may ask before impact; more means the flow changed
EMPTY_ROUNDS = 50  # empty deliver_due() rounds and empty sweeps timed, for their median
TICKET_OPENED = re.compile(r"ticket #\d+")

# --- Garda's surroundings: a clock, a sender, a database ----------------------------------------


@dataclass
class FakeClock:
    """The time as this script says; it stands still unless moved."""

    now: datetime = MONDAY

    def __call__(self) -> datetime:
        return self.now


class NoOpSender:
    """The console platform's sender, sending nowhere: the cost of delivery is Garda's own."""

    platform = PLATFORM

    def __init__(self) -> None:
        self._ids = count(1)

    async def send(self, address: Address, reply: Reply) -> str:
        """A new message id, as a platform would return."""
        return str(next(self._ids))

    async def send_private(self, user_id: str, reply: Reply) -> str:
        """A new message id, as a platform would return."""
        return str(next(self._ids))

    async def edit(self, address: Address, message_id: str, reply: Reply) -> None:
        """Nothing to change."""


@asynccontextmanager
async def scratch_database(label: str) -> AsyncIterator[str]:
    """A fresh database of kind ``label``: a SQLite file in a temporary folder, or PostgreSQL."""
    if label == "postgresql":
        async with postgres_database(os.environ[POSTGRES_ENV]) as url:
            engine = make_engine(url)
            try:
                await upgrade(engine)  # as `garda db upgrade` does; SQLite migrates itself
            finally:
                await engine.dispose()
            yield url
        return
    with tempfile.TemporaryDirectory(prefix="garda-bench-desk-") as folder:
        yield f"sqlite+aiosqlite:///{Path(folder) / 'garda.db'}"


# --- the three measurements ---------------------------------------------------------------------


@dataclass
class Run:
    """One run's figures on one database (or several runs pooled: label "all")."""

    label: str
    open_ms: list[float] = field(default_factory=list)
    reference_ms: list[float] = field(default_factory=list)
    delivered: int = 0
    deliver_s: float = 0.0
    empty_round_ms: list[float] = field(default_factory=list)
    fired: int = 0
    sweep_s: float = 0.0
    empty_sweep_ms: list[float] = field(default_factory=list)
    pings: int = 0


def message(user: str, text: str = "", choice: str | None = None) -> IncomingMessage:
    """A message from ``user`` in their private console chat, as the adapter builds it."""
    return IncomingMessage(
        platform=PLATFORM,
        user_id=user,
        text=text,
        origin=Address(PLATFORM, user),
        display_name=user.title(),
        choice=choice,
    )


def offers(replies: Sequence[Reply], choice: str) -> bool:
    """Whether one of ``replies`` has a button with the id ``choice``."""
    return any(option.id == choice for reply in replies for option in reply.choices)


async def open_ticket(dispatcher: Dispatcher, user: str) -> float:
    """Walk ``user`` through an intake; ms of the last message, the one that opens the ticket."""
    replies = await dispatcher.handle(message(user, PROBLEM))
    replies = await dispatcher.handle(message(user, choice="not_solved"))
    for _ in range(MAX_SKIPS):  # the article's facts: not known, skipped
        if offers(replies, "impact:medium"):
            break
        replies = await dispatcher.handle(message(user, choice="skip"))
    await dispatcher.handle(message(user, choice="impact:medium"))
    started = time.perf_counter()
    replies = await dispatcher.handle(message(user, choice="urgency:medium"))
    elapsed_ms = (time.perf_counter() - started) * 1000
    said = "\n".join(reply.text for reply in replies)
    if not TICKET_OPENED.search(said):
        raise RuntimeError(f"the intake of {user} opened no ticket; Garda said: {said!r}")
    return elapsed_ms


async def answer_question(dispatcher: Dispatcher, user: str) -> float:
    """ms for a new user's question answered with an article (the reference)."""
    started = time.perf_counter()
    replies = await dispatcher.handle(message(user, QUESTION))
    elapsed_ms = (time.perf_counter() - started) * 1000
    if not offers(replies, "solved"):
        said = "\n".join(reply.text for reply in replies)
        raise RuntimeError(f"{QUESTION!r} got no article; Garda said: {said!r}")
    return elapsed_ms


async def queue_notices(garda: Garda, clock: FakeClock, notices: int) -> None:
    """``notices`` notices about the open tickets, due now: every other one under a packet in
    the channel, the others in the requester's private chat (as ticket relays are)."""
    async with garda.sessions() as session, session.begin():
        tickets = (await session.exec(select(Ticket).order_by(col(Ticket.id)))).all()
        for number in range(notices):
            ticket = tickets[number % len(tickets)]
            if number % 2 == 0 or not ticket.requester_key:
                target = str(L2)
            else:
                target = private_target(ticket.requester_key)
            await enqueue(
                session,
                key=f"bench:notice:{number}",
                target=target,
                reply=reply_to_json(Reply(f"Bench notice {number} about #{ticket.id}.")),
                ticket_id=ticket.id,
                purpose="notice",
                due_at=clock.now,  # the fake clock's now, not the wall clock's
            )


async def deliver_all(garda: Garda, expected: int, run: Run) -> None:
    """Deliver rounds until ``expected`` messages went out; then time empty rounds."""
    started = time.perf_counter()
    while run.delivered < expected:
        sent = await garda.outbox.deliver_due()
        if not sent:
            break
        run.delivered += sent
    run.deliver_s = time.perf_counter() - started
    if run.delivered != expected:
        raise RuntimeError(f"the outbox delivered {run.delivered} of {expected} messages")
    for _ in range(EMPTY_ROUNDS):
        started = time.perf_counter()
        sent = await garda.outbox.deliver_due()
        run.empty_round_ms.append((time.perf_counter() - started) * 1000)
        assert sent == 0, "an empty round sent something"


async def sweep_warnings(garda: Garda, clock: FakeClock, tickets: int, run: Run) -> None:
    """Move the clock to the last acknowledge warning and sweep; check one ping a ticket."""
    dispatcher = garda.dispatcher
    for _ in range(EMPTY_ROUNDS):
        started = time.perf_counter()
        fired = await dispatcher.sweep()
        run.empty_sweep_ms.append((time.perf_counter() - started) * 1000)
        assert fired == 0, "an SLA timer fired before the clock moved"
    async with garda.sessions() as session:
        timers = (await session.exec(select(SlaTimer))).all()
    warnings = [timer.due_at for timer in timers if timer.kind == "ack_warn"]
    others = [timer.due_at for timer in timers if timer.kind != "ack_warn"]
    assert len(warnings) == tickets, f"{len(warnings)} acknowledge warnings for {tickets} tickets"
    clock.now = max(warnings)
    assert all(due > clock.now for due in others), "another SLA timer is due with the warnings"
    started = time.perf_counter()
    run.fired = await dispatcher.sweep()
    run.sweep_s = time.perf_counter() - started
    assert run.fired == tickets, f"the sweep fired {run.fired} timers for {tickets} tickets"
    assert await dispatcher.sweep() == 0, "a second sweep fired timers again"
    async with garda.sessions() as session:
        pings = await session.exec(
            select(func.count()).where(col(OutboxMessage.key).endswith(":ping"))
        )
        run.pings = pings.one()
    assert run.pings == tickets, f"{run.pings} warnings queued for {tickets} tickets"


async def measure(url: str, label: str, args: argparse.Namespace) -> Run:
    """One run on the fresh database at ``url``: open, deliver, sweep."""
    run = Run(label)
    clock = FakeClock()
    desk = Desk(channels={2: L2}, agents={f"{PLATFORM}:budi": 2})
    async with open_garda(url, desk=desk, clock=clock) as garda:
        garda.courier.add(NoOpSender())
        for number in range(args.tickets):  # interleaved: both see the same database
            run.open_ms.append(await open_ticket(garda.dispatcher, f"requester{number}"))
            run.reference_ms.append(await answer_question(garda.dispatcher, f"asker{number}"))
        await queue_notices(garda, clock, args.notices)
        await deliver_all(garda, args.tickets + args.notices, run)
        await sweep_warnings(garda, clock, args.tickets, run)
    return run


def pooled(runs: Sequence[Run]) -> Run:
    """Several runs as one: samples joined, counts and times added up."""
    return Run(
        label="all",
        open_ms=[ms for run in runs for ms in run.open_ms],
        reference_ms=[ms for run in runs for ms in run.reference_ms],
        delivered=sum(run.delivered for run in runs),
        deliver_s=sum(run.deliver_s for run in runs),
        empty_round_ms=[ms for run in runs for ms in run.empty_round_ms],
        fired=sum(run.fired for run in runs),
        sweep_s=sum(run.sweep_s for run in runs),
        empty_sweep_ms=[ms for run in runs for ms in run.empty_sweep_ms],
        pings=sum(run.pings for run in runs),
    )


# --- the tables ---------------------------------------------------------------------------------


def ratio(part: float, whole: float) -> float:
    """``part / whole``; NaN when ``whole`` is zero."""
    return part / whole if whole else math.nan


OPEN_HEADER = (
    f"{'database':<10} {'run':<4} {'tickets':>7} {'open p50':>8} {'open p99':>8} "
    f"{'ref p50':>7} {'ref p99':>7} {'open/ref p50':>12} {'open/ref p99':>12}"
)
OUTBOX_HEADER = (
    f"{'database':<10} {'run':<4} {'messages':>8} {'msg/s':>8} {'ms/msg':>7} "
    f"{'empty round ms':>14} {'msg/empty':>9}"
)
SWEEP_HEADER = (
    f"{'database':<10} {'run':<4} {'timers':>6} {'timers/s':>8} {'ms/timer':>8} "
    f"{'empty sweep ms':>14} {'timer/empty':>11} {'pings':>5}"
)


def open_row(database: str, run: Run) -> str:
    """Opening a ticket against answering a question, ms and ratios."""
    open_p50, open_p99 = percentile(run.open_ms, 50), percentile(run.open_ms, 99)
    ref_p50, ref_p99 = percentile(run.reference_ms, 50), percentile(run.reference_ms, 99)
    return (
        f"{database:<10} {run.label:<4} {len(run.open_ms):>7} {open_p50:>8.2f} {open_p99:>8.2f} "
        f"{ref_p50:>7.2f} {ref_p99:>7.2f} {ratio(open_p50, ref_p50):>12.2f} "
        f"{ratio(open_p99, ref_p99):>12.2f}"
    )


def outbox_row(database: str, run: Run) -> str:
    """Delivery throughput, and a message's cost against an empty round's."""
    per_message_ms = ratio(run.deliver_s * 1000, run.delivered)
    empty_ms = statistics.median(run.empty_round_ms)
    return (
        f"{database:<10} {run.label:<4} {run.delivered:>8} "
        f"{ratio(run.delivered, run.deliver_s):>8.0f} {per_message_ms:>7.3f} "
        f"{empty_ms:>14.3f} {ratio(per_message_ms, empty_ms):>9.2f}"
    )


def sweep_row(database: str, run: Run) -> str:
    """Sweep throughput, a timer's cost against an empty sweep's, and the pings queued."""
    per_timer_ms = ratio(run.sweep_s * 1000, run.fired)
    empty_ms = statistics.median(run.empty_sweep_ms)
    return (
        f"{database:<10} {run.label:<4} {run.fired:>6} {ratio(run.fired, run.sweep_s):>8.0f} "
        f"{per_timer_ms:>8.3f} {empty_ms:>14.3f} {ratio(per_timer_ms, empty_ms):>11.2f} "
        f"{run.pings:>5}"
    )


def print_tables(results: dict[str, list[Run]], skipped: dict[str, str]) -> None:
    """The three tables, a row per database and run (and "all" when there were several)."""
    tables = (
        ("Opening a ticket: Dispatcher.handle, ms (ref: a question answered with an article)",
         OPEN_HEADER, open_row),
        ("Outbox delivery: Outbox.deliver_due, no-op sender (ref: an empty round)",
         OUTBOX_HEADER, outbox_row),
        ("SLA sweep: Dispatcher.sweep, acknowledge warnings (ref: an empty sweep)",
         SWEEP_HEADER, sweep_row),
    )  # fmt: skip
    for title, header, row in tables:
        print()
        print(title)
        print(header)
        print("-" * len(header))
        for database, runs in results.items():
            for run in runs:
                print(row(database, run))
            if len(runs) > 1:
                print(row(database, pooled(runs)))
        for database, reason in skipped.items():
            print(f"{database:<10} {reason}")


# --- the run ------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--tickets", type=int, default=200, help="tickets opened per run (default: %(default)s)"
    )
    parser.add_argument(
        "--notices",
        type=int,
        default=800,
        help="extra notices queued beside their packets, per run (default: %(default)s)",
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=1,
        help="runs per database, each on a fresh one (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    if args.tickets < 1 or args.runs < 1 or args.notices < 0:
        parser.error("--tickets and --runs must be at least 1, --notices at least 0")
    return args


def print_preamble(args: argparse.Namespace, databases: Sequence[str]) -> None:
    """What is measured, on what."""
    print(
        f"Garda desk benchmark: {args.tickets} tickets and {args.notices} extra notices per "
        f"run, {args.runs} run(s) per database ({', '.join(databases)}), each on a fresh "
        f"database; Python {platform.python_version()} on {platform.machine()}, "
        f"{os.cpu_count()} CPUs"
    )


def print_notes() -> None:
    """How to read the tables."""
    notes = [
        "Times in ms, percentiles by nearest rank; ratios are the measured figure over its "
        "reference, from the same run. open: the press of 'urgency:medium' that ends an intake "
        "and opens a P3 ticket, through Dispatcher.handle (one message at a time); ref: a new "
        f"user's {QUESTION!r}, answered with an article, interleaved with the tickets.",
        "msg/s, ms/msg: deliver_due() rounds (batches of 20) until every packet and notice was "
        "sent by a sender that does nothing; empty round: the median of "
        f"{EMPTY_ROUNDS} rounds with nothing due. timers/s, ms/timer: one sweep firing every "
        f"acknowledge warning; empty sweep: the median of {EMPTY_ROUNDS} with nothing due; "
        "pings: warnings queued (checked: one per ticket, and a second sweep fires nothing).",
    ]
    print()
    print("\n".join(textwrap.fill(note, width=100) for note in notes))


async def run(args: argparse.Namespace, databases: Sequence[str]) -> None:
    """Each database in turn, ``--runs`` times on a fresh one; then the tables."""
    results: dict[str, list[Run]] = {}
    skipped: dict[str, str] = {}
    for database in databases:
        for number in range(1, args.runs + 1):
            began = time.perf_counter()
            try:
                async with scratch_database(database) as url:
                    figures = await measure(url, str(number), args)
            except ConnectionError as error:
                where = make_url(os.environ[POSTGRES_ENV]).render_as_string(hide_password=True)
                skipped[database] = f"skipped: no scratch database through {where}: {error}"
                break
            results.setdefault(database, []).append(figures)
            print(
                f"{database} run {number}/{args.runs}: {time.perf_counter() - began:.1f} s",
                flush=True,
            )
    print_tables(results, skipped)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark; Ctrl+C or SIGTERM stop it with the scratch databases removed."""
    args = parse_args(argv)
    databases = ["sqlite", "postgresql"] if os.environ.get(POSTGRES_ENV) else ["sqlite"]
    began = time.perf_counter()
    print_preamble(args, databases)

    async def interruptible() -> None:
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        await run(args, databases)

    try:
        asyncio.run(interruptible())
    except (KeyboardInterrupt, asyncio.CancelledError):
        print(f"\ninterrupted after {time.perf_counter() - began:.0f} s; cleaned up")
        sys.exit(130)
    print_notes()
    print(f"\nWhole run: {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
