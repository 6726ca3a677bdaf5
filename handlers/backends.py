"""The systems self-service actions change, seen through small client protocols.

Implementations live at the edge (``bot/backends/``): ``builtin`` (Garda's own tables),
``ldap`` (OpenLDAP, Active Directory, FreeIPA), ``fail2ban`` and ``webhook``. Actions only
ever see these protocols, so every backend gets the same rails.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class BackendError(Exception):
    """A backend is down, timed out or refused. The text is a summary safe to show and log:
    it never contains a password, code or token."""


@dataclass(frozen=True)
class Account:
    """A directory account, as much as the actions need of it."""

    username: str
    email: str
    display_name: str = ""
    locked: bool = False
    ref: str = ""  # the backend's own handle (an LDAP DN, a row id)


@dataclass(frozen=True)
class Subscription:
    """A customer's subscription record and the contact details on it."""

    ref: str
    owner_email: str
    plan: str = ""
    contact_email: str = ""
    phone: str = ""
    billing_email: str = ""


CONTACT_FIELDS = ("contact_email", "phone", "billing_email")


class Directory(Protocol):
    """Accounts: find by email, reset a password, unlock."""

    name: str

    async def find_by_email(self, email: str) -> Account | None:
        """The account whose email this is (case-insensitive), or None."""

    async def reset_password(self, account: Account, temporary: str) -> None:
        """Set ``temporary`` as the password and, where the server can, force a change at the
        next login."""

    async def unlock(self, account: Account) -> bool:
        """Clear a lockout; False if the account was not locked."""


class Firewall(Protocol):
    """Blocked addresses: which rules ban one, and lifting the ban."""

    name: str

    async def banned_in(self, address: str) -> list[str]:
        """The jails (or rule sets) that currently ban ``address``; empty if none."""

    async def unban(self, address: str, jails: list[str]) -> None:
        """Lift the ban on ``address`` in each of ``jails``."""


class Subscriptions(Protocol):
    """Subscription records: the requester's own, and changing its contact details."""

    name: str

    async def find_for(self, email: str) -> Subscription | None:
        """The subscription owned by ``email``, or None."""

    async def update_contact(self, subscription: Subscription, field: str, value: str) -> None:
        """Set one of :data:`CONTACT_FIELDS` on ``subscription``."""


class Mailer(Protocol):
    """Outgoing mail, for verification codes."""

    async def send(self, *, to: str, subject: str, body: str) -> None:
        """Deliver one plain-text message (raises :class:`BackendError` if it cannot)."""


@dataclass(frozen=True)
class Backends:
    """The backends this Garda acts through (``None``: that kind of action is unavailable)."""

    directory: Directory | None = None
    firewall: Firewall | None = None
    subscriptions: Subscriptions | None = None
    mailer: Mailer | None = None
