"""Prometheus figures for ``/metrics``: messages, decisions, actions, tickets, latency."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest

# Seconds from a message's arrival to its replies being delivered; chat users notice > 1 s.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """One registry per running Garda (tests run several side by side)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.messages = Counter(
            "garda_messages", "Messages handled.", ["platform"], registry=self.registry
        )
        self.decisions = Counter(
            "garda_decisions",
            "What Level I decided for a description (answer, clarify, escalate or small talk).",
            ["decision"],
            registry=self.registry,
        )
        self.tickets = Counter(
            "garda_tickets", "Tickets opened.", ["priority"], registry=self.registry
        )
        self.actions = Counter(
            "garda_actions",
            "Self-service actions run, by outcome.",
            ["action", "outcome"],
            registry=self.registry,
        )
        self.outbox = Counter(
            "garda_outbox_messages",
            "Outbox sends by purpose (packet, edit, notice) and outcome (sent, failed,"
            " deferred behind their packet, dropped: an edit with no packet).",
            ["purpose", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "garda_message_seconds",
            "Time to handle a message and deliver the replies.",
            ["platform"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def observe(self, kind: str, value: str) -> None:
        """The dispatcher's observer: count what the conversation logic reports."""
        if kind == "decision":
            self.decisions.labels(value).inc()
        elif kind == "ticket":
            self.tickets.labels(value).inc()
        elif kind == "action":  # "password_reset:done"
            action, _, outcome = value.partition(":")
            self.actions.labels(action, outcome or "done").inc()

    def message_handled(self, platform: str, seconds: float) -> None:
        """Count one message and how long it took."""
        self.messages.labels(platform).inc()
        self.latency.labels(platform).observe(seconds)

    def outbox_message(self, purpose: str, outcome: str) -> None:
        """Count one outbox send and how it ended."""
        self.outbox.labels(purpose, outcome).inc()

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
