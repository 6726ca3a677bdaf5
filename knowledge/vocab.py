"""The fixed vocabularies article files may use: languages, topics, actions and facts."""

from typing import Final

LANGUAGES: Final = ("en", "id")

TOPICS: Final = frozenset(
    {
        "password_reset", "account_locked", "username_reminder", "ip_blocked", "mfa", "vpn",
        "wifi", "network_drive", "email", "printer", "software_install", "software_problem",
        "hardware_problem", "hardware_request", "slow_computer", "disk_full", "browser",
        "website_down", "server_down", "dns", "ssl_certificate", "hosting_panel",
        "subscription", "access_request", "phone", "other",
    }
)  # fmt: skip

ACTIONS: Final = frozenset(
    {"username_reminder", "password_reset", "account_unlock", "ip_unblock", "subscription_update"}
)

# Facts Level I may collect before acting or escalating; each has a question in the catalogue.
FACTS: Final = (
    "email", "username", "device", "location", "ip_address", "error_message", "software",
    "website", "printer", "phone_number",
)  # fmt: skip

TIERS: Final = (1, 2, 3)
