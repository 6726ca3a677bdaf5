"""How the support desk is set up: where each tier's channel is."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta

from handlers.messages import Address
from handlers.priority import MATRIX
from handlers.sla import SlaPolicy
from models.tables import StaffMember, StaffRole

LANG = "en"  # support channels are written to in this language
PRIVATE = "private"  # an outbox target ``private:slack:U123``: that person's private chat
# The commands of the support desk: adapters pass them on whole, arguments and all.
AGENT_COMMANDS = frozenset(
    {"queue", "mine", "take", "escalate", "ask", "reply", "note", "resolve", "reopen"}
    | {"kb", "stats"}  # the knowledge base's and the analytics' commands, for staff
)
STAFF_TIERS: Mapping[str, int] = {StaffRole.L1: 1, StaffRole.L2: 2, StaffRole.L3: 3}
DESK_CHOICE = "desk:"  # prefix of the ids of ticket buttons (``desk:claim:12``), which act on
# the ticket whoever presses them and whatever their conversation is doing


def private_target(user_key: str) -> str:
    """The outbox target of ``user_key``'s private chat (``private:telegram:42``)."""
    return f"{PRIVATE}:{user_key}"


@dataclass(frozen=True)
class Desk:
    """The support channels by tier (a Slack channel, a Telegram group or forum topic), and
    who works the desk: agents by tier and admins, as user keys (``slack:U123``)."""

    channels: Mapping[int, Address] = field(default_factory=dict)
    agents: Mapping[str, int] = field(default_factory=dict)  # user key -> highest tier
    admins: frozenset[str] = frozenset()
    # topic channels: (tier, topic) -> address; tier None means every tier of that topic
    topics: Mapping[tuple[int | None, str], Address] = field(default_factory=dict)
    sla: SlaPolicy = field(default_factory=SlaPolicy)
    close_after: timedelta = timedelta(days=3)  # a resolved ticket nobody answers then closes
    matrix: Mapping[tuple[str, str], str] = field(default_factory=lambda: dict(MATRIX))
    kb_editor_tier: int | None = None  # agents of this tier and up edit the KB (None: admins)

    def with_staff(self, members: Iterable[StaffMember]) -> Desk:
        """This desk with the people of ``garda people`` added; where someone is both in the
        configuration and in the table, the higher role wins (admin above Level 3)."""
        agents, admins = dict(self.agents), set(self.admins)
        for member in members:
            if member.role == StaffRole.ADMIN:
                admins.add(member.user_key)
            elif (tier := STAFF_TIERS.get(member.role)) and member.user_key not in admins:
                agents[member.user_key] = max(tier, agents.get(member.user_key, 0))
        if agents == self.agents and admins == self.admins:
            return self
        return replace(self, agents=agents, admins=frozenset(admins))

    def priority(self, impact: str, urgency: str) -> str:
        """``P1`` to ``P4`` for an impact and urgency (see :mod:`handlers.priority`)."""
        return self.matrix[(impact, urgency)]

    def tier_of(self, user_key: str) -> int:
        """The support tier someone works at (admins count as Level 3); 0 for employees."""
        return 3 if user_key in self.admins else self.agents.get(user_key, 0)

    def can_edit_kb(self, user_key: str) -> bool:
        """Whether ``user_key`` may change knowledge-base articles: admins, and agents from
        ``kb_editor_tier`` up where that is configured (``GARDA_KB_EDITORS``)."""
        if user_key in self.admins:
            return True
        tier = self.agents.get(user_key, 0)
        return self.kb_editor_tier is not None and tier >= self.kb_editor_tier > 0

    def channel_for(self, tier: int, topic: str | None = None) -> Address | None:
        """Where tickets of ``tier`` are announced: the topic's own channel for that tier or
        for every tier, else the tier's channel, else the nearest lower tier's."""
        if topic is not None:
            for key in ((tier, topic), (None, topic)):
                if key in self.topics:
                    return self.topics[key]
        for level in range(tier, 0, -1):
            if level in self.channels:
                return self.channels[level]
        return None

    def is_support_channel(self, address: Address | None) -> bool:
        """Whether ``address`` is in one of the support channels (any thread of it)."""
        if address is None:
            return False
        chats = {(a.platform, a.chat_id) for a in (*self.channels.values(), *self.topics.values())}
        return (address.platform, address.chat_id) in chats


def parse_address(text: str) -> Address:
    """``slack:C0123``, ``telegram:-100123`` or ``telegram:-100123/7`` (a forum topic)."""
    platform, _, rest = text.strip().partition(":")
    chat, _, thread = rest.partition("/")
    if not platform or not chat:
        raise ValueError(f"{text!r} is not an address like slack:C0123 or telegram:-100123")
    return Address(platform, chat, thread or None)


def parse_topic_channels(text: str) -> dict[tuple[int | None, str], Address]:
    """``"server_down=slack:C9, 3/hosting_panel=telegram:-100123/4"``: a topic's channel, for
    every tier or (``3/``) for one tier."""
    channels: dict[tuple[int | None, str], Address] = {}
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        name, _, address = part.partition("=")
        tier_text, _, topic = name.strip().rpartition("/")
        if not topic or not address or tier_text not in ("", "1", "2", "3"):
            raise ValueError(f"{part!r}: write topic=address or tier/topic=address")
        channels[(int(tier_text) if tier_text else None, topic)] = parse_address(address)
    return channels
