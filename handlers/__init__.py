"""Platform-neutral conversation logic. Never imports a chat SDK or ``bot``."""

from __future__ import annotations

from handlers.router import Router


def build_router() -> Router:
    """Compose every module's routes into one router (duplicate names fail here)."""
    from handlers import (
        actions,
        agents,
        commands,
        facts,
        identity,
        intake,
        kb_admin,
        kb_edit,
        kb_quality,
        link,
        stats,
        tickets,
    )

    return Router(
        commands.routes,
        intake.routes,
        facts.routes,
        tickets.routes,
        link.routes,
        actions.routes,
        identity.routes,
        agents.routes,
        kb_admin.routes,
        kb_edit.routes,  # the guided steps of /kb new and /kb edit
        kb_quality.routes,  # its buttons: save a tested query, draft from a gap group
        stats.routes,
    )
