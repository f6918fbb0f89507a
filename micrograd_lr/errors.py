"""Every exception micrograd_lr raises on purpose, in one place."""

from __future__ import annotations

__all__ = [
    "DataError",
    "DomainError",
    "GradcheckError",
    "MicrogradLRError",
    "UsageError",
]


class MicrogradLRError(Exception):
    """Base class of the errors raised by micrograd_lr itself."""


class DomainError(MicrogradLRError, ValueError):
    """An operation was applied outside the domain where it (or its derivative) is real
    and finite, such as ``log`` of a negative number or ``0 ** -1``."""


class GradcheckError(MicrogradLRError, AssertionError):
    """Backpropagated gradients disagree with finite differences."""


class UsageError(MicrogradLRError, ValueError):
    """Bad input on the command line; the CLI prints it on one line and exits with code 2."""


class DataError(MicrogradLRError, ValueError):
    """A data file that cannot be used as it is: the message names the file, the line and
    what is wrong with it."""
