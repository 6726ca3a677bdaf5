"""A fake Slack on 127.0.0.1 for the real slack-sdk / slack-bolt clients, and Slack's side of
the requests it sends to an app (signed events, slash commands, button presses, forms).

``FakeSlack`` serves the Web API at ``/api/{method}`` (recording every call) and a Socket Mode
WebSocket at ``/link``. ``Inbound`` posts signed requests into an app's ``/slack/events``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from aiohttp import WSMsgType, web
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

TEAM_ID = "T0GARDA"
APP_ID = "A0GARDA"
BOT_USER_ID = "UBOT"  # must differ from every person, or Bolt drops their events as its own
BOT_ID = "B0GARDA"
BOT_TOKEN = "xoxb-test"
APP_TOKEN = "xapp-test"
SIGNING_SECRET = "test-signing-secret"

Predicate = Callable[["Call"], bool]


@dataclass(frozen=True)
class Call:
    """One Web API call as the fake received it."""

    method: str
    args: dict[str, Any]
    headers: Mapping[str, str]
    status: int = 200
    error: str | None = None  # the error the fake answered with, if it did

    @property
    def ok(self) -> bool:
        """Whether the fake answered it successfully (not a 429 or an error)."""
        return self.status == 200 and self.error is None


@dataclass
class _Socket:
    ws: web.WebSocketResponse
    acks: dict[str, dict[str, Any]] = field(default_factory=dict)


class FakeSlack:
    """Slack's Web API and Socket Mode, as far as Garda uses them."""

    def __init__(self) -> None:
        self.users: dict[str, dict[str, Any]] = {}
        self.calls: list[Call] = []
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}  # (channel, ts) -> message
        self.acks: dict[str, dict[str, Any]] = {}  # envelope id -> the app's Socket Mode ack
        self._changed = asyncio.Condition()
        self._rate_limited: dict[str, int] = {}
        self._failing: dict[str, list[str]] = {}
        self._held: dict[str, asyncio.Event] = {}
        self._sockets: list[web.WebSocketResponse] = []
        self._ts = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # Life cycle

    async def __aenter__(self) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_get("/link", self._link)
        app.on_shutdown.append(self._close_sockets)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def url(self) -> str:
        """The Web API base URL to give the SDK (``GARDA_SLACK_API_URL``)."""
        return f"http://127.0.0.1:{self.port}/api/"

    # Setting the scene

    def add_user(self, user_id: str, *, name: str, email: str | None = None) -> dict[str, Any]:
        """A person in the workspace, as ``users.info`` describes them."""
        profile: dict[str, Any] = {"real_name": name, "display_name": name.split()[0]}
        if email is not None:
            profile["email"] = email
        user = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": name.split()[0].lower(),
            "real_name": name,
            "is_bot": False,
            "profile": profile,
        }
        self.users[user_id] = user
        return user

    def rate_limit(self, method: str, *, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with 429 and ``Retry-After: 0``."""
        self._rate_limited[method] = self._rate_limited.get(method, 0) + times

    def hold(self, method: str) -> asyncio.Event:
        """Keep calls of ``method`` waiting until the returned event is set (a slow Slack)."""
        gate = self._held[method] = asyncio.Event()
        return gate

    def fail(self, method: str, error: str, *, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with ``{"ok": false, "error": …}``."""
        self._failing.setdefault(method, []).extend([error] * times)

    # Looking at what happened

    def calls_to(self, method: str) -> list[Call]:
        """Every call of ``method`` so far, failed ones included."""
        return [call for call in self.calls if call.method == method]

    def posted(self, channel: str | None = None) -> list[dict[str, Any]]:
        """The arguments of every successful chat.postMessage (in ``channel``, if given)."""
        return [
            call.args
            for call in self.calls_to("chat.postMessage")
            if call.ok and channel in (None, call.args.get("channel"))
        ]

    def updated(self, channel: str | None = None) -> list[dict[str, Any]]:
        """The arguments of every successful chat.update (in ``channel``, if given)."""
        return [
            call.args
            for call in self.calls_to("chat.update")
            if call.ok and channel in (None, call.args.get("channel"))
        ]

    def newest_button(
        self, label: str, *, channel: str | None = None
    ) -> tuple[str, dict[str, Any], dict[str, Any]]:
        """The channel, message and button of the newest posted button labelled ``label``
        (in ``channel``, if given): what :func:`button_press` needs."""
        for (where, _), posted in reversed(self.messages.items()):
            if channel not in (None, where):
                continue
            for button in buttons(posted):
                if button["text"]["text"] == label:
                    return where, posted, button
        raise AssertionError(f"no button {label!r} in {list(self.messages.values())}")

    async def wait_for(self, method: str, predicate: Predicate | None = None) -> Call:
        """The first successful call of ``method`` matching ``predicate``, once it happens."""

        def found() -> Call | None:
            for call in self.calls_to(method):
                if call.ok and (predicate is None or predicate(call)):
                    return call
            return None

        async with self._changed:
            await self._changed.wait_for(lambda: found() is not None)
        call = found()
        assert call is not None
        return call

    # The Web API

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method in self._held:
            await self._held[method].wait()
        args: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            args.update(await request.json())
        elif request.can_read_body:
            args.update({key: str(value) for key, value in (await request.post()).items()})
        if isinstance(args.get("blocks"), str):  # form-encoded calls send JSON as text
            args["blocks"] = json.loads(args["blocks"])
        status, answer, headers = self._answer(method, args, request.headers)
        async with self._changed:
            error = None if answer["ok"] else str(answer["error"])
            self.calls.append(Call(method, args, dict(request.headers), status, error))
            self._changed.notify_all()
        return web.json_response(answer, status=status, headers=headers)

    def _answer(
        self, method: str, args: dict[str, Any], headers: Mapping[str, str]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if self._rate_limited.get(method):
            self._rate_limited[method] -= 1
            return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "0"}
        if self._failing.get(method):
            return 200, {"ok": False, "error": self._failing[method].pop(0)}, {}
        token = APP_TOKEN if method == "apps.connections.open" else BOT_TOKEN
        if headers.get("Authorization") != f"Bearer {token}":
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        return 200, {"ok": True, **(handler(args) if handler else {})}, {}

    def _auth_test(self, _: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://garda-test.slack.com/",
            "team": "Garda Test",
            "user": "garda",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(args.get("user", ""))
        return {"user": user} if user else {"ok": False, "error": "user_not_found"}

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"channel": {"id": direct_channel(str(args["users"]))}}

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        ts = f"1700000000.{next(self._ts):06d}"
        message = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
            "ts": ts,
            "text": args.get("text", ""),
            "blocks": args.get("blocks", []),
        }
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        self.messages[(args["channel"], ts)] = message
        return {"channel": args["channel"], "ts": ts, "message": message}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        message = self.messages.get((args["channel"], args["ts"]))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        message.update(text=args.get("text", ""), blocks=args.get("blocks", []))
        return {"channel": args["channel"], "ts": args["ts"], "text": message["text"]}

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"view": {**args["view"], "id": f"V{uuid.uuid4().hex[:10].upper()}"}}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"view": {**args["view"], "id": f"V{uuid.uuid4().hex[:10].upper()}"}}

    def _apps_connections_open(self, _: dict[str, Any]) -> dict[str, Any]:
        return {"url": f"ws://127.0.0.1:{self.port}/link?ticket={uuid.uuid4().hex}"}

    # Socket Mode

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        hello = {"type": "hello", "num_connections": 1, "connection_info": {"app_id": APP_ID}}
        await ws.send_json(hello)
        async with self._changed:
            self._sockets.append(ws)
            self._changed.notify_all()
        try:
            async for frame in ws:
                if frame.type is WSMsgType.TEXT:
                    ack = json.loads(frame.data)
                    async with self._changed:
                        self.acks[ack["envelope_id"]] = ack
                        self._changed.notify_all()
        finally:
            async with self._changed:
                self._sockets.remove(ws)
        return ws

    async def _close_sockets(self, _: web.Application) -> None:
        for ws in list(self._sockets):
            await ws.close()

    async def socket_send(self, envelope: dict[str, Any]) -> str:
        """Push an envelope to the connected app (waiting for it to connect); its id."""
        async with self._changed:
            await self._changed.wait_for(lambda: bool(self._sockets))
            ws = self._sockets[-1]
        await ws.send_json(envelope)
        return str(envelope["envelope_id"])

    async def wait_for_ack(self, envelope_id: str) -> dict[str, Any]:
        """The app's acknowledgement of an envelope, once it arrives."""
        async with self._changed:
            await self._changed.wait_for(lambda: envelope_id in self.acks)
        return self.acks[envelope_id]


