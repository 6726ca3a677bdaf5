"""The terminal adapter: a real adapter on the same engine and database as Slack/Telegram."""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from handlers.dispatcher import Dispatcher
from handlers.messages import Address, IncomingMessage, Reply

PLATFORM = "console"


class ConsoleAdapter:
    """Reads lines from a stream, prints replies; choices are numbered."""

    def __init__(self, dispatcher: Dispatcher, *, user: str, stdin: TextIO, stdout: TextIO) -> None:
        self.dispatcher = dispatcher
        self.user = user
        self.stdin = stdin
        self.stdout = stdout
        self.interactive = stdin.isatty()

    async def run(self) -> None:
        """Converse until end of input."""
        catalogue = self.dispatcher.catalogue
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
            for reply in await self.dispatcher.handle(self.message(line.rstrip("\n"))):
                self.show(reply)
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

    def show(self, reply: Reply) -> None:
        """Print one reply, its choices numbered."""
        self.stdout.write(f"garda: {reply.text}\n")
        for number, choice in enumerate(reply.choices, start=1):
            self.stdout.write(f"   {number}. {choice.label}\n")
        self.stdout.write("\n")


def console_streams() -> tuple[TextIO, TextIO]:
    """stdin and stdout, reconfigured so odd bytes never crash the session."""
    for stream in (sys.stdin, sys.stdout):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(encoding="utf-8", errors="replace")
    return sys.stdin, sys.stdout
