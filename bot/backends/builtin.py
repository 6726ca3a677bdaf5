"""The embedded backends: accounts, bans and subscriptions in Garda's own database.

They work inside the transaction of the message being handled (so SQLite's single writer is
never asked for twice), and are managed with ``garda directory``, ``garda firewall`` and
``garda subscription``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.backends import CONTACT_FIELDS, Account, BackendError, Subscription
from models.tables import DirectoryAccount, FirewallBan, SubscriptionRecord, utcnow

NAME = "builtin"
SCRYPT = {"n": 2**14, "r": 8, "p": 1}  # interactive-login strength (RFC 7914's suggestion)


def hash_password(password: str) -> str:
    """``scrypt$<salt>$<hash>``, both base64: never the password itself."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **SCRYPT)
    return "scrypt${}${}".format(*(base64.b64encode(part).decode() for part in (salt, digest)))


def password_matches(password: str, stored: str) -> bool:
    """Whether ``password`` is the one ``stored`` was made from."""
    try:
        scheme, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    again = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), **SCRYPT)
    return hmac.compare_digest(again, base64.b64decode(digest))


def _account(row: DirectoryAccount) -> Account:
    return Account(row.username, row.email, row.display_name, row.locked, ref=str(row.id))


class BuiltinDirectory:
    """Accounts in the ``directoryaccount`` table."""

    name = NAME

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def find_by_email(self, email: str) -> Account | None:
        """The account with this email, compared without case."""
        statement = select(DirectoryAccount).where(
            func.lower(DirectoryAccount.email) == email.casefold()
        )
        row = (await self.session.exec(statement)).first()
        return _account(row) if row else None

    async def reset_password(self, account: Account, temporary: str) -> None:
        """Store the temporary password (hashed) and require a change at the next sign-in."""
        row = await self._row(account)
        row.password_hash = hash_password(temporary)
        row.must_change = True
        row.updated_at = utcnow()
        self.session.add(row)

    async def unlock(self, account: Account) -> bool:
        """Clear the lock; False if there was none."""
        row = await self._row(account)
        if not row.locked:
            return False
        row.locked = False
        row.updated_at = utcnow()
        self.session.add(row)
        return True

    async def _row(self, account: Account) -> DirectoryAccount:
        row = await self.session.get(DirectoryAccount, int(account.ref))
        if row is None:
            raise BackendError("the account no longer exists")
        return row


class BuiltinFirewall:
    """Bans in the ``firewallban`` table, one row per address and jail."""

    name = NAME

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def banned_in(self, address: str) -> list[str]:
        """The jails banning ``address``."""
        statement = select(FirewallBan.jail).where(FirewallBan.address == address)
        return sorted((await self.session.exec(statement)).all())

    async def unban(self, address: str, jails: list[str]) -> None:
        """Remove the bans."""
        statement = select(FirewallBan).where(
            FirewallBan.address == address, col(FirewallBan.jail).in_(jails)
        )
        for row in (await self.session.exec(statement)).all():
            await self.session.delete(row)
        await self.session.flush()


class BuiltinSubscriptions:
    """Subscriptions in the ``subscriptionrecord`` table."""

    name = NAME

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def find_for(self, email: str) -> Subscription | None:
        """The subscription owned by ``email``."""
        statement = select(SubscriptionRecord).where(
            func.lower(SubscriptionRecord.owner_email) == email.casefold()
        )
        row = (await self.session.exec(statement)).first()
        if row is None:
            return None
        return Subscription(
            row.ref, row.owner_email, row.plan, row.contact_email, row.phone, row.billing_email
        )

    async def update_contact(self, subscription: Subscription, field: str, value: str) -> None:
        """Change one contact field."""
        if field not in CONTACT_FIELDS:
            raise BackendError(f"{field} is not a contact field")
        statement = select(SubscriptionRecord).where(SubscriptionRecord.ref == subscription.ref)
        row = (await self.session.exec(statement)).first()
        if row is None:
            raise BackendError("the subscription no longer exists")
        setattr(row, field, value)
        row.updated_at = utcnow()
        self.session.add(row)
