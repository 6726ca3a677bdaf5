"""(being written)"""

from __future__ import annotations

from handlers.kb_commands import KbCommands

commands = KbCommands()
