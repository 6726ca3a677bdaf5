"""Who wrote to Garda: a Slack user's name and verified email (``users.info``), cached."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.sender import SLACK_ERRORS

logger = logging.getLogger(__name__)

REMEMBER_FOR = 300.0  # seconds; a renamed user or a changed address shows up after this
MAX_REMEMBERED = 10_000


@dataclass(frozen=True)
class Profile:
    """The name to greet a user by and the email their Slack workspace verified, if shared."""

    name: str
    email: str | None = None


class People:
    """Looks Slack users up with ``users.info`` and remembers them for a few minutes."""

    def __init__(self, client: AsyncWebClient, *, remember_for: float = REMEMBER_FOR) -> None:
        self.client = client
        self.remember_for = remember_for
        self._known: dict[str, tuple[float, Profile]] = {}  # user id -> (until, profile)

    async def profile(self, user_id: str) -> Profile:
        """``user_id``'s profile; just the id as the name if Slack cannot tell."""
        now = asyncio.get_running_loop().time()
        known = self._known.get(user_id)
        if known is not None and known[0] > now:
            return known[1]
        try:
            response = await self.client.users_info(user=user_id)
        except SLACK_ERRORS as error:  # the conversation goes on; the ticket lacks a name
            logger.warning("users.info for %s failed: %s", user_id, error)
            return Profile(user_id)
        found = profile_of(response["user"], user_id)
        if len(self._known) >= MAX_REMEMBERED:
            self._known = {key: value for key, value in self._known.items() if value[0] > now}
        self._known[user_id] = (now + self.remember_for, found)
        return found


def profile_of(user: dict[str, Any], user_id: str) -> Profile:
    """The name and email in a ``users.info`` user object."""
    profile = user.get("profile") or {}
    name = (
        profile.get("real_name")
        or user.get("real_name")
        or profile.get("display_name")
        or user.get("name")
        or user_id
    )
    return Profile(str(name), str(profile["email"]) if profile.get("email") else None)
