"""How the support desk is set up: where each tier's channel is."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from handlers.messages import Address

LANG = "en"  # support channels are written to in this language


@dataclass(frozen=True)
class Desk:
    """The support channels by tier (a Slack channel, a Telegram group or forum topic), and
    who works the desk: agents by tier and admins, as user keys (``slack:U123``)."""

    channels: Mapping[int, Address] = field(default_factory=dict)
    agents: Mapping[str, int] = field(default_factory=dict)  # user key -> highest tier
    admins: frozenset[str] = frozenset()

    def tier_of(self, user_key: str) -> int:
        """The support tier someone works at (admins count as Level 3); 0 for employees."""
        return 3 if user_key in self.admins else self.agents.get(user_key, 0)

    def channel_for(self, tier: int) -> Address | None:
        """Where tickets of ``tier`` are announced: its own channel, else the nearest lower."""
        for level in range(tier, 0, -1):
            if level in self.channels:
                return self.channels[level]
        return None


def parse_address(text: str) -> Address:
    """``slack:C0123``, ``telegram:-100123`` or ``telegram:-100123/7`` (a forum topic)."""
    platform, _, rest = text.strip().partition(":")
    chat, _, thread = rest.partition("/")
    if not platform or not chat:
        raise ValueError(f"{text!r} is not an address like slack:C0123 or telegram:-100123")
    return Address(platform, chat, thread or None)