def direct_channel(user_id: str) -> str:
    """The id of the direct-message channel between Garda and ``user_id``."""
    return "D" + user_id.removeprefix("U")


# Payloads, as Slack sends them


def event_callback(event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    """An Events API body around ``event``."""
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(time.time()),
        "authorizations": [
            {"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True, "enterprise_id": None}
        ],
        "is_ext_shared_channel": False,
    }


def _ts() -> str:
    return f"{time.time():.6f}"


def direct_message(user: str, text: str, **extra: Any) -> dict[str, Any]:
    """A ``message`` event: ``user`` writing ``text`` (in Slack's format) to Garda's DM."""
    ts = _ts()
    return {
        "type": "message",
        "channel": direct_channel(user),
        "channel_type": "im",
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "team": TEAM_ID,
        **extra,
    }


def mention(user: str, channel: str, text: str, **extra: Any) -> dict[str, Any]:
    """An ``app_mention`` event: ``text`` should start with ``<@UBOT>``."""
    ts = _ts()
    return {
        "type": "app_mention",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "team": TEAM_ID,
        **extra,
    }


def thread_reply(
    user: str,
    channel: str,
    thread_ts: str,
    text: str,
    *,
    parent_user_id: str = BOT_USER_ID,
    channel_type: str = "channel",
    **extra: Any,
) -> dict[str, Any]:
    """A ``message`` event: ``user`` answering in the thread under the message ``thread_ts``
    of ``channel``, which ``parent_user_id`` (Garda, by default) posted. ``channel_type`` is
    ``group`` for a private channel."""
    ts = _ts()
    return {
        "type": "message",
        "channel": channel,
        "channel_type": channel_type,
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "thread_ts": thread_ts,
        "parent_user_id": parent_user_id,
        "team": TEAM_ID,
        **extra,
    }


def slash_command(user: str, text: str, *, channel: str = "C0GENERAL") -> dict[str, str]:
    """The form fields of ``/helpdesk text`` typed by ``user`` in ``channel``."""
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "team_domain": "garda-test",
        "channel_id": channel,
        "channel_name": "general",
        "user_id": user,
        "user_name": user.lower(),
        "command": "/helpdesk",
        "text": text,
        "api_app_id": APP_ID,
        "response_url": "https://hooks.slack.invalid/commands/1/2/3",
        "trigger_id": f"{uuid.uuid4().int % 10**12}.1.{uuid.uuid4().hex[:8]}",
    }


