"""Persistence: the schema (SQLAlchemy 2 Core) and repositories over it."""

# The schema first: it registers every module's tables, and a repository imported on its own
# (``store.observations`` from the command line) would otherwise meet its import cycle half-built.
from . import schema as schema  # noqa: F401
