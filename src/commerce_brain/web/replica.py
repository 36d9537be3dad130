"""The read replica for the monitoring pages, and the primary while the replica cannot answer.

A replica that is down (restarted, being rebuilt, its host gone) must not take the cockpit and
the indicator pages with it: they fall back to the primary, which has the same data, and go
back to the replica once it answers again. Whether it answers is asked at most every
``recheck`` seconds (one ``SELECT 1`` with a short connect timeout), not on every request.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

RECHECK_SECONDS = 5.0
CONNECT_TIMEOUT_SECONDS = 2


def replica_engine(url: str) -> Engine:
    """An engine for the replica that gives up connecting after a short while (a host that is
    gone would otherwise hold a request for the operating system's TCP timeout)."""
    options = {"connect_timeout": CONNECT_TIMEOUT_SECONDS} if url.startswith("postgresql") else {}
    return create_engine(url, connect_args=options)


class ReplicaReader:
    """Which engine the monitoring pages read: ``replica`` while it answers, else ``primary``."""

    def __init__(self, replica: Engine, primary: Engine, *, recheck: float = RECHECK_SECONDS) -> None:
        self.replica, self.primary, self.recheck = replica, primary, recheck
        self._lock = threading.Lock()
        self._current = replica
        self._next_check = 0.0

    def engine(self) -> Engine:
        """The replica if it answered at the last check (made now if that is over ``recheck``
        seconds ago), else the primary."""
        with self._lock:
            if time.monotonic() < self._next_check:
                return self._current
            self._next_check = time.monotonic() + self.recheck  # one thread checks; the others go on
        chosen = self.replica if self._answers() else self.primary
        with self._lock:
            if chosen is not self._current:
                if chosen is self.primary:
                    log.warning("read replica unreachable: the monitoring pages read the primary")
                else:
                    log.warning("read replica answers again: the monitoring pages read it")
            self._current = chosen
        return chosen

    def ask_again(self) -> None:
        """Check the replica at the next read instead of waiting out ``recheck``."""
        with self._lock:
            self._next_check = 0.0

    def _answers(self) -> bool:
        try:
            with self.replica.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except DBAPIError:
            return False
