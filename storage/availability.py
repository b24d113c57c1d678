"""Is the database answering? Connection-level failures become ``bot.errors.Unavailable``.

Every session and connection of a ``Database`` goes through ``Availability``: a failure
that means "the server is not there" (refused or dropped connections, a server shutting
down or starting up, a pool with no usable connection) is raised as ``Unavailable``, a
neutral error the core answers with one "try again" line and retries with backoff;
anything else (a constraint, a bad query) passes through unchanged.

It also logs the state, ONE line per change: "database unreachable" at the first failure,
"database reachable again" at the first success after it (at debug level unless
``announce`` is set: a long-running bot sets it, a one-shot CLI command prints its one
error line instead). Only operations that *began*
after the last change count, so a query already in flight when the server went away
cannot flip the state back and forth (no flood of alternating lines during a restart).
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import exc as sa_exc

from bot.errors import Unavailable

log = logging.getLogger("cryptowire.database")

TRY_AGAIN = "The database is not answering right now; please try again in a minute."
# SQLSTATE class 08: connection exception; 57P01-03: admin/crash shutdown, cannot connect now
_SHUTDOWN_STATES = frozenset({"57P01", "57P02", "57P03"})

try:  # the PostgreSQL driver's own connection errors (always installed, but keep optional)
    import asyncpg

    _ASYNCPG_ERRORS: tuple[type[BaseException], ...] = (
        asyncpg.InterfaceError,
        asyncpg.PostgresConnectionError,
    )
except ImportError:  # pragma: no cover
    _ASYNCPG_ERRORS = ()


def _chain(error: BaseException) -> list[BaseException]:
    """The error, its causes and contexts, and the driver errors SQLAlchemy wraps."""
    found: list[BaseException] = []
    pending: list[BaseException | None] = [error]
    while pending and len(found) < 20:
        current = pending.pop()
        if current is None or any(current is seen for seen in found):
            continue
        found.append(current)
        pending += [current.__cause__, current.__context__, getattr(current, "orig", None)]
    return found


def is_unavailable(error: BaseException, *, postgres: bool = True) -> bool:
    """True when ``error`` says the server cannot be reached (not that a query is wrong)."""
    for current in _chain(error):
        if isinstance(current, (Unavailable, OSError, sa_exc.DisconnectionError)):
            return True  # refused, reset, timed out; or SQLAlchemy's own "disconnect"
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        if not postgres:
            continue  # SQLite: an InterfaceError is a bad parameter, never an outage
        if isinstance(current, (sa_exc.InterfaceError, sa_exc.TimeoutError, *_ASYNCPG_ERRORS)):
            return True  # connection closed under us; no pooled connection came back
        state = getattr(current, "sqlstate", None) or getattr(current, "pgcode", None)
        if isinstance(state, str) and (state.startswith("08") or state in _SHUTDOWN_STATES):
            return True
    return False


def _reason(error: BaseException) -> str:
    """The innermost error in one short line (driver messages hold no password)."""
    root = _chain(error)[-1]
    text = (str(root).strip().splitlines() or [""])[0][:200]
    return f"{type(root).__name__}: {text}" if text else type(root).__name__


class Availability:
    """The database's state as this process sees it; see the module docstring."""

    def __init__(self, *, postgres: bool, announce: bool = False) -> None:
        self.postgres = postgres
        self.announce = announce
        self.down_since: float | None = None
        self._up_since = -1.0

    @property
    def down(self) -> bool:
        return self.down_since is not None

    def translate(self, error: Exception, began: float) -> Exception:
        """``Unavailable`` (chained to ``error``) for an outage, else ``error`` itself."""
        if isinstance(error, Unavailable):
            return error
        if not is_unavailable(error, postgres=self.postgres):
            return error
        if self.down_since is None and began >= self._up_since:
            self.down_since = time.monotonic()
            log.log(
                logging.ERROR if self.announce else logging.DEBUG,
                "database unreachable (%s): retrying with backoff; "
                "commands are answered 'try again' meanwhile",
                _reason(error),
            )
        unavailable = Unavailable(TRY_AGAIN)
        unavailable.__cause__ = error
        return unavailable

    def succeeded(self, began: float) -> None:
        """An operation that began at ``began`` (``time.monotonic()``) worked."""
        if self.down_since is not None and began >= self.down_since:
            now = time.monotonic()
            level = logging.WARNING if self.announce else logging.DEBUG
            log.log(level, "database reachable again after %.1f s", now - self.down_since)
            self.down_since = None
            self._up_since = now
