"""The Slack adapter: Socket Mode or the HTTP Events API in, Block Kit replies out."""

from bot.slack.adapter import COMMAND, SlackAdapter, SlackConfigurationError
from bot.slack.sender import PLATFORM, ChannelPacer, SlackSender
from bot.slack.text import escape, plain

__all__ = [
    "COMMAND",
    "PLATFORM",
    "ChannelPacer",
    "SlackAdapter",
    "SlackConfigurationError",
    "SlackSender",
    "escape",
    "plain",
]
