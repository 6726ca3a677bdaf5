"""A fake Telegram Bot API on 127.0.0.1 that the real python-telegram-bot client talks to.

It serves ``/bot{token}/{method}``, records every call, answers as Telegram does (whole
``Message`` objects; HTML parsed and refused the way Telegram refuses it; the 4096-character
and 64-byte callback-data limits; 429s on request) and hands pushed updates to long polling.
The factories at the end build complete ``Update`` payloads.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from typing import Any

from aiohttp import web

TOKEN = "123:ABC"
BOT = {"id": 4242, "is_bot": True, "first_name": "Garda", "username": "garda_bot"}
# PTB form-encodes parameters, JSON-encoding every value that is not a string.
STRING_PARAMS = {"text", "parse_mode", "callback_query_id", "url", "secret_token", "language_code"}
TEXT_LIMIT = 4096
CALLBACK_DATA_LIMIT = 64

Json = dict[str, Any]


@dataclass(frozen=True)
class Call:
    """One request the bot made."""

    method: str
    params: Json
    ok: bool = True
    result: Any = None

    @property
    def text(self) -> str:
        """The text as the user sees it (HTML parsed), or as sent."""
        if isinstance(self.result, dict) and "text" in self.result:
            return str(self.result["text"])
        return str(self.params.get("text", ""))

    @property
    def reply_to(self) -> int | None:
        """The id of the message this one was sent in answer to (``reply_parameters``)."""
        return (self.params.get("reply_parameters") or {}).get("message_id")

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback data) of each inline button, top to bottom."""
        rows = (self.params.get("reply_markup") or {}).get("inline_keyboard", [])
        return [(button["text"], button["callback_data"]) for row in rows for button in row]


