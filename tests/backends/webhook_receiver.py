"""A company endpoint for the ``webhook`` backend, on 127.0.0.1: it verifies, records, answers.

``async with WebhookReceiver() as receiver:`` then point the backend at ``receiver.url``.
Every request is checked with :func:`bot.backends.webhook.verify_signature` (401 when it
fails), recorded in ``receiver.received``, and answered from in-memory state — ``accounts``,
``bans``, ``subscriptions`` — so tests are real round trips. Knobs make it misbehave:
:meth:`fail` (an HTTP status), :meth:`refuse` (``ok: false``), :meth:`answer_raw` (any body),
:meth:`hang` (never answer); :meth:`behave` undoes them.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.backends.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature
from handlers.backends import CONTACT_FIELDS

SECRET = "whsec_test-0123456789abcdef"
PATH = "/hooks/garda"
Json = dict[str, Any]


@dataclass(frozen=True)
class Received:
    """One request as it reached the endpoint."""

    headers: dict[str, str]
    body: bytes
    verified: bool  # signature and timestamp both checked out

    @property
    def envelope(self) -> Json:
        """The parsed JSON body (``{}`` if it was not JSON)."""
        try:
            parsed = json.loads(self.body)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}

    @property
    def action(self) -> str:
        return str(self.envelope.get("action", ""))

    @property
    def params(self) -> Json:
        return dict(self.envelope.get("params") or {})


class RefusedError(Exception):
    """An action the endpoint declines: answered ``{"ok": false, "error": <text>}``."""


class WebhookReceiver:
    """The endpoint a company writes for Garda, with an in-memory directory, firewall and CRM."""

    def __init__(self, *, secret: str = SECRET, clock_skew: float = 0.0) -> None:
        self.secret = secret
        self.clock_skew = clock_skew  # seconds this endpoint's clock runs ahead of ours
        self.accounts: dict[str, Json] = {}  # ref -> username, email, display_name, locked, …
        self.bans: dict[str, list[str]] = {}  # address -> jails banning it
        self.subscriptions: dict[str, Json] = {}  # ref -> the subscription's fields
        self.received: list[Received] = []
        self.url = ""
        self._misbehave: Callable[[], Awaitable[web.Response]] | None = None
        self._released = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._actions: dict[str, Callable[[Json], Json]] = {
            "find_account": self._find_account,
            "reset_password": self._reset_password,
            "unlock": self._unlock,
            "banned_in": self._banned_in,
            "unban": self._unban,
            "find_subscription": self._find_subscription,
            "update_contact": self._update_contact,
        }

    async def __aenter__(self) -> WebhookReceiver:
        app = web.Application()
        app.router.add_post(PATH, self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}{PATH}"
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._runner is not None
        self._released.set()  # a hanging answer ends now, so shutdown need not wait for it
        await self._runner.cleanup()

    # Seeding state

    def add_account(
        self,
        username: str,
        email: str,
        *,
        display_name: str = "",
        locked: bool = False,
        ref: str | None = None,
    ) -> str:
        """Add an account; its ``ref`` (``uid=<username>`` unless given)."""
        ref = ref if ref is not None else f"uid={username}"
        self.accounts[ref] = {
            "username": username,
            "email": email,
            "display_name": display_name,
            "locked": locked,
            "password": None,
            "must_change": False,
        }
        return ref

    def ban(self, address: str, *jails: str) -> None:
        """Ban ``address`` in each of ``jails``."""
        self.bans.setdefault(address, []).extend(jails)

    def add_subscription(self, ref: str, owner_email: str, **fields: str) -> None:
        """Add a subscription (``plan`` and the contact fields as keywords)."""
        self.subscriptions[ref] = {"owner_email": owner_email, "plan": ""} | dict.fromkeys(
            CONTACT_FIELDS, ""
        )
        self.subscriptions[ref].update(fields)

    # Misbehaving

    def fail(self, status: int = 500, text: str = "Internal Server Error") -> None:
        """Answer every verified request with ``status`` and a plain-text body."""

        async def answer() -> web.Response:
            return web.Response(status=status, text=text)

        self._misbehave = answer

    def refuse(self, reason: str) -> None:
        """Answer every verified request ``{"ok": false, "error": reason}``."""

        async def answer() -> web.Response:
            return web.json_response({"ok": False, "error": reason})

        self._misbehave = answer

    def answer_raw(self, body: bytes, *, status: int = 200, **headers: str) -> None:
        """Answer every verified request with exactly ``body`` (and ``headers``)."""

        async def answer() -> web.Response:
            return web.Response(
                status=status, body=body, content_type="application/json", headers=headers
            )

        self._misbehave = answer

    def hang(self) -> None:
        """Never answer (until the receiver closes)."""

        async def answer() -> web.Response:
            await self._released.wait()
            return web.Response(status=503)

        self._misbehave = answer

    def behave(self) -> None:
        """Answer from the state again."""
        self._misbehave = None

    # The endpoint

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        verified = verify_signature(
            self.secret,
            request.headers.get(TIMESTAMP_HEADER, ""),
            body,
            request.headers.get(SIGNATURE_HEADER, ""),
            now=time.time() + self.clock_skew,
        )
        received = Received(headers=dict(request.headers), body=body, verified=verified)
        self.received.append(received)
        if not verified:
            return web.json_response({"ok": False, "error": "bad signature"}, status=401)
        if self._misbehave is not None:
            return await self._misbehave()
        action = self._actions.get(received.action)
        if action is None:
            return web.json_response({"ok": False, "error": f"unknown action {received.action}"})
        try:
            result = action(received.params)
        except RefusedError as refused:
            return web.json_response({"ok": False, "error": str(refused)})
        return web.json_response({"ok": True, "result": result})

    def _account(self, params: Json) -> Json:
        account = self.accounts.get(params["ref"])
        if account is None or account["username"] != params["username"]:
            raise RefusedError("no such account")
        return account

    def _find_account(self, params: Json) -> Json:
        email = params["email"].casefold()
        for ref, account in self.accounts.items():
            if account["email"].casefold() == email:
                fields = ("username", "email", "display_name", "locked")
                return {"account": {key: account[key] for key in fields} | {"ref": ref}}
        return {"account": None}

    def _reset_password(self, params: Json) -> Json:
        account = self._account(params)
        account["password"] = params["temporary_password"]
        account["must_change"] = True
        return {}

    def _unlock(self, params: Json) -> Json:
        account = self._account(params)
        was_locked = bool(account["locked"])
        account["locked"] = False
        return {"was_locked": was_locked}

    def _banned_in(self, params: Json) -> Json:
        return {"jails": list(self.bans.get(params["address"], []))}

    def _unban(self, params: Json) -> Json:
        jails = self.bans.get(params["address"], [])
        self.bans[params["address"]] = [jail for jail in jails if jail not in params["jails"]]
        return {}

    def _find_subscription(self, params: Json) -> Json:
        email = params["email"].casefold()
        for ref, fields in self.subscriptions.items():
            if fields["owner_email"].casefold() == email:
                return {"subscription": {"ref": ref} | fields}
        return {"subscription": None}

    def _update_contact(self, params: Json) -> Json:
        if params["field"] not in CONTACT_FIELDS:
            raise RefusedError(f"{params['field']} cannot be changed")
        subscription = self.subscriptions.get(params["ref"])
        if subscription is None:
            raise RefusedError("no such subscription")
        subscription[params["field"]] = params["value"]
        return {}
