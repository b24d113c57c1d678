"""A connection closed while its task is being cancelled is not an error worth a traceback.

At shutdown the bot cancels its tasks; a task that was handing a pooled SQLite connection
back (an overflow connection, closed on return) is cancelled inside aiosqlite's close,
and SQLAlchemy's pool logs "Exception closing connection" at ERROR with the whole
traceback of the ``CancelledError``. Nothing was lost: the process is stopping and the
connection goes with it. That record becomes one DEBUG line; every other pool error is
logged as before.
"""

from __future__ import annotations

import asyncio
import logging

POOL_LOGGERS = ("sqlalchemy.pool.impl.AsyncAdaptedQueuePool", "sqlalchemy.pool.impl.NullPool")


class CancelledCloseFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, asyncio.CancelledError) and record.levelno >= logging.ERROR:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            record.msg = f"{record.msg} (cancelled while closing: the task is stopping)"
            record.exc_info = record.exc_text = None
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
        return True


def quiet_cancelled_closes() -> None:
    """Install the filter on the pool loggers (once; idempotent)."""
    for name in POOL_LOGGERS:
        pool_log = logging.getLogger(name)
        if not any(isinstance(f, CancelledCloseFilter) for f in pool_log.filters):
            pool_log.addFilter(CancelledCloseFilter())
