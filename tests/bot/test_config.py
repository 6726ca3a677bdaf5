"""Settings are read from the environment and refuse unsafe or malformed values."""

from __future__ import annotations

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
