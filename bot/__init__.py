"""The platform edge: adapters (console, Slack, Telegram), configuration, CLI and web app."""
