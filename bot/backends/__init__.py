"""Backends for self-service actions (see :mod:`handlers.backends` for the protocols)."""
