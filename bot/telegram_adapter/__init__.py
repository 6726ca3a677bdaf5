"""The parts of Garda's Telegram adapter; :mod:`bot.telegram` is the public module."""
