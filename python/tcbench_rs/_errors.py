"""The exceptions and warnings of tcbench_rs.

They are defined here, in Python, so that they can derive from the built-in classes a
caller already catches (``FileNotFoundError``, ``ValueError``); the native module raises
them by name.
"""

from __future__ import annotations

__all__ = [
    "DamagedRunWarning",
    "InvalidArgumentError",
    "RepositoryError",
    "RepositoryNotFoundError",
    "TcbenchError",
    "TcbenchWarning",
]


class TcbenchError(Exception):
    """Base class of every error tcbench_rs raises.

    The message is the command line's one-line error text (``tcbench: error: ...``
    without the prefix).
    """


class RepositoryNotFoundError(TcbenchError, FileNotFoundError):
    """No Aim repository at the path given: it does not exist, or it is neither a
    repository (a folder holding ``.aim``, or ``.aim`` itself) nor a folder of them."""


class RepositoryError(TcbenchError):
    """A repository exists but cannot be read (a damaged or unreadable run database,
    a permission refused).

    Damage confined to some runs is not an error: those runs are left out of the result
    and named by a :class:`DamagedRunWarning`.
    """


class InvalidArgumentError(TcbenchError, ValueError):
    """An argument is wrong: a filter expression that does not parse, an unknown metric,
    context, group-by name or campaign id, an unknown ``value``, an empty list."""


class TcbenchWarning(UserWarning):
    """Something in the repositories read deserves attention (the command line's
    ``tcbench: warning: ...``): a metric missing from some runs, the same run in two
    repositories, an interrupted merge."""


class DamagedRunWarning(TcbenchWarning):
    """A run could not be read (a damaged or missing chunk) and is left out of the
    result, or its metric values are; the message names the run's hash and the reason."""