def button_press(
    user: str,
    channel: str,
    message: dict[str, Any],
    button: dict[str, Any],
    *,
    channel_name: str = "directmessage",
) -> dict[str, Any]:
    """The ``block_actions`` payload of ``user`` pressing ``button`` on a posted ``message``."""
    return {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": message["ts"],
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "trigger_id": f"{uuid.uuid4().int % 10**12}.1.{uuid.uuid4().hex[:8]}",
        "team": {"id": TEAM_ID, "domain": "garda-test"},
        "channel": {"id": channel, "name": channel_name},
        "message": message,
        "response_url": "https://hooks.slack.invalid/actions/1/2/3",
        "actions": [
            {
                "action_id": button["action_id"],
                "block_id": "garda.choices",
                "text": button["text"],
                "value": button.get("value", ""),
                "type": "button",
                "action_ts": _ts(),
            }
        ],
    }


def channel_press(
    user: str, channel: str, message: dict[str, Any], button: dict[str, Any]
) -> dict[str, Any]:
    """``user`` (an agent) pressing ``button`` on ``message`` posted in ``channel`` (a support
    channel), the message being in a thread of it if it has a ``thread_ts``."""
    return button_press(user, channel, message, button, channel_name="support")


def view_submission(user: str, view: dict[str, Any], answers: Mapping[str, str]) -> dict[str, Any]:
    """The ``view_submission`` payload of ``user`` filling in an opened modal ``view``.

    ``answers`` maps each input block's id to what was typed in it.
    """
    values = {
        block["block_id"]: {
            block["element"]["action_id"]: {
                "type": "plain_text_input",
                "value": answers.get(block["block_id"]),
            }
        }
        for block in view["blocks"]
        if block["type"] == "input"
    }
    return {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "garda-test"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": "legacy-verification-token",
        "trigger_id": f"{uuid.uuid4().int % 10**12}.1.{uuid.uuid4().hex[:8]}",
        "view": {**view, "state": {"values": values}, "team_id": TEAM_ID, "app_id": APP_ID},
    }


