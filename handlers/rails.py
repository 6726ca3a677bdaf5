"""The safety rails of self-service: limits, cool-downs, which addresses may be unblocked,
and how long codes and secrets live."""

from __future__ import annotations

import ipaddress
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from handlers.text import EMAIL

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
WINDOWS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}


@dataclass(frozen=True)
class Limit:
    """At most ``count`` attempts per ``window`` for one person and one action."""

    count: int
    window: timedelta


DEFAULT_LIMITS: Mapping[str, Limit] = {
    "username_reminder": Limit(5, WINDOWS["day"]),
    "password_reset": Limit(3, WINDOWS["day"]),
    "account_unlock": Limit(3, WINDOWS["day"]),
    "ip_unblock": Limit(3, WINDOWS["day"]),
    "subscription_update": Limit(3, WINDOWS["day"]),
}


@dataclass(frozen=True)
class Rails:
    """Configured limits (see the README's GARDA_LIMITS and friends)."""

    limits: Mapping[str, Limit] = field(default_factory=lambda: dict(DEFAULT_LIMITS))
    cooldown: timedelta = timedelta(minutes=1)  # between two attempts of the same action
    protected: tuple[IPNetwork, ...] = ()  # never unblocked, whatever bans them
    code_lifetime: timedelta = timedelta(minutes=10)
    code_attempts: int = 3
    secret_lifetime: timedelta = timedelta(minutes=10)  # temporary passwords, where deletable
    timeout: float = 10.0  # seconds a backend may take


def parse_limits(text: str) -> dict[str, Limit]:
    """``"password_reset=3/day, ip_unblock=10/hour"`` over the defaults."""
    limits = dict(DEFAULT_LIMITS)
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        match = re.fullmatch(r"([a-z_]+)\s*=\s*(\d+)\s*/\s*(minute|hour|day)", part)
        if match is None or match[1] not in DEFAULT_LIMITS:
            raise ValueError(
                f"{part!r}: write action=count/minute|hour|day, e.g. password_reset=3/day"
            )
        limits[match[1]] = Limit(int(match[2]), WINDOWS[match[3]])
    return limits


def parse_networks(text: str) -> tuple[IPNetwork, ...]:
    """``"203.0.113.7, 198.51.100.0/24"``: addresses and ranges never to unblock."""
    return tuple(
        ipaddress.ip_network(piece.strip(), strict=False)
        for piece in text.split(",")
        if piece.strip()
    )


def unblockable(text: str, protected: tuple[IPNetwork, ...]) -> tuple[str | None, str]:
    """The address in normal form and ``""``, or None and why not (a catalogue key suffix).

    Only one public address: never a range, never private, loopback, link-local, reserved,
    multicast or unspecified space, never a protected entry.
    """
    value = text.strip()
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None, "range" if _is_range(value) else "invalid"
    if not address.is_global or address.is_multicast:
        return None, "not_public"
    if any(address in network for network in protected):
        return None, "protected"
    return str(address), ""


def _is_range(value: str) -> bool:
    """``10.0.0.0/8``, ``1.2.3.4-1.2.3.9`` or ``1.2.3.*``: several addresses at once."""
    if "*" in value:
        return True
    first, dash, last = value.partition("-")
    if dash:
        return all(_is_address(part.strip()) for part in (first, last))
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


# Symbols that make a password; "-", "_" and "." are left out: they join names and asset
# tags ("laptop-42", "PC_0042") far more often.
_SYMBOLS = "".join(ch for ch in string.punctuation if ch not in "-_.")
_CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits, _SYMBOLS)


def looks_like_password(text: str) -> bool:
    """A lone token that mixes letters, digits and symbols like a password does.

    Errs towards warning: "Summer2024!" and "hunter2!X" are caught; an email address, an IP,
    an error code such as 0x80070005 or a plain word are not.
    """
    token = text.strip()
    if not 8 <= len(token) <= 64 or any(ch.isspace() for ch in token):
        return False
    if EMAIL.match(token) or "://" in token or re.fullmatch(r"[0-9a-fA-Fx.:]+", token):
        return False
    kinds = sum(any(ch in chars for ch in token) for chars in _CLASSES)
    has_letter_and_digit = any(ch.isalpha() for ch in token) and any(ch.isdigit() for ch in token)
    return kinds >= 3 and has_letter_and_digit
