"""What time it is, as something handed in: the SLA clocks are tested on a clock tests move."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

Clock = Callable[[], datetime]  # the current time, timezone-aware (models.tables.utcnow)
