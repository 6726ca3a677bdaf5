"""How each support figure is counted, in words: printed with the report and in its page.

Keep these in step with the code of :mod:`models.analytics` and with the README.
"""

from __future__ import annotations

FORMULAS: tuple[tuple[str, str], ...] = (
    (
        "Period",
        "The N days ending now (--days, default 30), start ≤ t < end, in UTC. Support "
        "conversations count by when they ended, self-service attempts by when they ran, "
        "tickets by when they were opened (each followed through its events up to the end).",
    ),
    (
        "Deflection rate",
        "(conversations that ended solved or fixed - those whose requester came back) ÷ all "
        "conversations. Came back: the same person started a new conversation on the same "
        "topic after this one ended, at most 7 days after. A conversation that ended less than "
        "7 days ago can still lose its deflection.",
    ),
    (
        "Self-service success",
        "Per action: done ÷ attempts that ran (done + nothing + not_found + failed). refused, "
        "limited and cancelled attempts stopped before the backend was asked: shown apart, "
        "not in the rate.",
    ),
    (
        "Time to first response",
        "Per tier a ticket reached and its priority: from entering the tier (opening, at its "
        "first tier; the escalated event, at the next) to the first claimed, asked, replied "
        "or resolved event there by someone other than the requester and Garda. Median (mean "
        "of the two middle values for an even count) and 90th percentile (nearest rank); "
        "tickets not answered yet are counted apart as waiting.",
    ),
    (
        "Time to resolution",
        "Opened → first resolved event, per tier that resolved it (the ticket's tier then) "
        "and priority; median and 90th percentile as above. Unresolved tickets are counted "
        "apart, by their current tier.",
    ),
    (
        "SLA compliance",
        "Per tier: tickets that reached the tier with neither an sla_ack_breach nor an "
        "sla_resolve_breach event for it ÷ tickets that reached the tier.",
    ),
    (
        "Top topics",
        "Support conversations and tickets per topic, most conversations (then tickets) first.",
    ),
    (
        "Article helpfulness",
        'Per article last shown in a conversation that got an answer to "did it help?": '
        "helpful (solved) ÷ (solved + not solved + asked for a human).",
    ),
    (
        "Trend",
        "Per day (periods of 14 days or less) or ISO week: conversations that ended then, and "
        "their deflection rate.",
    ),
    (
        "Knowledge gaps",
        "Questions the knowledge base answered badly (escalated, not solved, weak match) in the "
        "period, similar ones grouped; count, distinct people, reasons.",
    ),
)
