"""(being written)"""

from __future__ import annotations

from handlers.router import Routes

routes = Routes()
