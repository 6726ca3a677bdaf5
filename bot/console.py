"""The terminal adapter: a real adapter on the same engine and database as Slack/Telegram."""

from __future__ import annotations

import asyncio
import itertools
import sys
from typing import TextIO

from bot.app import Garda
from handlers.messages import Address, IncomingMessage, Reply

PLATFORM = "console"


class ConsoleAdapter:
    """Reads lines from a stream, prints replies; choices are numbered.

    It is also the console's sender, so replies reach it the way they reach Slack or Telegram.
    """

    platform = PLATFORM

    def __init__(self, garda: Garda, *, user: str, stdin: TextIO, stdout: TextIO) -> None:
        self.garda = garda
        garda.courier.add(self)
        self.user = user
        self.stdin = stdin
        self.stdout = stdout
        self.interactive = stdin.isatty()
        self._numbers = itertools.count(1)  # the ids of printed messages

    async def run(self) -> None:
        """Converse until end of input."""
        catalogue = self.garda.dispatcher.catalogue
        self.stdout.write(catalogue.text("en", "console.banner", user=self.user) + "\n\n")
        while True:
            if self.interactive:
                self.stdout.write(f"{self.user}> ")
                self.stdout.flush()
            line = await asyncio.to_thread(self.stdin.readline)
            if not line:
                break
            if not self.interactive:  # echo scripted input so the transcript reads as a chat
                self.stdout.write(f"{self.user}> {line.rstrip()}\n")
            await self.garda.receive(self.message(line.rstrip("\n")))
            self.stdout.flush()

    def message(self, text: str) -> IncomingMessage:
        """The neutral message for one typed line."""
        return IncomingMessage(
            platform=PLATFORM,
            user_id=self.user,
            text=text,
            origin=Address(PLATFORM, self.user),
            display_name=self.user,
        )

    async def send(self, address: Address, reply: Reply) -> str | None:
        """Print a reply; one meant for a chat other than this terminal says where it goes.
        The printed message's number, as its id."""
        return self.show(reply, to=None if address.chat_id == self.user else address)

    async def send_private(self, user_id: str, reply: Reply) -> str | None:
        """The terminal is the user's private chat."""
        return self.show(reply)

    async def edit(self, address: Address, message_id: str, reply: Reply) -> None:
        """A terminal cannot change what it printed: print the new version, marked edited."""
        self._print(f"garda (edited, to {address})", reply)

    def show(self, reply: Reply, *, to: Address | None = None) -> str:
        """Print one reply, its choices numbered; its id (messages are numbered in order)."""
        where = [f"to {to}"] if to is not None else []
        if reply.reply_to is not None:
            where.append(f"answering {reply.reply_to}")
        self._print(f"garda ({', '.join(where)})" if where else "garda", reply)
        return str(next(self._numbers))

    def _print(self, who: str, reply: Reply) -> None:
        self.stdout.write(f"{who}: {reply.text}\n")
        for number, choice in enumerate(reply.choices, start=1):
            self.stdout.write(f"   {number}. {choice.label}\n")
        self.stdout.write("\n")


class ConsoleMailer:
    """Mail shown in the terminal, for ``garda chat`` without an SMTP server (demos).

    The terminal is the user's own screen, so showing a code there proves nothing more than
    being at it: it is for trying Garda out, and says so.
    """

    def __init__(self, stdout: TextIO) -> None:
        self.stdout = stdout

    async def send(self, *, to: str, subject: str, body: str) -> None:
        """Print the message, framed as mail."""
        self.stdout.write(f"[demo mail to {to}: no GARDA_SMTP_HOST set]\n{subject}\n{body}\n\n")


def console_streams() -> tuple[TextIO, TextIO]:
    """stdin and stdout, reconfigured so odd bytes never crash the session."""
    for stream in (sys.stdin, sys.stdout):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(encoding="utf-8", errors="replace")
    return sys.stdin, sys.stdout
