"""Persistence: the schema (SQLAlchemy 2 Core) and repositories over it."""