def buttons(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The buttons of a posted message, in order."""
    return [
        element
        for block in message.get("blocks") or []
        if block.get("type") == "actions"
        for element in block["elements"]
    ]


def button_labels(message: Mapping[str, Any]) -> list[str]:
    """The labels of a posted message's buttons, in order."""
    return [button["text"]["text"] for button in buttons(message)]


def socket_envelope(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A Socket Mode envelope: ``events_api``, ``slash_commands`` or ``interactive``."""
    return {
        "envelope_id": str(uuid.uuid4()),
        "type": kind,
        "payload": payload,
        "accepts_response_payload": kind != "events_api",
        "retry_attempt": 0,
        "retry_reason": "",
    }


# Requests into the app


def signed(
    body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    """The signature headers Slack adds to ``body``."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    assert signature is not None
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}


class Inbound:
    """Slack's side of the HTTP Events API: signed requests into an app's ``/slack/events``."""

    def __init__(self, client: httpx.AsyncClient, *, secret: str = SIGNING_SECRET) -> None:
        self.client = client
        self.secret = secret

    async def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry: int = 0
    ) -> httpx.Response:
        """Deliver an event (``retry`` > 0: Slack's repeated delivery of the same one)."""
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        body = json.dumps(event_callback(event, event_id=event_id))
        return await self.post(body, "application/json", extra=headers if retry else {})

    async def command(self, fields: Mapping[str, str]) -> httpx.Response:
        """A slash command, form-encoded."""
        return await self.post(urlencode(fields), "application/x-www-form-urlencoded")

    async def interaction(self, payload: dict[str, Any]) -> httpx.Response:
        """A button press or form submission: ``payload=<json>``, form-encoded."""
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded")

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        extra: Mapping[str, str] | None = None,
        secret: str | None = None,
        timestamp: int | None = None,
    ) -> httpx.Response:
        """POST ``body`` signed with ``secret`` (default: the right one) at ``timestamp``."""
        headers = {
            "Content-Type": content_type,
            **signed(body, secret=secret or self.secret, timestamp=timestamp),
            **(extra or {}),
        }
        return await self.client.post("/slack/events", content=body, headers=headers)


@asynccontextmanager
async def inbound(
    handle: Callable[[Request], Awaitable[Response]], *, secret: str = SIGNING_SECRET
) -> AsyncIterator[Inbound]:
    """Signed requests into ``handle`` mounted at ``/slack/events`` of a tiny ASGI app."""
    app = Starlette(routes=[Route("/slack/events", handle, methods=["POST"])])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://garda.test") as client:
        yield Inbound(client, secret=secret)
