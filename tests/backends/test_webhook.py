"""The webhook backend against a local company endpoint that verifies every signature."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from bot.backends.webhook import (
    MAX_ANSWER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookBackend,
    compute_signature,
    verify_signature,
)
from bot.config import Settings
from handlers.backends import (
    Account,
    BackendError,
    Directory,
    Firewall,
    Subscription,
    Subscriptions,
)
from tests.backends.webhook_receiver import SECRET, WebhookReceiver

TEMPORARY = "Tmp-7Qx!r2Lm9"
ANA = Account(username="ana", email="ana@example.com", ref="uid=ana")


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    async with WebhookReceiver() as running:
        yield running


@pytest.fixture
async def backend(receiver: WebhookReceiver) -> AsyncIterator[WebhookBackend]:
    async with WebhookBackend(url=receiver.url, secret=SECRET, timeout=5) as running:
        yield running


def assert_no_secrets(text: str) -> None:
    assert TEMPORARY not in text
    assert SECRET not in text


# Round trips


async def test_find_account(receiver: WebhookReceiver, backend: WebhookBackend) -> None:
    ref = receiver.add_account("budi", "Budi@Example.com", display_name="Budi Śantoso", locked=True)

    found = await backend.find_by_email("budi@example.com")

    assert found == Account(
        username="budi", email="Budi@Example.com", display_name="Budi Śantoso", locked=True, ref=ref
    )
    assert receiver.received[-1].params == {"email": "budi@example.com"}
    assert await backend.find_by_email("nobody@example.com") is None


async def test_reset_password(receiver: WebhookReceiver, backend: WebhookBackend) -> None:
    receiver.add_account("ana", "ana@example.com")

    await backend.reset_password(ANA, TEMPORARY)

    assert receiver.received[-1].action == "reset_password"
    assert receiver.received[-1].params == {
        "ref": "uid=ana",
        "username": "ana",
        "temporary_password": TEMPORARY,
    }
    assert receiver.accounts["uid=ana"]["password"] == TEMPORARY
    assert receiver.accounts["uid=ana"]["must_change"] is True


async def test_unlock(receiver: WebhookReceiver, backend: WebhookBackend) -> None:
    receiver.add_account("ana", "ana@example.com", locked=True)

    assert await backend.unlock(ANA) is True
    assert receiver.accounts["uid=ana"]["locked"] is False
    assert await backend.unlock(ANA) is False
    assert receiver.received[-1].params == {"ref": "uid=ana", "username": "ana"}


async def test_banned_in_and_unban(receiver: WebhookReceiver, backend: WebhookBackend) -> None:
    receiver.ban("203.0.113.7", "sshd", "recidive", "postfix")

    assert await backend.banned_in("203.0.113.7") == ["sshd", "recidive", "postfix"]
    assert await backend.banned_in("2001:db8::1") == []

    await backend.unban("203.0.113.7", ["sshd", "recidive"])

    assert receiver.received[-1].params == {"address": "203.0.113.7", "jails": ["sshd", "recidive"]}
    assert await backend.banned_in("203.0.113.7") == ["postfix"]


async def test_unban_in_no_jails_sends_nothing(
    receiver: WebhookReceiver, backend: WebhookBackend
) -> None:
    await backend.unban("203.0.113.7", [])
    assert receiver.received == []


async def test_find_subscription(receiver: WebhookReceiver, backend: WebhookBackend) -> None:
    receiver.add_subscription(
        "sub-42", "owner@example.com", plan="Bisnis", phone="+62 812-3456-7890"
    )

    found = await backend.find_for("OWNER@example.com")

    assert found == Subscription(
        ref="sub-42", owner_email="owner@example.com", plan="Bisnis", phone="+62 812-3456-7890"
    )
    assert await backend.find_for("stranger@example.com") is None


async def test_update_contact(receiver: WebhookReceiver, backend: WebhookBackend) -> None:
    receiver.add_subscription("sub-42", "owner@example.com")
    subscription = Subscription(ref="sub-42", owner_email="owner@example.com")

    await backend.update_contact(subscription, "billing_email", "keuangan@example.co.id")

    assert receiver.received[-1].params == {
        "ref": "sub-42",
        "field": "billing_email",
        "value": "keuangan@example.co.id",
    }
    assert receiver.subscriptions["sub-42"]["billing_email"] == "keuangan@example.co.id"


async def test_update_contact_refuses_other_fields_before_sending(
    receiver: WebhookReceiver, backend: WebhookBackend
) -> None:
    subscription = Subscription(ref="sub-42", owner_email="owner@example.com")
    with pytest.raises(ValueError, match="owner_email"):
        await backend.update_contact(subscription, "owner_email", "eve@example.com")
    assert receiver.received == []


def test_one_object_is_every_kind_of_backend() -> None:
    backend = WebhookBackend(url="https://hooks.example.com/garda", secret=SECRET)
    directory: Directory = backend
    firewall: Firewall = backend
    subscriptions: Subscriptions = backend
    assert directory.name == firewall.name == subscriptions.name == "webhook"


# The request as the endpoint sees it


async def test_the_request_is_signed_and_enveloped(
    receiver: WebhookReceiver, backend: WebhookBackend
) -> None:
    before = int(time.time())
    await backend.banned_in("203.0.113.7")

    [request] = receiver.received
    assert request.verified
    assert request.headers["Content-Type"] == "application/json"
    timestamp = request.headers[TIMESTAMP_HEADER]
    assert request.headers[SIGNATURE_HEADER] == compute_signature(SECRET, timestamp, request.body)
    assert request.envelope == {
        "action": "banned_in",
        "params": {"address": "203.0.113.7"},
        "request_id": request.envelope["request_id"],
        "sent_at": int(timestamp),
    }
    assert before <= int(timestamp) <= time.time()
    assert uuid.UUID(request.envelope["request_id"]).version == 4


async def test_idempotency_key_is_the_request_id_and_new_each_call(
    receiver: WebhookReceiver, backend: WebhookBackend
) -> None:
    receiver.add_account("ana", "ana@example.com")
    await backend.find_by_email("ana@example.com")
    await backend.unlock(ANA)
    await backend.unlock(ANA)

    keys = [request.headers["Idempotency-Key"] for request in receiver.received]
    assert keys == [request.envelope["request_id"] for request in receiver.received]
    assert len(set(keys)) == 3


async def test_an_endpoint_with_another_secret_refuses(receiver: WebhookReceiver) -> None:
    receiver.add_account("ana", "ana@example.com")
    async with WebhookBackend(url=receiver.url, secret="not-the-shared-secret") as wrong:
        with pytest.raises(BackendError, match=r"refused the signature.*HTTP 401") as caught:
            await wrong.reset_password(ANA, TEMPORARY)
    assert_no_secrets(str(caught.value))
    assert [request.verified for request in receiver.received] == [False]
    assert receiver.accounts["uid=ana"]["password"] is None


@pytest.mark.parametrize("skew", [+400.0, -400.0])
async def test_a_stale_timestamp_is_refused(skew: float) -> None:
    async with (
        WebhookReceiver(clock_skew=skew) as late,
        WebhookBackend(url=late.url, secret=SECRET) as backend,
    ):
        with pytest.raises(BackendError, match="HTTP 401"):
            await backend.banned_in("203.0.113.7")
        assert [request.verified for request in late.received] == [False]


# Failures: each one a BackendError that leaks neither the password nor the secret


def big_answer(receiver: WebhookReceiver) -> None:
    receiver.answer_raw(b'{"ok": true, "result": {}, "pad": "' + b"x" * MAX_ANSWER + b'"}')


FAILURES: dict[str, tuple[Callable[[WebhookReceiver], None], str]] = {
    "500": (lambda r: r.fail(500), r"failed \(HTTP 500"),
    "503 with a reason": (
        lambda r: r.answer_raw(b'{"ok": false, "error": "maintenance"}', status=503),
        r"failed \(HTTP 503: maintenance\)",
    ),
    "404": (lambda r: r.fail(404, "Not Found"), r"unexpected status \(HTTP 404"),
    "redirect": (
        lambda r: r.answer_raw(b"", status=302, Location="https://elsewhere.example/"),
        r"redirected",
    ),
    "ok false echoing the password": (
        lambda r: r.refuse(f"password {TEMPORARY} is too weak\nsecret={SECRET}"),
        r"reset_password refused: password \*\*\* is too weak secret=\*\*\*",
    ),
    "ok false without a reason": (
        lambda r: r.answer_raw(b'{"ok": false}'),
        "refused: no reason given$",
    ),
    "not JSON": (lambda r: r.answer_raw(b"<html>oops</html>"), "not the contract's JSON"),
    "not an object": (lambda r: r.answer_raw(b"[1, 2]"), "not the contract's JSON"),
    "ok not a boolean": (lambda r: r.answer_raw(b'{"ok": "yes"}'), "not the contract's JSON"),
    "result not an object": (
        lambda r: r.answer_raw(b'{"ok": true, "result": "done"}'),
        r"malformed result \('result' must be an object\)",
    ),
    "too large": (big_answer, "larger than 1 MiB"),
}


@pytest.mark.parametrize("failure", list(FAILURES))
async def test_failures_are_backend_errors_without_secrets(
    receiver: WebhookReceiver,
    backend: WebhookBackend,
    caplog: pytest.LogCaptureFixture,
    failure: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    receiver.add_account("ana", "ana@example.com")
    misbehave, expected = FAILURES[failure]
    misbehave(receiver)

    with pytest.raises(BackendError, match=expected) as caught:
        await backend.reset_password(ANA, TEMPORARY)

    assert str(caught.value).startswith("webhook reset_password")
    assert_no_secrets(str(caught.value))
    assert caplog.records  # the DEBUG trail was captured, and it is clean
    for record in caplog.records:
        assert_no_secrets(record.getMessage())
        assert_no_secrets(str(record.exc_text or ""))


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (b'{"ok": true, "result": {}}', "'account' is missing"),
        (b'{"ok": true, "result": {"account": {"email": "a@x"}}}', "'username' is missing"),
        (b'{"ok": true, "result": {"account": "ana"}}', "'account' must be an object or null"),
        (
            b'{"ok": true, "result": {"account": {"username": "ana", "email": "a@x", '
            b'"locked": "no"}}}',
            "'locked' must be true or false",
        ),
    ],
)
async def test_a_result_off_contract_is_a_backend_error(
    receiver: WebhookReceiver, backend: WebhookBackend, answer: bytes, expected: str
) -> None:
    receiver.answer_raw(answer)
    with pytest.raises(BackendError, match=f"find_account: malformed result.*{expected}"):
        await backend.find_by_email("ana@example.com")


async def test_jails_must_be_strings(receiver: WebhookReceiver, backend: WebhookBackend) -> None:
    receiver.answer_raw(b'{"ok": true, "result": {"jails": ["sshd", 7]}}')
    with pytest.raises(BackendError, match="'jails' must be a list of strings"):
        await backend.banned_in("203.0.113.7")


async def test_an_endpoint_that_hangs_times_out(
    receiver: WebhookReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    receiver.add_account("ana", "ana@example.com")
    receiver.hang()
    async with WebhookBackend(url=receiver.url, secret=SECRET, timeout=0.5) as backend:
        # The outer bound only proves the backend gives up by itself.
        async with asyncio.timeout(10):
            with pytest.raises(BackendError, match=r"no answer within 0.5 s") as caught:
                await backend.reset_password(ANA, TEMPORARY)
    assert_no_secrets(str(caught.value))
    for record in caplog.records:
        assert_no_secrets(record.getMessage())


async def test_an_endpoint_that_is_down() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with WebhookBackend(url=f"http://127.0.0.1:{port}/garda", secret=SECRET) as backend:
        with pytest.raises(
            BackendError, match=r"cannot reach 127\.0\.0\.1 \(connection refused\)"
        ) as e:
            await backend.reset_password(ANA, TEMPORARY)
    assert_no_secrets(str(e.value))


async def test_the_backend_recovers_when_the_endpoint_does(
    receiver: WebhookReceiver, backend: WebhookBackend
) -> None:
    receiver.fail(502)
    with pytest.raises(BackendError):
        await backend.banned_in("203.0.113.7")
    receiver.behave()
    assert await backend.banned_in("203.0.113.7") == []


# Sessions and settings


async def test_a_session_passed_in_stays_open(receiver: WebhookReceiver) -> None:
    async with aiohttp.ClientSession() as session:
        backend = WebhookBackend(url=receiver.url, secret=SECRET, session=session)
        assert await backend.banned_in("203.0.113.7") == []
        await backend.close()
        assert not session.closed
        assert await backend.banned_in("203.0.113.7") == []


async def test_close_then_use_again_opens_a_new_session(
    receiver: WebhookReceiver, backend: WebhookBackend
) -> None:
    await backend.banned_in("203.0.113.7")
    await backend.close()
    await backend.banned_in("203.0.113.7")
    assert len(receiver.received) == 2


def test_from_settings() -> None:
    settings = Settings(
        _env_file=None,
        GARDA_WEBHOOK_URL="https://hooks.example.com/garda",
        GARDA_WEBHOOK_SECRET=SECRET,
        GARDA_BACKEND_TIMEOUT=4,
    )
    backend = WebhookBackend.from_settings(settings)
    assert backend.url == "https://hooks.example.com/garda"
    assert SECRET not in repr(backend)


@pytest.mark.parametrize(
    ("values", "missing"),
    [
        ({"GARDA_WEBHOOK_SECRET": SECRET}, "GARDA_WEBHOOK_URL"),
        ({"GARDA_WEBHOOK_URL": "https://hooks.example.com/garda"}, "GARDA_WEBHOOK_SECRET"),
    ],
)
def test_from_settings_names_what_is_missing(values: dict[str, Any], missing: str) -> None:
    with pytest.raises(ValueError, match=missing):
        WebhookBackend.from_settings(Settings(_env_file=None, **values))


def test_a_url_that_is_not_http_is_refused() -> None:
    with pytest.raises(ValueError, match="https://"):
        WebhookBackend(url="ftp://hooks.example.com", secret=SECRET)


# verify_signature, for receivers written in Python

BODY = b'{"action":"unlock","params":{"ref":"uid=ana","username":"ana"}}'
NOW = 1_718_000_000


def signed(timestamp: int = NOW, body: bytes = BODY, secret: str = SECRET) -> str:
    return compute_signature(secret, timestamp, body)


@pytest.mark.parametrize(
    ("check", "expected"),
    [
        (lambda: verify_signature(SECRET, NOW, BODY, signed(), now=NOW), True),
        (lambda: verify_signature(SECRET, str(NOW), BODY, signed(), now=NOW + 299), True),
        (lambda: verify_signature(SECRET.encode(), NOW, BODY, signed(), now=NOW), True),
        (lambda: verify_signature(SECRET, NOW, BODY + b" ", signed(), now=NOW), False),
        (lambda: verify_signature(SECRET, NOW, BODY, signed(secret="other"), now=NOW), False),
        (lambda: verify_signature(SECRET, NOW + 1, BODY, signed(), now=NOW), False),
        (lambda: verify_signature(SECRET, NOW, BODY, signed(), now=NOW + 301), False),
        (lambda: verify_signature(SECRET, NOW, BODY, signed(), now=NOW - 301), False),
        (lambda: verify_signature(SECRET, NOW, BODY, signed(), now=NOW + 30, tolerance=10), False),
        (lambda: verify_signature(SECRET, "", BODY, signed(), now=NOW), False),
        (lambda: verify_signature(SECRET, "17e8", BODY, signed(), now=NOW), False),
        (lambda: verify_signature(SECRET, NOW, BODY, signed()[len("sha256=") :], now=NOW), False),
        (lambda: verify_signature(SECRET, NOW, BODY, "sha256=ünïcode", now=NOW), False),
    ],
)
def test_verify_signature(check: Callable[[], bool], expected: bool) -> None:
    assert check() is expected


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    digest = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert signed() == f"sha256={digest}"
