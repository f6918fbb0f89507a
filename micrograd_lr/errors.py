"""Every exception micrograd_lr raises on purpose, in one place."""

from __future__ import annotations

__all__ = [
    "DataError",
    "DomainError",
    "ExpressionError",
    "GradcheckError",
    "GraphTooLargeError",
    "GraphvizNotFoundError",
    "Interrupted",
    "MicrogradLRError",
    "TraceMismatchError",
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


class ExpressionError(UsageError):
    """A text expression could not be parsed or evaluated (see `micrograd_lr.expr`)."""


class GraphTooLargeError(MicrogradLRError, ValueError):
    """A graph has more nodes than a drawing allows; the message gives the count and the
    options (raise the limit, draw a smaller example, or draw the collapsed view)."""


class GraphvizNotFoundError(MicrogradLRError, RuntimeError):
    """The Graphviz ``dot`` program, needed to render SVG, PNG or PDF, is not installed or
    not on PATH. Writing ``.dot`` source needs no Graphviz."""


class TraceMismatchError(MicrogradLRError, RuntimeError):
    """A compiled (traced) graph no longer matches what its function builds: the function's
    control flow depends on the data, so the trace is not valid at these inputs (see
    `micrograd_lr.compile`)."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, caught by a command and raised again with one line saying what was done so
    far (``"at iteration 523 of 1000, cost 0.3121"``); the CLI prints it and exits 130."""
