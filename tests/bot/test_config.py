"""Settings are read from the environment and refuse unsafe or malformed values."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from bot.config import Settings


def test_defaults_are_the_embedded_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GARDA_DATABASE_URL", raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url == "sqlite+aiosqlite:///./garda.db"
    assert settings.directory == "builtin" and settings.admins == ()


def test_user_keys_are_split_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GARDA_ADMINS", "slack:U1, telegram:42")
    assert Settings(_env_file=None).admins == ("slack:U1", "telegram:42")  # type: ignore[call-arg]
    monkeypatch.setenv("GARDA_ADMINS", "U1")
    with pytest.raises(ValidationError, match="not a user key"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_unknown_backend_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GARDA_DIRECTORY", "carrier-pigeon")
    with pytest.raises(ValidationError):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_secrets_never_show_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert "xoxb-very-secret" not in repr(settings)
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-very-secret"


def test_escalation_address_must_name_a_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GARDA_ESCALATE_L2", "C0123")
    with pytest.raises(ValidationError, match="address"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_escalation_address_on_an_unknown_platform_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GARDA_ESCALATE_L3", "teams:19abc")
    with pytest.raises(ValidationError, match="platform must be one of"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_a_forum_topic_is_a_valid_support_channel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GARDA_ESCALATE_L2", "telegram:-1001234/7")
    assert Settings(_env_file=None).escalate_l2 == "telegram:-1001234/7"  # type: ignore[call-arg]


@pytest.mark.parametrize("secret", ["has space", "x" * 257, "ünïcode"])
def test_a_webhook_secret_telegram_would_refuse_is_caught_at_start(
    monkeypatch: pytest.MonkeyPatch, secret: str
) -> None:
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", secret)
    with pytest.raises(ValidationError, match="Telegram's rule") as error:
        Settings(_env_file=None)  # type: ignore[call-arg]
    # What `garda` prints at start (each problem's message) never echoes the secret.
    assert all(secret not in problem["msg"] for problem in error.value.errors())


@pytest.mark.parametrize("name", ["GARDA_SLACK_API_URL", "GARDA_TELEGRAM_API_URL"])
def test_api_base_urls_must_be_http(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv(name, "slack.example.gov/api")
    with pytest.raises(ValidationError, match="http"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_the_desk_comes_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "GARDA_ESCALATE_L2": "slack:C0L2",
        "GARDA_ESCALATE_TOPICS": "server_down=telegram:-100123/4, 3/vpn=slack:C0VPN",
        "GARDA_AGENTS_L2": "slack:UBUDI",
        "GARDA_AGENTS_L3": "slack:USARI,slack:UBUDI",
        "GARDA_SLA": "P1=10m/2h",
        "GARDA_BUSINESS_HOURS": "mon-fri 08:00-16:00",
        "GARDA_HOLIDAYS": "2026-12-25",
        "GARDA_TIMEZONE": "Asia/Jakarta",
        "GARDA_PRIORITY_MATRIX": "low/high=P2",
        "GARDA_CLOSE_AFTER_DAYS": "5",
    }.items():
        monkeypatch.setenv(name, value)
    desk = Settings(_env_file=None).desk()  # type: ignore[call-arg]
    assert str(desk.channel_for(2, "server_down")) == "telegram:-100123/4"
    assert str(desk.channel_for(2, "vpn")) == "slack:C0L2"
    assert str(desk.channel_for(3, "vpn")) == "slack:C0VPN"
    assert desk.tier_of("slack:UBUDI") == 3 and desk.tier_of("slack:UANA") == 0
    assert desk.sla.targets_for("P1").acknowledge == timedelta(minutes=10)
    assert desk.sla.targets_for("P3").resolve == timedelta(hours=24)  # the default stays
    assert not desk.sla.calendar.always and desk.sla.calendar_for("P1").always
    assert desk.priority("low", "high") == "P2" and desk.priority("high", "high") == "P1"
    assert desk.close_after == timedelta(days=5)


@pytest.mark.parametrize(
    ("name", "value", "complaint"),
    [
        ("GARDA_SLA", "P5=1h/2h", "P5"),
        ("GARDA_SLA", "P1=4h/1h", "P1"),
        ("GARDA_BUSINESS_HOURS", "weekdays 9-5", "weekdays"),
        ("GARDA_HOLIDAYS", "25/12/2026", "25/12/2026"),
        ("GARDA_TIMEZONE", "Mars/Olympus", "time zone"),
        ("GARDA_PRIORITY_MATRIX", "huge/high=P1", "impact/urgency"),
        ("GARDA_ESCALATE_TOPICS", "vpn", "topic=address"),
        ("GARDA_SLA_ALWAYS", "P9", "P9"),
    ],
)
def test_desk_settings_are_checked(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, complaint: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=complaint):
        Settings(_env_file=None)  # type: ignore[call-arg]
