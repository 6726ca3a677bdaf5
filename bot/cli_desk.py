"""``garda directory | firewall | subscription | audit``: the builtin backends and the log."""

from __future__ import annotations

import ipaddress
import re
import secrets
from datetime import timedelta
from typing import Annotated, TypeVar

import typer
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.backends.builtin import hash_password
from bot.cli_common import fail, in_session
from bot.cli_people import people_app
from handlers.facts import check_fact
from models.queries import audit_log
from models.tables import DirectoryAccount, FirewallBan, SubscriptionRecord, utcnow

directory_app = typer.Typer(help="Accounts of the builtin directory.", no_args_is_help=True)
firewall_app = typer.Typer(help="Bans of the builtin firewall.", no_args_is_help=True)
subscription_app = typer.Typer(help="Subscriptions of the builtin store.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log of self-service attempts.", invoke_without_command=True)
DESK_APPS = {
    "directory": directory_app,
    "firewall": firewall_app,
    "subscription": subscription_app,
    "audit": audit_app,
    "people": people_app,
}
_SINCE = re.compile(r"^(\d+)([mhd])$")
T = TypeVar("T")


@directory_app.command("add")
def directory_add(
    username: str,
    email: str,
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    locked: Annotated[bool, typer.Option(help="Start locked (to try unlock).")] = False,
    password: Annotated[
        str | None, typer.Option(help="Initial password (else a random one, not shown).")
    ] = None,
) -> None:
    """Add an account (usernames and emails are unique)."""
    if check_fact("email", email) is None:
        raise fail(f"{email!r} is not an email address")

    async def add(session: AsyncSession) -> str | None:
        taken = select(DirectoryAccount).where(
            (DirectoryAccount.username == username) | (DirectoryAccount.email == email.casefold())
        )
        if (await session.exec(taken)).first() is not None:
            return "an account with that username or email exists"
        session.add(
            DirectoryAccount(
                username=username,
                email=email.casefold(),
                display_name=name or username,
                password_hash=hash_password(password or secrets.token_urlsafe(24)),
                locked=locked,
            )
        )
        return None

    problem = in_session(add)
    if problem:
        raise fail(problem)
    typer.echo(f"added {username} <{email.casefold()}>{' (locked)' if locked else ''}")


@directory_app.command("list")
def directory_list() -> None:
    """Every account, with its lock and must-change flags."""

    async def rows(session: AsyncSession) -> list[DirectoryAccount]:
        statement = select(DirectoryAccount).order_by(col(DirectoryAccount.username))
        return list((await session.exec(statement)).all())

    for row in in_session(rows):
        flags = [
            flag for flag, on in (("locked", row.locked), ("must-change", row.must_change)) if on
        ]
        typer.echo(f"{row.username}\t{row.email}\t{row.display_name}\t{' '.join(flags)}")


@directory_app.command("lock")
def directory_lock(username: str) -> None:
    """Lock an account (as too many failed sign-ins would)."""

    async def lock(session: AsyncSession) -> bool:
        row = (
            await session.exec(
                select(DirectoryAccount).where(DirectoryAccount.username == username)
            )
        ).first()
        if row is None:
            return False
        row.locked, row.updated_at = True, utcnow()
        session.add(row)
        return True

    if not in_session(lock):
        raise fail(f"no account {username!r}")
    typer.echo(f"locked {username}")


@firewall_app.command("ban")
def firewall_ban(
    address: str, jail: Annotated[str, typer.Option(help="The rule set banning it.")] = "default"
) -> None:
    """Ban one address in a jail."""
    try:
        normal = str(ipaddress.ip_address(address.strip()))
    except ValueError:
        raise fail(f"{address!r} is not an IP address") from None

    async def ban(session: AsyncSession) -> None:
        exists = select(FirewallBan).where(FirewallBan.address == normal, FirewallBan.jail == jail)
        if (await session.exec(exists)).first() is None:
            session.add(FirewallBan(address=normal, jail=jail))

    in_session(ban)
    typer.echo(f"banned {normal} in {jail}")


@firewall_app.command("list")
def firewall_list() -> None:
    """Every ban."""

    async def rows(session: AsyncSession) -> list[FirewallBan]:
        statement = select(FirewallBan).order_by(col(FirewallBan.address), col(FirewallBan.jail))
        return list((await session.exec(statement)).all())

    for row in in_session(rows):
        typer.echo(f"{row.address}\t{row.jail}\t{row.created_at:%Y-%m-%d %H:%M}")


@subscription_app.command("add")
def subscription_add(
    ref: str,
    owner_email: str,
    plan: Annotated[str, typer.Option()] = "",
    contact_email: Annotated[str, typer.Option()] = "",
    phone: Annotated[str, typer.Option()] = "",
    billing_email: Annotated[str, typer.Option()] = "",
) -> None:
    """Add a subscription owned by OWNER_EMAIL."""
    if check_fact("email", owner_email) is None:
        raise fail(f"{owner_email!r} is not an email address")

    async def add(session: AsyncSession) -> None:
        session.add(
            SubscriptionRecord(
                ref=ref, owner_email=owner_email.casefold(), plan=plan,
                contact_email=contact_email, phone=phone, billing_email=billing_email,
            )
        )  # fmt: skip

    in_session(add)
    typer.echo(f"added subscription {ref} for {owner_email.casefold()}")


@subscription_app.command("list")
def subscription_list() -> None:
    """Every subscription and its contact details."""

    async def rows(session: AsyncSession) -> list[SubscriptionRecord]:
        statement = select(SubscriptionRecord).order_by(col(SubscriptionRecord.ref))
        return list((await session.exec(statement)).all())

    for row in in_session(rows):
        typer.echo(
            f"{row.ref}\t{row.owner_email}\t{row.plan}\t"
            f"contact={row.contact_email} phone={row.phone} billing={row.billing_email}"
        )


@audit_app.callback()
def audit(
    action: Annotated[str | None, typer.Option(help="e.g. password_reset")] = None,
    user: Annotated[str | None, typer.Option(help="Who asked, e.g. slack:U123.")] = None,
    subject: Annotated[str | None, typer.Option(help="For whom: an email or address.")] = None,
    outcome: Annotated[str | None, typer.Option(help="done, failed, refused, limited…")] = None,
    since: Annotated[str | None, typer.Option(help="How far back: 30m, 12h, 7d.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
) -> None:
    """List self-service attempts, newest first (no secrets are ever recorded)."""
    start = None
    if since is not None:
        match = _SINCE.match(since)
        if match is None:
            raise fail(f"--since {since!r}: write a number and m, h or d, e.g. 7d")
        unit = {"m": "minutes", "h": "hours", "d": "days"}[match[2]]
        start = utcnow() - timedelta(**{unit: int(match[1])})

    async def rows(session: AsyncSession) -> list[str]:
        records = await audit_log(
            session, action=action, actor=user, subject=subject, outcome=outcome, since=start,
            limit=limit,
        )  # fmt: skip
        return [
            f"{r.created_at:%Y-%m-%d %H:%M:%S}\t{r.actor}\t{r.action}\t{r.subject}\t"
            f"{r.outcome}\t{r.backend}\t{r.detail}"
            for r in records
        ]

    lines = in_session(rows)
    typer.echo("\n".join(lines) if lines else "no matching attempts")
