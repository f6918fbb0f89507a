"""Every exception micrograd_lr raises on purpose, in one place."""

from __future__ import annotations

__all__ = [
    "ConvergenceWarning",  # noqa: F822  (resolved by the module __getattr__ below)
    "DataError",
    "DomainError",
    "ExpressionError",
    "GradcheckError",
    "GraphTooLargeError",
    "GraphvizError",
    "GraphvizNotFoundError",
    "GraphvizTimeoutError",
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
    options (raise the limit, draw a smaller example, or draw the collapsed view).

    Raised by `micrograd_lr.render` with attributes ``count``, ``max_nodes``, ``collapsed``
    (the collapsed view's count, or None when it would not help) and ``text`` (for the
    text tree), so a caller can word the advice its own way."""

    count: int
    max_nodes: int
    collapsed: int | None
    text: bool


class GraphvizNotFoundError(MicrogradLRError, RuntimeError):
    """The Graphviz ``dot`` program, needed to render SVG, PNG or PDF, is not installed or
    not on PATH. Writing ``.dot`` source needs no Graphviz."""


class GraphvizError(MicrogradLRError, RuntimeError):
    """The Graphviz ``dot`` program failed or crashed on a graph; the message has its reason."""


class TraceMismatchError(MicrogradLRError, RuntimeError):
    """A compiled (traced) graph no longer matches what its function builds: the function's
    control flow depends on the data, so the trace is not valid at these inputs (see
    `micrograd_lr.compile`)."""


class GraphvizTimeoutError(MicrogradLRError, RuntimeError):
    """The Graphviz ``dot`` program took longer than allowed and was stopped; the message
    suggests the collapsed view, a smaller example or a longer timeout."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, caught by a command and raised again with one line saying what was done so
    far (``"at iteration 523 of 1000, cost 0.3121"``); the CLI prints it and exits 130."""


class _ConvergenceWarning(UserWarning):
    """A solver stopped before meeting its tolerance (at ``max_iter``, or when no step could
    reduce the objective further); the message says how far it got and what to try."""


def __getattr__(name: str) -> type[UserWarning]:
    # ConvergenceWarning is scikit-learn's class when scikit-learn is installed (so one
    # warnings filter covers both libraries), this module's otherwise. Resolved on first use:
    # importing scikit-learn takes about a second, which no other import should pay.
    if name == "ConvergenceWarning":
        try:
            from sklearn.exceptions import ConvergenceWarning
        except ImportError:
            ConvergenceWarning = _ConvergenceWarning
        globals()["ConvergenceWarning"] = ConvergenceWarning
        return ConvergenceWarning
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
