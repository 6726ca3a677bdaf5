"""Garda's persistence: SQLModel tables, the async engine and sessions, migrations, queries."""
