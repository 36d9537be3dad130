"""The one MetaData every table registers on, and the read-only engine view.

A leaf module: table modules import it rather than ``schema`` (which imports every table
module to make the schema whole), so importing any one of them alone never meets a
partially initialised module.
"""

from __future__ import annotations

import weakref

from sqlalchemy import Engine, MetaData

metadata = MetaData()


def read_only(engine: Engine) -> Engine:
    """The engine for the one-statement reads every request makes (session, state of the data,
    award counts): autocommit, so PostgreSQL gets the query alone, without a BEGIN before it
    and a ROLLBACK after it — three round trips become one. Same pool, same connections."""
    found = _READ_ONLY.get(engine)
    if found is None:
        found = _READ_ONLY[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return found


_READ_ONLY: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
