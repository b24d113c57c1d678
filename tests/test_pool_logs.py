"""A pooled connection closed while its task is cancelled (the bot stopping) logs no
traceback; a real failure to close still does."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy.pool import AsyncAdaptedQueuePool

import storage.database  # noqa: F401  (installs the filter)


def _close_failed(pool_log: logging.Logger, error: BaseException) -> None:
    try:
        raise error
    except BaseException:
        pool_log.error("Exception closing connection %r", "<conn>", exc_info=True)


@pytest.mark.parametrize("verbose", [False, True])
def test_a_cancelled_close_is_not_an_error(caplog, verbose):
    pool_log = logging.getLogger(f"{AsyncAdaptedQueuePool.__module__}.AsyncAdaptedQueuePool")
    caplog.set_level(logging.DEBUG if verbose else logging.INFO)
    _close_failed(pool_log, asyncio.CancelledError())
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "Traceback" not in caplog.text
    _close_failed(pool_log, OSError("disk I/O error"))
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is not None
