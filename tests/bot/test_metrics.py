"""What /metrics counts, read back in Prometheus's text format."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from bot.app import Garda
from handlers.messages import Address, IncomingMessage


def samples(garda: Garda) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    body, content_type = garda.metrics.render()
    assert content_type.startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def said(text: str = "", **extra: object) -> IncomingMessage:
    return IncomingMessage(
        "console",
        "ana",
        text,
        origin=Address("console", "ana"),
        **extra,  # type: ignore[arg-type]
    )


async def test_messages_decisions_tickets_and_latency_are_counted(garda: Garda) -> None:
    for message in (
        said("I forgot my password"),
        said("/cancel"),
        said("qwertyuiop zxcvbnm"),
        said(choice="impact:high"),
        said(choice="urgency:high"),
    ):
        await garda.receive(message)  # no console sender: the replies are logged, not lost

    found = samples(garda)
    assert found[("garda_messages_total", (("platform", "console"),))] == 5
    assert found[("garda_decisions_total", (("decision", "answer"),))] == 1
    assert found[("garda_decisions_total", (("decision", "escalate"),))] == 1
    assert found[("garda_tickets_total", (("priority", "P1"),))] == 1
    assert found[("garda_message_seconds_count", (("platform", "console"),))] == 5
