"""Errors a user can cause: each carries a one-line message and an exit code."""

from __future__ import annotations


class UserError(Exception):
    """Bad usage or bad input (config, file, query): shown as one line, exit code 2."""

    exit_code = 2


class RuntimeFailure(Exception):
    """Something outside the user's input failed (database down, network): exit code 1."""

    exit_code = 1


class Unavailable(UserError):
    """The database cannot be reached right now (storage raises it for connection-level
    failures). Like a user error it is answered with one line and no traceback -- the
    chat user is asked to try again -- but the exit code is 1: it is not the user's fault.
    """

    exit_code = 1
