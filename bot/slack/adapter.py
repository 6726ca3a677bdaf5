"""Garda in Slack: Bolt listeners that acknowledge at once and converse afterwards.

Slack wants an answer within three seconds and retries events it did not get one for. So
every listener only acknowledges and hands the conversation to a background task; the same
listeners serve the HTTP Events API (``garda serve``) and Socket Mode (``garda run``). Retried
events carry the same ``event_id``, which the dispatcher records in the database.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any

import aiohttp
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from starlette.requests import Request
from starlette.responses import Response

from bot.app import Garda
from bot.config import Settings
from bot.delivery import DeliveryError
from bot.slack.backlog import Backlog, Work
from bot.slack.blocks import (
    CHOICE_ACTION,
    FORM_ACTION,
    FORM_VIEW,
    PENDING_FORM,
    answered,
    form_answers,
    form_fields,
    form_origin,
    form_view,
    home_view,
)
from bot.slack.people import People
from bot.slack.sender import PLATFORM, SLACK_ERRORS, SlackSender
from bot.slack.text import escape, plain, unescape
from handlers.desk import AGENT_COMMANDS, DESK_CHOICE
from handlers.messages import Address, IncomingMessage

logger = logging.getLogger(__name__)

COMMAND = "/helpdesk"
CHANNEL_TYPES = ("channel", "group")  # public and private channels (not DMs, not group DMs)
BROADCAST = "thread_broadcast"  # the subtype of a thread reply also sent to the channel
# Slack-only words, English until the catalogue has keys for them.
COMMAND_NOTE = "Thanks! I'll answer you in our direct messages with Garda."


class SlackConfigurationError(ValueError):
    """A Slack secret this way of running needs is not set."""


class SlackAdapter:
    """Slack's events, commands and buttons in; Garda's replies out through :attr:`sender`.

    The caller connects the replies: ``garda.courier.add(adapter.sender)``.
    """

    def __init__(self, garda: Garda, settings: Settings, *, pace: float = 1.0) -> None:
        if settings.slack_bot_token is None:
            raise SlackConfigurationError("SLACK_BOT_TOKEN is not set")
        self.garda = garda
        # One HTTP session for every Web API call: without it slack-sdk opens a new one (a new
        # TLS handshake with Slack) per call, three or more per message.
        self._session = aiohttp.ClientSession()
        self.client = AsyncWebClient(
            token=settings.slack_bot_token.get_secret_value(),
            base_url=settings.slack_api_url,
            session=self._session,
            retry_handlers=[
                AsyncRateLimitErrorRetryHandler(max_retry_count=3),  # waits out Retry-After
                AsyncConnectionErrorRetryHandler(max_retry_count=2),
            ],
        )
        self.sender = SlackSender(self.client, pace=pace)
        self.people = People(self.client)
        self._app_token = settings.slack_app_token
        secret = settings.slack_signing_secret
        self._verifies_http = secret is not None
        self.app = AsyncApp(
            name="garda",
            client=self.client,
            # Always given, so Bolt never reads the environment itself; with none set, HTTP
            # requests are refused in handle_http before they reach Bolt.
            signing_secret=secret.get_secret_value() if secret is not None else "",
            # Listeners only hand work to a background task, so running them before answering
            # keeps the answer immediate and guarantees the work is registered by then.
            process_before_response=True,
        )
        self.events: set[str] = set()  # the event types listened to (see the app manifest)
        self._http = AsyncSlackRequestHandler(self.app)
        self._socket: AsyncSocketModeHandler | None = None
        self.backlog = Backlog()  # one user's messages are handled in arrival order
        self._register()

    def _register(self) -> None:
        self._listen("message", self._message)
        self._listen("app_mention", self._mention)
        self._listen("app_home_opened", self._home_opened)
        self.app.command(COMMAND)(self._command)
        self.app.action(re.compile("^" + re.escape(CHOICE_ACTION)))(self._choice)
        self.app.action(FORM_ACTION)(self._form_opened)
        self.app.view(FORM_VIEW)(self._form_sent)

    def _listen(self, event: str, listener: Callable[..., Awaitable[None]]) -> None:
        self.app.event(event)(listener)
        self.events.add(event)

    # Running

    async def start_socket_mode(self) -> None:
        """Connect to Slack over Socket Mode (``garda run``); returns once connected."""
        if self._socket is not None:
            return
        if self._app_token is None:
            raise SlackConfigurationError(
                "SLACK_APP_TOKEN (xapp-…) is not set; Socket Mode needs it"
            )
        token = self._app_token.get_secret_value()
        try:  # fail now with Slack's reason; the SDK's own connect would retry forever
            opened = await self.client.apps_connections_open(app_token=token)
        except SlackApiError as error:
            raise SlackConfigurationError(
                f"Slack refused Socket Mode: {error.response.get('error')}"
            ) from error
        self._socket = AsyncSocketModeHandler(self.app, token)
        self._socket.client.wss_uri = opened["url"]
        await self._socket.connect_async()  # type: ignore[no-untyped-call]

    async def handle_http(self, request: Request) -> Response:
        """Answer one request Slack sent to ``/slack/events`` (events, commands, buttons)."""
        if not self._verifies_http:
            logger.error("refused a Slack request: SLACK_SIGNING_SECRET is not set")
            return Response("SLACK_SIGNING_SECRET is not set", status_code=503)
        return await self._http.handle(request)

    async def drain(self) -> None:
        """Wait until all the work already acknowledged to Slack is done."""
        await self.backlog.drain()

    async def stop(self, *, grace: float = 10.0) -> None:
        """Disconnect Socket Mode, give running work ``grace`` seconds, cancel what is left."""
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        await self.backlog.close(grace=grace)
        await self.sender.expiry.close()
        await self._session.close()

    def _later(self, work: Work, *, user: str | None) -> None:
        """Run ``work`` after the acknowledgement, after ``user``'s earlier work if any."""
        self.backlog.add(work, key=user)

    # Listeners: acknowledge (Bolt does it for events), then hand the rest to _later.

    async def _message(
        self, event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        """A message in the user's direct-message channel with Garda, or a reply in a
        channel thread that Garda started (a ticket's announcement in a support channel)."""
        if not _typed_by_a_person(event, context):
            return  # edits, joins, bots' messages (Garda's own included)
        if event.get("channel_type") == "im":
            origin = Address(PLATFORM, event["channel"], event.get("thread_ts"))
            self._converse_later(event["user"], plain(event.get("text") or ""), origin, body)
        elif event.get("channel_type") in CHANNEL_TYPES and _in_gardas_thread(event, context):
            thread = str(event["thread_ts"])
            text = _without_mention(event.get("text") or "", context.bot_user_id)
            origin = Address(PLATFORM, event["channel"], thread)
            self._converse_later(event["user"], text, origin, body, reply_to=thread)
        # Any other channel message is people talking among themselves.

    async def _mention(
        self, event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        """An @mention of Garda in a channel: answered in a thread under it."""
        if not _typed_by_a_person(event, context) or str(event.get("channel", "")).startswith("D"):
            return  # a mention in a direct message also arrives, and is handled, as a message
        if _in_gardas_thread(event, context):
            return  # also arrives, and is handled, as a message in Garda's thread
        text = _without_mention(event.get("text") or "", context.bot_user_id)
        origin = Address(PLATFORM, event["channel"], event.get("thread_ts") or event["ts"])
        self._converse_later(event["user"], text, origin, body)

    def _converse_later(
        self,
        user: str,
        text: str,
        origin: Address,
        body: Mapping[str, Any],
        *,
        reply_to: str | None = None,
    ) -> None:
        key = f"slack:{body['event_id']}" if body.get("event_id") else None
        work = partial(
            self._converse, user, text, origin, event_key=key, reply_to=reply_to, raw=body
        )
        self._later(work, user=user)

    async def _command(self, ack: AsyncAck, command: dict[str, Any]) -> None:
        """``/helpdesk [text]``: acknowledged where it was typed, answered in the DM."""
        await ack(text=escape(COMMAND_NOTE), response_type="ephemeral")
        user = command["user_id"]
        self._later(partial(self._command_in_private, user, command), user=user)

    async def _command_in_private(self, user: str, command: dict[str, Any]) -> None:
        origin = Address(PLATFORM, await self.sender.direct_channel(user))
        key = f"slack:command:{command['trigger_id']}" if command.get("trigger_id") else None
        text = self._as_command(plain(command.get("text") or ""))
        await self._converse(user, text, origin, event_key=key, raw=command)

    def _as_command(self, text: str) -> str:
        """``/helpdesk status`` means ``/status``: Slack keeps other slash words to itself.

        Only a command word alone or with one argument (``ticket 12``, ``link K7QM-3XPA``):
        "help, the vpn is down" is still a problem to match. The support desk's commands
        (``reply 12 restarted the router``) are passed on whole, however long.
        """
        words = text.split()
        if words and words[0].casefold() in AGENT_COMMANDS:
            rest = text.strip()[len(words[0]) :]  # as typed: an answer may have several lines
            return f"/{words[0].casefold()}{rest}"
        if 1 <= len(words) <= 2 and words[0].casefold() in self.garda.dispatcher.router.commands:
            return "/" + " ".join(words)
        return text

    async def _choice(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        """A choice button pressed: the message shows the choice, Garda gets its id.

        A ticket's buttons stay: Garda itself redraws the ticket's message after the press.
        """
        await ack()
        action = body["actions"][0]
        user = body["user"]["id"]
        channel, ts, origin = _where_pressed(body)
        label = unescape(action.get("text", {}).get("text", ""))
        desk = str(action["value"]).startswith(DESK_CHOICE)
        # A double press of the same message is one answer: the key names the message. A
        # ticket's message is pressed again and again (claim, later resolve, reopen...), so
        # there each press counts; pressing twice by mistake is the desk's to shrug off.
        key = f"slack:press:{channel}:{ts or action.get('action_ts')}"
        if desk:
            key = f"{key}:{action.get('action_ts')}"
        shown = None if desk else ts  # the message to mark with the chosen option
        work = partial(self._pressed, user, label, origin, shown, action["value"], key, body)
        self._later(work, user=user)

    async def _pressed(
        self,
        user: str,
        label: str,
        origin: Address,
        shown: str | None,
        choice: str,
        key: str,
        body: dict[str, Any],
    ) -> None:
        if shown is not None and not body.get("container", {}).get("is_ephemeral"):
            text, blocks = answered(body.get("message") or {}, label)
            try:
                await self.sender.update(origin.chat_id, shown, text, blocks)
            except DeliveryError as error:  # cosmetic: the answer itself still counts
                logger.warning("could not mark the pressed button in %s: %s", origin, error)
        await self._converse(user, label, origin, choice=choice, event_key=key, raw=body)

    async def _form_opened(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        """The form button: the modal must open within the trigger's three seconds."""
        await ack()
        self._later(partial(self._open_form, body), user=None)  # not queued behind other work

    async def _open_form(self, body: dict[str, Any]) -> None:
        _, _, origin = _where_pressed(body)
        value = body["actions"][0]["value"]
        user = body["user"]["id"]
        if value == PENDING_FORM:  # too big for the button: the question Garda waits on has it
            fields = await self.garda.dispatcher.pending_form(platform=PLATFORM, user_id=user)
        else:
            fields = form_fields(value)
        if not fields:  # the conversation moved on since the button was posted
            logger.info("no form to open for %s: the question was answered", user)
            return
        view = form_view(fields, origin=origin)
        try:
            await self.client.views_open(trigger_id=body["trigger_id"], view=view)
        except SLACK_ERRORS as error:  # the questions are still asked one by one in chat
            logger.warning("could not open the form for %s: %s", user, error)

    async def _form_sent(self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        """A submitted form: its answers reach the conversation as ``fields``."""
        await ack()
        user = body["user"]["id"]
        work = partial(
            self._converse,
            user,
            "",
            form_origin(view, PLATFORM),
            fields=form_answers(view),
            event_key=f"slack:view:{view['id']}",
            raw=body,
        )
        self._later(work, user=user)

    async def _home_opened(self, event: dict[str, Any]) -> None:
        """The App Home tab opened: show the user's tickets."""
        if event.get("tab") == "home":
            self._later(partial(self._publish_home, event["user"]), user=None)

    async def _publish_home(self, user: str) -> None:
        overview = await self.garda.dispatcher.overview(platform=PLATFORM, user_id=user)
        try:
            await self.client.views_publish(user_id=user, view=home_view(overview))
        except SLACK_ERRORS as error:
            logger.warning("could not publish the App Home of %s: %s", user, error)

    async def _converse(
        self,
        user: str,
        text: str,
        origin: Address,
        *,
        choice: str | None = None,
        fields: Mapping[str, str] | None = None,
        event_key: str | None = None,
        reply_to: str | None = None,
        raw: Any = None,
    ) -> None:
        """Garda's whole answer to one thing the user did, delivered."""
        profile = await self.people.profile(user)
        await self.garda.receive(
            IncomingMessage(
                platform=PLATFORM,
                user_id=user,
                text=text,
                origin=origin,
                display_name=profile.name,
                choice=choice,
                event_key=event_key,
                email=profile.email,
                fields=dict(fields or {}),
                reply_to=reply_to,
                raw=raw,
            )
        )


def _typed_by_a_person(event: Mapping[str, Any], context: AsyncBoltContext) -> bool:
    """A new message from a person (not an edit, a join, or any bot's message); a thread
    reply also sent to the channel counts."""
    user = event.get("user")
    return (
        bool(user)
        and user != context.bot_user_id
        and "bot_id" not in event
        and event.get("subtype") in (None, BROADCAST)
    )


def _in_gardas_thread(event: Mapping[str, Any], context: AsyncBoltContext) -> bool:
    """Whether ``event`` is a reply in a thread whose first message Garda posted."""
    thread = event.get("thread_ts")
    if not thread or thread == event.get("ts") or not context.bot_user_id:
        return False
    # A reply also sent to the channel names its thread's author in ``root`` instead.
    parent = event.get("parent_user_id") or (event.get("root") or {}).get("user")
    return bool(parent == context.bot_user_id)


def _without_mention(text: str, bot_user_id: str | None) -> str:
    """The text of an @mention without the leading ``<@BOT>``, decoded."""
    if bot_user_id:
        text = re.sub(rf"^\s*<@{re.escape(bot_user_id)}(\|[^>]*)?>[\s:,]*", "", text)
    return plain(text)


def _where_pressed(body: Mapping[str, Any]) -> tuple[str, str | None, Address]:
    """Channel, message ts, and the address to answer at, for a button press."""
    container = body.get("container") or {}
    posted = body.get("message") or {}
    channel = str(container.get("channel_id") or body["channel"]["id"])
    ts = container.get("message_ts") or posted.get("ts")
    return channel, ts, Address(PLATFORM, channel, posted.get("thread_ts"))
