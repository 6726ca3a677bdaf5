"""``garda people``: who works the desk, from the configuration and from the people table.

The table adds to ``GARDA_ADMINS`` and ``GARDA_AGENTS_L1/L2/L3``; running bots read it on
every message, so a change counts from the person's next message, without a restart.
"""

from __future__ import annotations

import re
from typing import Annotated

import typer
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cli_common import cli_author, fail, in_session, settings_or_exit
from bot.config import PLATFORMS, Settings
from models.queries import staff_members
from models.tables import StaffMember, StaffRole

people_app = typer.Typer(
    help="Who works the desk: admins and Level 1-3 agents.", no_args_is_help=True
)
_USER_KEY = re.compile(r"^(?P<platform>[a-z]+):[^\s,:]+$")
_RANK = {StaffRole.L1: 1, StaffRole.L2: 2, StaffRole.L3: 3, StaffRole.ADMIN: 4}
UserKey = Annotated[
    str, typer.Argument(metavar="USER_KEY", help="platform:id, e.g. slack:U123 or telegram:42")
]


def configured_roles(settings: Settings) -> dict[str, tuple[StaffRole, str]]:
    """The people the configuration names: user key -> (highest role, the setting saying so)."""
    found: dict[str, tuple[StaffRole, str]] = {}
    for role, setting, keys in (
        (StaffRole.L1, "GARDA_AGENTS_L1", settings.agents_l1),
        (StaffRole.L2, "GARDA_AGENTS_L2", settings.agents_l2),
        (StaffRole.L3, "GARDA_AGENTS_L3", settings.agents_l3),
        (StaffRole.ADMIN, "GARDA_ADMINS", settings.admins),
    ):  # lowest first, so a key listed twice keeps its highest role
        found.update(dict.fromkeys(keys, (role, setting)))
    return found


@people_app.command("list")
def people_list() -> None:
    """List the desk's people: the configured ones (marked "(config)"), then the table's."""
    configured = configured_roles(settings_or_exit())

    async def read(session: AsyncSession) -> list[StaffMember]:
        return await staff_members(session)

    members = in_session(read)
    lines = [f"{key}  {role.value}  (config)" for key, (role, _) in sorted(configured.items())]
    for member in members:
        name = f"  {member.name}" if member.name else ""
        lines.append(
            f"{member.user_key}  {member.role}{name}  "
            f"(added by {member.added_by}, {member.created_at:%Y-%m-%d})"
        )
    typer.echo("\n".join(lines) if lines else "nobody yet (see `garda people add`)")


@people_app.command("add")
def people_add(
    user_key: UserKey,
    role: Annotated[StaffRole, typer.Option(help="What they may do.")],
    name: Annotated[str, typer.Option(help="How to call them.")] = "",
) -> None:
    """Add someone to the desk; they count from their next message."""
    _check_key(user_key)
    configured = configured_roles(settings_or_exit()).get(user_key)

    async def add(session: AsyncSession) -> StaffMember | None:
        existing = await _member(session, user_key)
        if existing is not None:
            return existing
        session.add(
            StaffMember(user_key=user_key, role=role.value, name=name, added_by=cli_author())
        )
        return None

    existing = in_session(add)
    if existing is not None:
        raise fail(
            f"{user_key} is already {existing.role}; change it with "
            f"`garda people role {user_key} ROLE`"
        )
    typer.echo(f"added {user_key} as {role.value}")
    if configured is not None:
        typer.echo(
            f"note: {configured[1]} also names them ({configured[0].value}); the higher role counts"
        )


@people_app.command("role")
def people_role(
    user_key: UserKey,
    role: Annotated[StaffRole, typer.Argument(help="admin, l1, l2 or l3.")],
) -> None:
    """Change the role of someone added with `garda people add`."""
    configured = configured_roles(settings_or_exit()).get(user_key)

    async def change(session: AsyncSession) -> str | None:
        member = await _member(session, user_key)
        if member is None:
            return None
        before, member.role = member.role, role.value
        session.add(member)
        return before

    before = in_session(change)
    if before is None:
        hint = f" ({configured[1]} names them: edit the configuration)" if configured else ""
        raise fail(f"{user_key} is not in the people table{hint}; see `garda people add`")
    typer.echo(f"{user_key}: {before} -> {role.value}")
    if configured is not None and _RANK[configured[0]] > _RANK[role]:
        typer.echo(f"note: {configured[1]} keeps them {configured[0].value}")


@people_app.command("remove")
def people_remove(user_key: UserKey) -> None:
    """Take someone added with `garda people add` off the desk."""
    configured = configured_roles(settings_or_exit()).get(user_key)

    async def remove(session: AsyncSession) -> bool:
        member = await _member(session, user_key)
        if member is not None:
            await session.delete(member)
        return member is not None

    if not in_session(remove):
        if configured is not None:
            raise fail(
                f"{user_key} is in the configuration ({configured[1]}): edit the "
                "configuration to remove them, the command line cannot"
            )
        raise fail(f"{user_key} is not on the desk (see `garda people list`)")
    typer.echo(f"removed {user_key}")
    if configured is not None:
        typer.echo(f"note: {configured[1]} still names them ({configured[0].value})")


async def _member(session: AsyncSession, user_key: str) -> StaffMember | None:
    found = await session.exec(select(StaffMember).where(StaffMember.user_key == user_key))
    return found.first()


def _check_key(user_key: str) -> None:
    match = _USER_KEY.match(user_key)
    if match is None or match["platform"] not in PLATFORMS:
        raise fail(
            f"{user_key!r} is not a user key: write platform:id with a platform of "
            f"{', '.join(PLATFORMS)} (e.g. slack:U123 or telegram:42)"
        )
