"""The ``webhook`` backend: Garda's actions as signed JSON requests to your own endpoint.

Use it for anything Garda has no backend for (cPanel/CSF, Okta, a CRM): one HTTPS endpoint
of yours answers every action. Set ``GARDA_WEBHOOK_URL`` and ``GARDA_WEBHOOK_SECRET`` and
pick ``webhook`` for any of ``GARDA_DIRECTORY``, ``GARDA_FIREWALL`` and
``GARDA_SUBSCRIPTIONS``; ``GARDA_BACKEND_TIMEOUT`` (default 10 s) bounds each request.

Request
-------
One ``POST`` to ``GARDA_WEBHOOK_URL`` per action. Garda does not retry and does not follow
redirects. Headers::

    Content-Type: application/json
    X-Garda-Timestamp: 1718000000
    X-Garda-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">
    Idempotency-Key: 1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b

Body (UTF-8 JSON)::

    {"action": "find_account", "params": {"email": "ana@example.com"},
     "request_id": "1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b", "sent_at": 1718000000}

``request_id`` is a fresh UUID4 per request and equals ``Idempotency-Key``; ``sent_at``
equals ``X-Garda-Timestamp`` (Unix seconds). Ignore keys you do not know: later versions may
add some.

Verifying a request (before anything else)
------------------------------------------
1. Take the raw body bytes exactly as received, before any JSON parsing.
2. Compute the HMAC-SHA256 of ``<X-Garda-Timestamp> + "." + <body>``, keyed with
   ``GARDA_WEBHOOK_SECRET`` as UTF-8 bytes, as lowercase hex.
3. Compare ``"sha256=" + <hex>`` with ``X-Garda-Signature`` in constant time.
4. Reject a timestamp more than 5 minutes away from your clock (either way).
5. Optionally remember ``request_id`` for those 5 minutes and answer a repeat as the first.

Answer ``401`` when the signature or the timestamp does not verify. Python receivers can
call :func:`verify_signature` here (``verify_signature(secret, timestamp_header, raw_body,
signature_header)``); in PHP the signature is ``"sha256=" . hash_hmac("sha256",
$timestamp . "." . $body, $secret)``, compared with ``hash_equals``.

Response
--------
HTTP ``200`` with a JSON body: ``{"ok": true, "result": {...}}`` or ``{"ok": false, "error":
"<short reason>"}``. Use ``ok: false`` for a refusal (an account you will not touch, a field
you do not allow); "not found" is not a refusal but a ``null`` result. The reason is shown
to Garda's operators and may reach the user: keep it short, and never put a password or a
secret in it (Garda blots out the temporary password and the secret if they appear, and cuts
the reason to 160 characters).

Garda treats anything else as the backend being unavailable: no answer within the timeout,
HTTP 401/403 (signature refused), a redirect, HTTP 5xx or any other status, a body that is
not such JSON or is larger than 1 MiB, a ``result`` without a required field or with a
field of the wrong type. Responses are not signed: serve the endpoint over HTTPS.

Actions
-------
Optional string fields may be left out or ``null`` (read as ``""``). Match emails
case-insensitively.

``find_account`` — params ``{"email": str}``; result ``{"account": null | {"username": str,
"email": str, "display_name": str (optional), "locked": bool (optional, default false),
"ref": str (optional)}}``. ``ref`` is your handle for the account (a DN, a row id); Garda
sends it back unchanged in ``reset_password`` and ``unlock``.

``reset_password`` — params ``{"ref": str, "username": str, "temporary_password": str}``;
result ``{}``. Set the temporary password and, where you can, force a change at the next
login. This body carries a password: never log request bodies.

``unlock`` — params ``{"ref": str, "username": str}``; result ``{"was_locked": bool}``
(false if the account was not locked).

``banned_in`` — params ``{"address": str}`` (IPv4 or IPv6); result ``{"jails": [str, ...]}``,
the jails or rule sets that ban the address, empty if none.

``unban`` — params ``{"address": str, "jails": [str, ...]}``; result ``{}``. Lift the ban in
each jail. Garda sends no request for an empty list.

``find_subscription`` — params ``{"email": str}``; result ``{"subscription": null | {"ref":
str, "owner_email": str, "plan": str, "contact_email": str, "phone": str, "billing_email":
str}}`` (``plan`` and the contact fields optional): the subscription ``email`` owns.

``update_contact`` — params ``{"ref": str, "field": "contact_email" | "phone" |
"billing_email", "value": str}``; result ``{}``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import time
import uuid
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import aiohttp

from handlers.backends import CONTACT_FIELDS, Account, BackendError, Subscription

if TYPE_CHECKING:
    from bot.config import Settings

logger = logging.getLogger(__name__)

TIMESTAMP_HEADER = "X-Garda-Timestamp"
SIGNATURE_HEADER = "X-Garda-Signature"
TOLERANCE = 300  # seconds a timestamp may be away from the receiver's clock
MAX_ANSWER = 1 << 20  # bytes; a larger answer is not one this contract describes
_REASON_LIMIT = 160
_T = TypeVar("_T")
Json = dict[str, Any]


def compute_signature(secret: str | bytes, timestamp: str | int, body: bytes) -> str:
    """``sha256=<hex>``: the HMAC-SHA256 of ``"<timestamp>.<body>"`` keyed with ``secret``."""
    key = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(
    secret: str | bytes,
    timestamp: str | int,
    body: bytes,
    signature: str,
    *,
    now: float | None = None,
    tolerance: float = TOLERANCE,
) -> bool:
    """True if ``signature`` signs ``body`` at ``timestamp`` and the timestamp is fresh."""
    stamp = str(timestamp)
    if not (stamp.isascii() and stamp.isdigit()):
        return False
    if abs((time.time() if now is None else now) - int(stamp)) > tolerance:
        return False
    expected = compute_signature(secret, stamp, body)
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


class _Malformed(Exception):
    """The answer does not follow the contract; the text says how (never quoting values)."""


class WebhookBackend:
    """Directory, firewall and subscriptions through one signed HTTP endpoint."""

    name = "webhook"

    def __init__(
        self,
        *,
        url: str,
        secret: str,
        timeout: float = 10.0,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        if not url.startswith(("https://", "http://")):
            raise ValueError("the webhook URL must start with https:// or http://")
        if not secret:
            raise ValueError("the webhook secret must not be empty")
        if timeout <= 0:
            raise ValueError("the timeout must be a positive number of seconds")
        self.url = url
        self._secret = secret
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._seconds = timeout
        self._host = urlsplit(url).hostname or "the endpoint"
        self._session = session
        self._owns_session = session is None

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookBackend:
        """The backend ``GARDA_WEBHOOK_URL`` and ``GARDA_WEBHOOK_SECRET`` describe."""
        if not settings.webhook_url:
            raise ValueError("GARDA_WEBHOOK_URL is not set (the webhook backend needs it)")
        if settings.webhook_secret is None or not settings.webhook_secret.get_secret_value():
            raise ValueError("GARDA_WEBHOOK_SECRET is not set (the webhook backend needs it)")
        return cls(
            url=settings.webhook_url,
            secret=settings.webhook_secret.get_secret_value(),
            timeout=settings.backend_timeout,
        )

    async def close(self) -> None:
        """Close the HTTP session, if this backend opened it."""
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> WebhookBackend:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # Directory

    async def find_by_email(self, email: str) -> Account | None:
        """The account whose email this is, or None."""
        return await self._call("find_account", {"email": email}, _account)

    async def reset_password(self, account: Account, temporary: str) -> None:
        """Set ``temporary`` as the account's password."""
        params = {"ref": account.ref, "username": account.username, "temporary_password": temporary}
        await self._call("reset_password", params, _nothing, hidden=(temporary,))

    async def unlock(self, account: Account) -> bool:
        """Clear a lockout; False if the account was not locked."""
        params = {"ref": account.ref, "username": account.username}
        return await self._call("unlock", params, lambda result: _need(result, "was_locked", bool))

    # Firewall

    async def banned_in(self, address: str) -> list[str]:
        """The jails that ban ``address``."""
        return await self._call("banned_in", {"address": address}, _jails)

    async def unban(self, address: str, jails: list[str]) -> None:
        """Lift the ban on ``address`` in each of ``jails``."""
        if jails:
            await self._call("unban", {"address": address, "jails": list(jails)}, _nothing)

    # Subscriptions

    async def find_for(self, email: str) -> Subscription | None:
        """The subscription owned by ``email``, or None."""
        return await self._call("find_subscription", {"email": email}, _subscription)

    async def update_contact(self, subscription: Subscription, field: str, value: str) -> None:
        """Set one contact field of ``subscription``."""
        if field not in CONTACT_FIELDS:
            raise ValueError(f"{field!r} is not one of {', '.join(CONTACT_FIELDS)}")
        params = {"ref": subscription.ref, "field": field, "value": value}
        await self._call("update_contact", params, _nothing)

    # The exchange

    async def _call(
        self,
        action: str,
        params: Json,
        read: Callable[[object], _T],
        *,
        hidden: tuple[str, ...] = (),
    ) -> _T:
        """POST ``action`` signed, and ``read`` its result; every failure is a BackendError."""
        request_id = str(uuid.uuid4())
        timestamp = int(time.time())
        payload: Json = {
            "action": action,
            "params": params,
            "request_id": request_id,
            "sent_at": timestamp,
        }
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: compute_signature(self._secret, timestamp, body),
            "Idempotency-Key": request_id,
        }
        hidden = (*hidden, self._secret)
        logger.debug("webhook %s: sending request %s", action, request_id)
        try:
            status, raw = await self._post(body, headers)
        except TimeoutError:
            raise BackendError(f"webhook {action}: no answer within {self._seconds:g} s") from None
        except aiohttp.ClientError as error:
            # from None here and below: aiohttp's texts may quote the URL (and credentials in it)
            why = _network_failure(error)
            raise BackendError(f"webhook {action}: cannot reach {self._host} ({why})") from None
        except _Malformed as error:
            raise BackendError(f"webhook {action}: {error}") from None
        logger.debug("webhook %s: request %s answered HTTP %d", action, request_id, status)
        return _read_answer(action, status, raw, read, hidden)

    async def _post(self, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """Send ``body``; the status and at most :data:`MAX_ANSWER` bytes of the answer."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        async with self._session.post(
            self.url, data=body, headers=headers, timeout=self._timeout, allow_redirects=False
        ) as response:
            raw = bytearray()
            async for chunk in response.content.iter_chunked(1 << 16):
                raw += chunk
                if len(raw) > MAX_ANSWER:
                    raise _Malformed("the answer is larger than 1 MiB")
            return response.status, bytes(raw)


def _read_answer(
    action: str, status: int, raw: bytes, read: Callable[[object], _T], hidden: tuple[str, ...]
) -> _T:
    """The result in ``raw``, read by ``read``; a BackendError for anything off contract."""
    try:
        answer = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        answer = None
    if status != 200:
        raise BackendError(_status_summary(action, status, _reason(answer, hidden)))
    if not isinstance(answer, dict) or not isinstance(answer.get("ok"), bool):
        raise BackendError(f"webhook {action}: the answer is not the contract's JSON")
    if not answer["ok"]:
        reason = _reason(answer, hidden) or "no reason given"
        raise BackendError(f"webhook {action} refused: {reason}")
    try:
        result = answer.get("result")
        return read({} if result is None else result)
    except _Malformed as error:
        raise BackendError(f"webhook {action}: malformed result ({error})") from None


def _field(obj: object, key: str, kind: type[_T]) -> _T | None:
    """``obj[key]`` if it is a ``kind``; None if it is missing or null."""
    if not isinstance(obj, dict):
        raise _Malformed(f"expected an object holding {key!r}")
    value = obj.get(key)
    if value is None or isinstance(value, kind):
        return value
    raise _Malformed(f"{key!r} must be {_KINDS.get(kind, kind.__name__)}")


def _need(obj: object, key: str, kind: type[_T]) -> _T:
    """``obj[key]``, which must be a ``kind``."""
    value = _field(obj, key, kind)
    if value is None:
        raise _Malformed(f"{key!r} is missing")
    return value


def _text(obj: object, key: str) -> str:
    """An optional string field: ``""`` when missing or null."""
    return _field(obj, key, str) or ""


_KINDS: dict[type, str] = {str: "a string", bool: "true or false", dict: "an object or null"}


def _present(result: object, key: str) -> dict[str, Any] | None:
    """The object under ``key`` of a result, None for an explicit null; missing is malformed."""
    if isinstance(result, dict) and key not in result:
        raise _Malformed(f"'{key}' is missing")
    found: dict[str, Any] | None = _field(result, key, dict)
    return found


def _account(result: object) -> Account | None:
    found = _present(result, "account")
    if found is None:
        return None
    return Account(
        username=_need(found, "username", str),
        email=_need(found, "email", str),
        display_name=_text(found, "display_name"),
        locked=bool(_field(found, "locked", bool)),
        ref=_text(found, "ref"),
    )


def _subscription(result: object) -> Subscription | None:
    found = _present(result, "subscription")
    if found is None:
        return None
    return Subscription(
        ref=_need(found, "ref", str),
        owner_email=_need(found, "owner_email", str),
        plan=_text(found, "plan"),
        contact_email=_text(found, "contact_email"),
        phone=_text(found, "phone"),
        billing_email=_text(found, "billing_email"),
    )


def _nothing(result: object) -> None:
    if not isinstance(result, dict):
        raise _Malformed("'result' must be an object")


def _jails(result: object) -> list[str]:
    jails: list[object] = _need(result, "jails", list)
    if not all(isinstance(jail, str) for jail in jails):
        raise _Malformed("'jails' must be a list of strings")
    return [str(jail) for jail in jails]


def _reason(answer: object, hidden: tuple[str, ...]) -> str:
    """The receiver's ``error``, on one short line, with anything secret blotted out."""
    reason = answer.get("error") if isinstance(answer, dict) else None
    if not isinstance(reason, str) or not reason.strip():
        return ""
    for secret in hidden:
        if secret:
            reason = reason.replace(secret, "***")
    reason = re.sub(r"\s+", " ", "".join(c if c.isprintable() else " " for c in reason)).strip()
    return reason if len(reason) <= _REASON_LIMIT else reason[: _REASON_LIMIT - 1] + "…"


def _network_failure(error: aiohttp.ClientError) -> str:
    """Why the request got no answer, in words that cannot quote the URL or the body."""
    if isinstance(error, aiohttp.ServerDisconnectedError):
        return "the connection closed without an answer"
    if isinstance(error, aiohttp.ClientSSLError):  # before its base, ClientConnectorError
        return "TLS failed"
    if isinstance(error, aiohttp.ClientConnectorError) and error.os_error.errno:
        return os.strerror(error.os_error.errno).lower()
    return type(error).__name__


def _status_summary(action: str, status: int, reason: str) -> str:
    """What an HTTP status other than 200 means for an operator."""
    if status in (401, 403):
        what = "refused the signature; check GARDA_WEBHOOK_SECRET and both clocks"
    elif 300 <= status < 400:
        what = "redirected (not followed; set GARDA_WEBHOOK_URL to the final address)"
    elif status >= 500:
        what = "failed"
    else:
        what = "answered an unexpected status"
    return f"webhook {action}: the endpoint {what} (HTTP {status}{': ' + reason if reason else ''})"
