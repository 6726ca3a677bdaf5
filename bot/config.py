"""Garda's settings: read once from the environment (and ``.env``), validated at start."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from handlers.desk import Desk, parse_address, parse_topic_channels
from handlers.priority import parse_matrix
from handlers.rails import Rails, parse_limits, parse_networks
from handlers.sla import Calendar, SlaPolicy, parse_holidays, parse_hours, parse_targets

_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
PLATFORMS = ("slack", "telegram", "console")
Backend = Literal["builtin", "ldap", "fail2ban", "webhook"]
UserKeys = Annotated[tuple[str, ...], NoDecode]
# Settings written in a small language, by field: the parser that reads (and checks) each.
PARSED: dict[str, Callable[[str], object]] = {
    "limits": parse_limits,
    "protected_ips": parse_networks,
    "escalate_topics": parse_topic_channels,
    "priority_matrix": parse_matrix,
    "sla": parse_targets,
    "business_hours": parse_hours,
    "holidays": parse_holidays,
}

# GARDA_KB_EDITORS: who edits the knowledge base besides admins, as the lowest agent tier.
KB_EDITOR_TIERS: dict[str, int | None] = {"admins": None, "l3": 3, "l2": 2}


class Settings(BaseSettings):
    """Every setting Garda reads; names are the environment variables in DESIGN.md."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field(default="sqlite+aiosqlite:///./garda.db", alias="GARDA_DATABASE_URL")
    slack_bot_token: SecretStr | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    telegram_bot_token: SecretStr | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_webhook_secret: SecretStr | None = Field(default=None, alias="TELEGRAM_WEBHOOK_SECRET")
    slack_api_url: str = Field(default="https://slack.com/api/", alias="GARDA_SLACK_API_URL")
    telegram_api_url: str = Field(
        default="https://api.telegram.org", alias="GARDA_TELEGRAM_API_URL"
    )
    public_url: str | None = Field(default=None, alias="GARDA_PUBLIC_URL")  # for setWebhook
    port: int = Field(default=8000, alias="PORT", ge=1, le=65535)
    admins: UserKeys = Field(default=(), alias="GARDA_ADMINS")
    agents_l1: UserKeys = Field(default=(), alias="GARDA_AGENTS_L1")
    agents_l2: UserKeys = Field(default=(), alias="GARDA_AGENTS_L2")
    agents_l3: UserKeys = Field(default=(), alias="GARDA_AGENTS_L3")
    kb_editors: str = Field(default="admins", alias="GARDA_KB_EDITORS")  # admins | l3 | l2
    escalate_l2: str | None = Field(default=None, alias="GARDA_ESCALATE_L2")
    escalate_l3: str | None = Field(default=None, alias="GARDA_ESCALATE_L3")
    escalate_topics: str = Field(default="", alias="GARDA_ESCALATE_TOPICS")  # vpn=slack:C9,…
    # tickets: priority and SLA clocks
    priority_matrix: str = Field(default="", alias="GARDA_PRIORITY_MATRIX")  # high/low=P2,…
    sla: str = Field(default="", alias="GARDA_SLA")  # P1=15m/4h,… (acknowledge/resolve)
    business_hours: str = Field(default="", alias="GARDA_BUSINESS_HOURS")  # mon-fri 09:00-17:00
    holidays: str = Field(default="", alias="GARDA_HOLIDAYS")  # 2026-12-25,2027-01-01
    timezone: str = Field(default="UTC", alias="GARDA_TIMEZONE")
    sla_always: str = Field(default="P1", alias="GARDA_SLA_ALWAYS")  # run around the clock
    close_after_days: int = Field(default=3, ge=1, le=365, alias="GARDA_CLOSE_AFTER_DAYS")
    directory: Backend = Field(default="builtin", alias="GARDA_DIRECTORY")
    firewall: Backend = Field(default="builtin", alias="GARDA_FIREWALL")
    subscriptions: Literal["builtin", "webhook"] = Field(
        default="builtin", alias="GARDA_SUBSCRIPTIONS"
    )
    backend_timeout: float = Field(default=10.0, gt=0, le=120, alias="GARDA_BACKEND_TIMEOUT")
    # safety rails of self-service
    limits: str = Field(default="", alias="GARDA_LIMITS")  # password_reset=3/day,ip_unblock=...
    cooldown: int = Field(default=60, ge=0, le=86400, alias="GARDA_COOLDOWN")  # seconds
    protected_ips: str = Field(default="", alias="GARDA_PROTECTED_IPS")  # addresses and ranges
    code_minutes: int = Field(default=10, ge=1, le=1440, alias="GARDA_CODE_MINUTES")
    secret_minutes: int = Field(default=10, ge=1, le=1440, alias="GARDA_SECRET_MINUTES")
    # LDAP directory (GARDA_DIRECTORY=ldap)
    ldap_url: str | None = Field(default=None, alias="GARDA_LDAP_URL")
    ldap_bind_dn: str | None = Field(default=None, alias="GARDA_LDAP_BIND_DN")
    ldap_bind_password: SecretStr | None = Field(default=None, alias="GARDA_LDAP_BIND_PASSWORD")
    ldap_base_dn: str | None = Field(default=None, alias="GARDA_LDAP_BASE_DN")
    ldap_flavour: Literal["openldap", "ad", "freeipa"] = Field(
        default="openldap", alias="GARDA_LDAP_FLAVOUR"
    )
    # fail2ban firewall (GARDA_FIREWALL=fail2ban)
    fail2ban_client: str = Field(default="fail2ban-client", alias="GARDA_FAIL2BAN_CLIENT")
    fail2ban_socket: str | None = Field(default=None, alias="GARDA_FAIL2BAN_SOCKET")
    # webhook backend (any of GARDA_DIRECTORY / GARDA_FIREWALL / GARDA_SUBSCRIPTIONS=webhook)
    webhook_url: str | None = Field(default=None, alias="GARDA_WEBHOOK_URL")
    webhook_secret: SecretStr | None = Field(default=None, alias="GARDA_WEBHOOK_SECRET")
    # mail, for the codes that verify Telegram and console users
    smtp_host: str | None = Field(default=None, alias="GARDA_SMTP_HOST")
    smtp_port: int = Field(default=587, ge=1, le=65535, alias="GARDA_SMTP_PORT")
    smtp_user: str | None = Field(default=None, alias="GARDA_SMTP_USER")
    smtp_password: SecretStr | None = Field(default=None, alias="GARDA_SMTP_PASSWORD")
    smtp_from: str = Field(default="garda@localhost", alias="GARDA_SMTP_FROM")
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        default="starttls", alias="GARDA_SMTP_SECURITY"
    )

    @field_validator("admins", "agents_l1", "agents_l2", "agents_l3", mode="before")
    @classmethod
    def _split_user_keys(cls, value: object) -> object:
        """``"slack:U1, telegram:42"`` -> ``("slack:U1", "telegram:42")``, each checked."""
        if isinstance(value, str):
            value = tuple(part.strip() for part in value.split(",") if part.strip())
        for key in value if isinstance(value, tuple | list) else ():
            platform, _, user = str(key).partition(":")
            if not platform or not user:
                raise ValueError(f"{key!r} is not a user key like slack:U123 or telegram:42")
        return value

    @field_validator("kb_editors", mode="before")
    @classmethod
    def _check_kb_editors(cls, value: object) -> object:
        text = value.strip().lower() if isinstance(value, str) else value
        if text not in KB_EDITOR_TIERS:
            raise ValueError(
                f"{value!r}: say who may edit the knowledge base: admins (the default), "
                "l3 (admins and Level 3 agents) or l2 (admins and Level 2 and 3 agents)"
            )
        return text

    @field_validator("escalate_l2", "escalate_l3")
    @classmethod
    def _check_address(cls, value: str | None) -> str | None:
        if value is not None:
            address = parse_address(value)  # raises ValueError with the reason
            if address.platform not in PLATFORMS:
                raise ValueError(f"{value!r}: the platform must be one of {', '.join(PLATFORMS)}")
        return value

    @field_validator("slack_api_url", "telegram_api_url", "public_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _check_webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _WEBHOOK_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError(
                "use 1 to 256 characters from A-Z, a-z, 0-9, _ and - (Telegram's rule)"
            )
        return value

    @property
    def slack_enabled(self) -> bool:
        """Slack is on when its bot token is set (Socket Mode or HTTP needs one more secret)."""
        return self.slack_bot_token is not None

    @property
    def telegram_enabled(self) -> bool:
        """Telegram is on when its bot token is set."""
        return self.telegram_bot_token is not None

    def rails(self) -> Rails:
        """The self-service safety rails these settings describe."""
        return Rails(
            limits=parse_limits(self.limits),
            cooldown=timedelta(seconds=self.cooldown),
            protected=parse_networks(self.protected_ips),
            code_lifetime=timedelta(minutes=self.code_minutes),
            secret_lifetime=timedelta(minutes=self.secret_minutes),
            timeout=self.backend_timeout,
        )

    @field_validator(*PARSED)
    @classmethod
    def _parses(cls, value: str, info: ValidationInfo) -> str:
        """A setting with its own little language: its parser says what is wrong."""
        assert info.field_name is not None
        PARSED[info.field_name](value)
        return value

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone name like Asia/Jakarta") from None
        return value

    @field_validator("sla_always")
    @classmethod
    def _check_always(cls, value: str) -> str:
        for rank in _words(value):
            if rank not in ("P1", "P2", "P3", "P4"):
                raise ValueError(f"{rank!r} is not a priority (P1-P4)")
        return value

    def desk(self) -> Desk:
        """The support desk these settings describe: channels, people, priorities, clocks."""
        channels = {
            tier: parse_address(value)
            for tier, value in ((2, self.escalate_l2), (3, self.escalate_l3))
            if value
        }
        agents: dict[str, int] = {}
        for tier, keys in ((1, self.agents_l1), (2, self.agents_l2), (3, self.agents_l3)):
            agents.update(dict.fromkeys(keys, tier))  # a key listed twice keeps its highest tier
        calendar = Calendar(
            hours=parse_hours(self.business_hours),
            holidays=parse_holidays(self.holidays),
            zone=ZoneInfo(self.timezone),
        )
        policy = SlaPolicy(
            targets=parse_targets(self.sla),
            calendar=calendar,
            around_the_clock=frozenset(_words(self.sla_always)),
        )
        return Desk(
            channels,
            agents=agents,
            admins=frozenset(self.admins),
            topics=parse_topic_channels(self.escalate_topics),
            sla=policy,
            close_after=timedelta(days=self.close_after_days),
            matrix=parse_matrix(self.priority_matrix),
            kb_editor_tier=KB_EDITOR_TIERS[self.kb_editors],
        )

    @field_validator("database_url")
    @classmethod
    def _check_database(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite:", "postgresql+asyncpg:")):
            raise ValueError("use sqlite+aiosqlite:///path.db or postgresql+asyncpg://user@host/db")
        return value


def _words(text: str) -> list[str]:
    return [word.strip().upper() for word in text.split(",") if word.strip()]
