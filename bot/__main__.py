"""``python -m bot`` is the ``garda`` command."""

from bot.cli import app

app(prog_name="garda")
