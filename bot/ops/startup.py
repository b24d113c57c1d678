"""`cryptowire run` waits for a database that is not answering yet instead of exiting.

A bot started beside its database (a reboot, `docker compose up`, a failover in
progress) used to exit 1 at once when PostgreSQL was not up yet, and a supervisor had
to restart it in a loop. Now the first step of a run (the schema check and upgrade) is
retried with backoff (0.5 s, doubling, then every ``MAX_DELAY_S``) while the failure
means "the server is not there" (``bot.errors.Unavailable``); the operator sees one line
when the wait begins and one when the database answers. Anything else (a wrong password,
a database that does not exist, a bad URL) is not an outage and still ends the run at
once with its one-line error, exit code 1 or 2. A stop requested while waiting ends it
with exit code 1: the bot never ran.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from bot.errors import RuntimeFailure, Unavailable

log = logging.getLogger("cryptowire.database")

FIRST_DELAY_S = 0.5
MAX_DELAY_S = 30.0


def reason(error: BaseException) -> str:
    """The innermost cause in one short line (driver messages hold no password)."""
    root = error
    while root.__cause__ is not None and len(repr(root)) < 10_000:
        root = root.__cause__
    text = (str(root).strip().splitlines() or [""])[0][:200]
    return f"{type(root).__name__}: {text}" if text else type(root).__name__


async def until_ready(
    first_step: Callable[[], Awaitable[object]],
    stopping: asyncio.Event,
    *,
    first_delay_s: float = FIRST_DELAY_S,
    max_delay_s: float = MAX_DELAY_S,
) -> None:
    """Run ``first_step()`` until it does not fail with ``Unavailable``; raises
    ``RuntimeFailure`` when a stop is requested before it succeeded."""
    began = time.monotonic()
    delay = first_delay_s
    waiting = False
    while True:
        try:
            await first_step()
        except Unavailable as exc:
            if not waiting:
                waiting = True
                log.error(
                    "database unreachable at start-up (%s): waiting for it, retrying with "
                    "backoff (at most every %g s); stop with Ctrl-C or SIGTERM",
                    reason(exc), max_delay_s,
                )  # fmt: skip
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), delay)
            if stopping.is_set():
                raise RuntimeFailure(
                    f"stopped after waiting {time.monotonic() - began:.0f} s for the "
                    "database, which never answered"
                ) from None
            delay = min(delay * 2, max_delay_s)
            continue
        if waiting:
            log.warning("database reachable after %.1f s: starting", time.monotonic() - began)
        return
