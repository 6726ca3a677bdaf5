"""The rails one rule at a time: addresses, password-looking text, limits."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers.rails import Limit, looks_like_password, parse_limits, parse_networks, unblockable

PROTECTED = parse_networks("151.101.0.0/16, 8.8.8.8")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("93.184.216.34", ("93.184.216.34", "")),
        (" 2606:2800:220:1::248 ", ("2606:2800:220:1::248", "")),
        ("93.184.216.0/24", (None, "range")),
        ("93.184.216.1-93.184.216.9", (None, "range")),
        ("93.184.216.*", (None, "range")),
        ("10.0.0.1", (None, "not_public")),
        ("192.168.1.20", (None, "not_public")),
        ("127.0.0.1", (None, "not_public")),
        ("::1", (None, "not_public")),
        ("0.0.0.0", (None, "not_public")),
        ("169.254.10.1", (None, "not_public")),
        ("fe80::1", (None, "not_public")),
        ("224.0.0.1", (None, "not_public")),
        ("203.0.113.25", (None, "not_public")),  # documentation space is reserved
        ("8.8.8.8", (None, "protected")),
        ("151.101.1.69", (None, "protected")),
        ("my laptop", (None, "invalid")),
        ("", (None, "invalid")),
    ],
)
def test_only_one_public_unprotected_address_may_be_unblocked(
    typed: str, expected: tuple[str | None, str]
) -> None:
    assert unblockable(typed, PROTECTED) == expected


@pytest.mark.parametrize("text", ["Summer2024!", "hunter2!X", "P@ssw0rd123", "xK9#mQ2$vL"])
def test_password_like_text_is_caught(text: str) -> None:
    assert looks_like_password(text)


@pytest.mark.parametrize(
    "text",
    [
        "my printer is broken",
        "ana@example.com",
        "93.184.216.34",
        "0x80070005",
        "Error 49.4C02",
        "password",
        "123456",
        "https://intranet.example.com/login",
        "laptop-42",
    ],
)
def test_ordinary_answers_are_not_taken_for_passwords(text: str) -> None:
    assert not looks_like_password(text)


def test_limits_override_the_defaults() -> None:
    limits = parse_limits("password_reset=5/hour, ip_unblock = 1/day")
    assert limits["password_reset"] == Limit(5, timedelta(hours=1))
    assert limits["ip_unblock"] == Limit(1, timedelta(days=1))
    assert limits["account_unlock"] == Limit(3, timedelta(days=1))


@pytest.mark.parametrize("text", ["password_reset=3", "reboot=1/day", "ip_unblock=x/day"])
def test_a_wrong_limit_is_refused_with_the_format(text: str) -> None:
    with pytest.raises(ValueError, match="action=count"):
        parse_limits(text)