class ApiError(Exception):
    """An error answer: ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


class FakeTelegram:
    """``async with FakeTelegram() as fake:`` then point the bot at ``fake.url``."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.bot = dict(BOT)
        self.calls: list[Call] = []
        self.messages: dict[tuple[Any, int], Json] = {}  # (chat id, message id) -> Message
        self.webhook: Json | None = None
        self.commands: dict[str | None, list[Json]] = {}  # language code -> command menu
        self.url = ""
        self._updates: list[Json] = []
        self._pushed = asyncio.Event()
        self._changed = asyncio.Condition()
        self._cursor: dict[str, int] = {}  # per method: where the next wait_for looks from
        self._failures: dict[str, list[float]] = {}
        self._migrated: dict[Any, int] = {}  # old group chat id -> its supergroup's id
        self._message_ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._methods: dict[str, Callable[[Json], Awaitable[Any]]] = {
            "getMe": self._get_me,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "answerCallbackQuery": self._true,
            "deleteMessage": self._delete_message,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "setMyCommands": self._set_my_commands,
            "getUpdates": self._get_updates,
        }

    async def __aenter__(self) -> FakeTelegram:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._runner is not None
        self._pushed.set()  # a long poll still waiting answers now, so shutdown need not wait
        await self._runner.cleanup()

    # What tests do

    def push_update(self, update: Json) -> None:
        """Queue an update for the next ``getUpdates``."""
        self._updates.append(update)
        self._pushed.set()

    def rate_limit(self, method: str, *, times: int = 1, retry_after: float = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with 429 Too Many Requests.

        PTB only treats a 429 as ``RetryAfter`` when ``retry_after`` is truthy, so tests that
        must not wait a whole second pass a fraction (Telegram itself sends whole seconds).
        """
        self._failures.setdefault(method, []).extend([retry_after] * times)

    def migrate(self, chat_id: int, to: int) -> None:
        """Upgrade group ``chat_id`` to supergroup ``to``: its messages move there, and every
        later call naming the old id is refused with ``migrate_to_chat_id``, as Telegram does."""
        self._migrated[chat_id] = to
        for (chat, message_id), moved in list(self.messages.items()):
            if chat == chat_id:
                del self.messages[chat, message_id]
                moved["chat"] = {**moved["chat"], "id": to, "type": "supergroup"}
                self.messages[to, message_id] = moved

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        *,
        timeout: float = 10,
    ) -> Call:
        """The next successful call of ``method`` matching ``predicate``.

        "Next" reads like a conversation: the search starts after the call of ``method`` that
        the previous ``wait_for(method)`` returned. ``timeout`` only turns a hang into a failure.
        """

        def find() -> int | None:
            for index in range(self._cursor.get(method, 0), len(self.calls)):
                call = self.calls[index]
                if call.ok and call.method == method and (predicate is None or predicate(call)):
                    return index
            return None

        try:
            async with asyncio.timeout(timeout), self._changed:
                while (index := find()) is None:
                    await self._changed.wait()
        except TimeoutError:
            seen = [(call.method, call.ok, call.params.get("text")) for call in self.calls]
            raise AssertionError(f"no matching {method} call; calls so far: {seen}") from None
        self._cursor[method] = index + 1
        return self.calls[index]

    def sent(self, chat_id: int | str) -> list[Call]:
        """The messages delivered to ``chat_id``, in order."""
        return [
            call
            for call in self.calls
            if call.ok and call.method == "sendMessage" and call.params["chat_id"] == chat_id
        ]

    # The HTTP side

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        answer = self._methods.get(method)
        if answer is None:
            return _error(404, "Not Found")
        params = await _params(request)
        failures = self._failures.get(method)
        if failures:
            retry_after = failures.pop(0)
            await self._record(Call(method, params, ok=False))
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {retry_after}",
                    "parameters": {"retry_after": retry_after},
                },
                status=429,
            )
        if params.get("chat_id") in self._migrated:
            await self._record(Call(method, params, ok=False))
            description = "Bad Request: group chat was upgraded to a supergroup chat"
            parameters = {"migrate_to_chat_id": self._migrated[params["chat_id"]]}
            body = {"ok": False, "error_code": 400, "description": description}
            return web.json_response(body | {"parameters": parameters}, status=400)
        try:
            result = await answer(params)
        except ApiError as error:
            await self._record(Call(method, params, ok=False, result=error.description))
            return _error(error.code, error.description)
        await self._record(Call(method, params, result=result))
        return web.json_response({"ok": True, "result": result})

    async def _record(self, call: Call) -> None:
        call = replace(call, result=copy.deepcopy(call.result))  # later edits change the stored one
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    # Methods

    async def _true(self, _: Json) -> bool:
        return True

    async def _delete_message(self, params: Json) -> bool:
        key = (params["chat_id"], int(params["message_id"]))
        if self.messages.pop(key, None) is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        return True

    async def _get_me(self, _: Json) -> Json:
        return self.bot

    async def _send_message(self, params: Json) -> Json:
        chat_id = params["chat_id"]
        message: Json = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if _is_user(chat_id) else "supergroup"},
            "from": self.bot,
            **_content(params),
        }
        if params.get("message_thread_id"):
            message |= {"message_thread_id": params["message_thread_id"], "is_topic_message": True}
        answered = self._answered(chat_id, params.get("reply_parameters"))
        if answered is not None:
            message["reply_to_message"] = answered
        self.messages[chat_id, message["message_id"]] = message
        return message

    def _answered(self, chat_id: Any, parameters: Json | None) -> Json | None:
        """The message ``reply_parameters`` names, as Telegram attaches it (without its own
        ``reply_to_message``); a 400 if it is gone, unless sending without it is allowed."""
        if not parameters:
            return None
        found = self.messages.get((parameters.get("chat_id", chat_id), parameters["message_id"]))
        if found is None:
            if parameters.get("allow_sending_without_reply"):
                return None
            raise ApiError(400, "Bad Request: message to be replied not found")
        answered = copy.deepcopy(found)
        answered.pop("reply_to_message", None)
        return answered

    async def _edit_message_text(self, params: Json) -> Json:
        return self._edit(params, _content(params))

    async def _edit_message_reply_markup(self, params: Json) -> Json:
        message = self._message(params)
        content = {key: message[key] for key in ("text", "entities") if key in message}
        return self._edit(params, content | _markup(params))

    def _edit(self, params: Json, content: Json) -> Json:
        message = self._message(params)
        before = {key: message.get(key) for key in ("text", "entities", "reply_markup")}
        if before == {key: content.get(key) for key in before}:
            raise ApiError(400, "Bad Request: message is not modified")
        for key in ("entities", "reply_markup"):
            message.pop(key, None)
        message.update(content, edit_date=int(time.time()))
        return message

    def _message(self, params: Json) -> Json:
        message = self.messages.get((params.get("chat_id"), params.get("message_id")))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return message

    async def _set_webhook(self, params: Json) -> bool:
        self.webhook = params
        return True

    async def _delete_webhook(self, _: Json) -> bool:
        self.webhook = None
        return True

    async def _set_my_commands(self, params: Json) -> bool:
        self.commands[params.get("language_code")] = params["commands"]
        return True

    async def _get_updates(self, params: Json) -> list[Json]:
        if self.webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = params.get("offset")
        if offset is not None:  # every update before the offset is confirmed: forget it
            self._updates = [update for update in self._updates if update["update_id"] >= offset]
        if not self._updates and params.get("timeout"):
            self._pushed.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(float(params["timeout"])):
                    await self._pushed.wait()
        return self._updates[: int(params.get("limit") or 100)]


async def _params(request: web.Request) -> Json:
    if request.content_type == "application/json":
        return dict(await request.json())
    form = dict(request.query) | dict(await request.post())
    params: Json = {}
    for name, value in form.items():
        params[name] = value
        if name not in STRING_PARAMS and isinstance(value, str):
            with contextlib.suppress(ValueError):
                params[name] = json.loads(value)
    return params


def _error(code: int, description: str) -> web.Response:
    body = {"ok": False, "error_code": code, "description": description}
    return web.json_response(body, status=code)


def _is_user(chat_id: Any) -> bool:
    return isinstance(chat_id, int) and chat_id > 0


def _content(params: Json) -> Json:
    """The text, entities and keyboard of a message, checked as Telegram checks them."""
    text = str(params.get("text", ""))
    entities: list[Json] = []
    if params.get("parse_mode") == "HTML":
        text, entities = parse_html(text)
    if not text.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if _utf16(text) > TEXT_LIMIT:
        raise ApiError(400, "Bad Request: message is too long")
    return {"text": text} | ({"entities": entities} if entities else {}) | _markup(params)


def _markup(params: Json) -> Json:
    markup = params.get("reply_markup")
    if not markup:
        return {}
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if len(button.get("callback_data", "").encode()) > CALLBACK_DATA_LIMIT:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return {"reply_markup": markup}


# Telegram's HTML: a few tags, and every other <, > and & escaped.

TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
    "del": "strikethrough", "code": "code", "pre": "pre", "a": "text_link",
    "tg-spoiler": "spoiler", "blockquote": "blockquote",
}  # fmt: skip
BARE_AMPERSAND = re.compile(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)")
BARE_LESS_THAN = re.compile(r"<(?!/?[a-zA-Z][\w-]*(?:\s[^<>]*)?>)")


def parse_html(source: str) -> tuple[str, list[Json]]:
    """Text and entities, as Telegram reads a ``parse_mode=HTML`` message (or a 400)."""
    if BARE_AMPERSAND.search(source) or BARE_LESS_THAN.search(source):
        raise ApiError(400, "Bad Request: can't parse entities: unescaped '<' or '&'")
    parser = _HTML()
    parser.feed(source)
    parser.close()
    if parser.open:
        raise ApiError(400, f"Bad Request: can't parse entities: unclosed <{parser.open[-1][0]}>")
    return parser.text, sorted(parser.entities, key=lambda entity: entity["offset"])


class _HTML(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = ""
        self.entities: list[Json] = []
        self.open: list[tuple[str, int, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TAGS:
            raise ApiError(400, f'Bad Request: can\'t parse entities: unsupported tag "{tag}"')
        self.open.append((tag, _utf16(self.text), dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1][0] != tag:
            raise ApiError(400, f'Bad Request: can\'t parse entities: unmatched end tag "{tag}"')
        name, start, attrs = self.open.pop()
        entity = {"type": TAGS[name], "offset": start, "length": _utf16(self.text) - start}
        if name == "a":
            entity["url"] = attrs.get("href")
        if entity["length"]:
            self.entities.append(entity)

    def handle_data(self, data: str) -> None:
        self.text += data


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# Factories: complete Update payloads, every required field present.

_update_ids = itertools.count(1)
_user_message_ids = itertools.count(10_000)
_query_ids = itertools.count(1)
COMMAND = re.compile(r"/[A-Za-z0-9_]+(?:@\w+)?")
MENTION = re.compile(r"(?<![\w.])@\w{5,32}")  # not the domain of an email address


def user(
    id: int = 42, first_name: str = "Ana", *, last_name: str | None = None, **fields: Any
) -> Json:
    """A Telegram user (a person unless ``is_bot=True``)."""
    person: Json = {"id": id, "is_bot": False, "first_name": first_name, **fields}
    if last_name:
        person["last_name"] = last_name
    return person


def private_chat(person: Json) -> Json:
    """The private chat with ``person`` (its id is theirs)."""
    return {"id": person["id"], "type": "private", "first_name": person["first_name"]}


def group(id: int = -1001234, title: str = "IT support", *, forum: bool = False) -> Json:
    """A supergroup, optionally with forum topics."""
    return {"id": id, "type": "supergroup", "title": title} | ({"is_forum": True} if forum else {})


def message(
    text: str | None = None,
    *,
    sender: Json | None = None,
    chat: Json | None = None,
    thread_id: int | None = None,
    **fields: Any,
) -> Json:
    """A message from ``sender`` (Ana by default) in ``chat`` (their private chat by default)."""
    sender = sender or user()
    payload: Json = {
        "message_id": next(_user_message_ids),
        "date": int(time.time()),
        "chat": chat or private_chat(sender),
        "from": sender,
        **fields,
    }
    if text is not None:
        payload["text"] = text
        entities = _entities(text)
        if entities:
            payload["entities"] = entities
    if thread_id is not None:
        payload |= {"message_thread_id": thread_id, "is_topic_message": True}
    return payload


def message_update(text: str | None = None, **kwargs: Any) -> Json:
    """An update carrying a new message (see :func:`message`)."""
    return {"update_id": next(_update_ids), "message": message(text, **kwargs)}


def edited_update(text: str, **kwargs: Any) -> Json:
    """An update carrying an edited message."""
    edited = message(text, **kwargs) | {"edit_date": int(time.time())}
    return {"update_id": next(_update_ids), "edited_message": edited}


def group_command_update(
    command: str,
    *,
    chat: Json | None = None,
    sender: Json | None = None,
    thread_id: int | None = None,
) -> Json:
    """A command (``/queue``, ``/take@garda_bot 12``) typed in a group (the support group by
    default), in its forum topic ``thread_id`` if given."""
    return message_update(command, sender=sender, chat=chat or group(), thread_id=thread_id)


def bot_message(
    message_id: int,
    *,
    chat: Json | None = None,
    thread_id: int | None = None,
    text: str = "New ticket #1",
) -> Json:
    """A message the bot posted earlier in ``chat`` (the support group by default)."""
    sent: Json = {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": chat or group(),
        "from": BOT,
        "text": text,
    }
    if thread_id is not None:
        sent |= {"message_thread_id": thread_id, "is_topic_message": True}
    return sent


def reply_update(
    text: str,
    to: int | Json,
    *,
    sender: Json | None = None,
    chat: Json | None = None,
    thread_id: int | None = None,
) -> Json:
    """``sender`` answering, in a group, the bot's message ``to``: the ``Message`` the fake
    returned for it (``call.result``: its chat and topic are used) or just its id (then in
    ``chat``, the support group by default, and topic ``thread_id``)."""
    if isinstance(to, int):
        to = bot_message(to, chat=chat, thread_id=thread_id)
    else:
        to = {key: value for key, value in to.items() if key != "reply_to_message"}
    chat = to["chat"] if chat is None else chat
    topic = to.get("message_thread_id") if thread_id is None else thread_id
    return message_update(text, sender=sender, chat=chat, thread_id=topic, reply_to_message=to)


def topic_update(
    text: str,
    *,
    thread_id: int,
    chat: Json | None = None,
    sender: Json | None = None,
    creator: Json | None = None,
) -> Json:
    """A plain message in forum topic ``thread_id``: as Telegram sends it, it "replies" to
    the topic's creation message (by ``creator``: Ana by default, or the bot, ``BOT``)."""
    chat = chat or group(forum=True)
    created = {
        "message_id": thread_id,
        "date": int(time.time()),
        "chat": chat,
        "from": creator or user(),
        "message_thread_id": thread_id,
        "forum_topic_created": {"name": "Tickets", "icon_color": 7322096},
    }
    return message_update(
        text, sender=sender, chat=chat, thread_id=thread_id, reply_to_message=created
    )


def press(sent: Json, data: str, *, sender: Json | None = None) -> Json:
    """An update for pressing the button ``data`` under ``sent`` (a message the bot sent)."""
    query = {
        "id": str(next(_query_ids)),
        "from": sender or user(),
        "chat_instance": f"instance-{sent['chat']['id']}",
        "data": data,
        "message": sent,
    }
    return {"update_id": next(_update_ids), "callback_query": query}


def _entities(text: str) -> list[Json]:
    """The entities Telegram's clients attach: a leading command and @mentions."""
    found = []
    command = COMMAND.match(text)
    if command:
        found.append({"type": "bot_command", "offset": 0, "length": _utf16(command.group())})
    for mention in MENTION.finditer(text):
        offset = _utf16(text[: mention.start()])
        found.append({"type": "mention", "offset": offset, "length": _utf16(mention.group())})
    return found
