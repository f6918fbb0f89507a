"""The ``micrograd-lr`` command line: one subcommand per module in ``micrograd_lr.commands``.

Every subcommand runs through `run_command`, the one place where errors become exit
statuses: 0 success; 1 a check the user asked for failed; 2 bad input or an environment
problem (one line on stderr, nothing written); 130 interrupted (one line saying what was
done so far).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import re
import sys
import textwrap
import warnings
from collections.abc import Callable, Sequence
from typing import NoReturn, TextIO

from . import __version__
from .errors import Interrupted, MicrogradLRError

__all__ = [
    "EXIT_BROKEN_PIPE",
    "EXIT_CHECK_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "HelpFormatter",
    "OneLineErrorParser",
    "build_parser",
    "exit_status_epilog",
    "main",
    "run_command",
    "user_error_message",
]

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
"""128 + SIGINT, what a shell reports for a program stopped by Ctrl-C."""
EXIT_BROKEN_PIPE = 141
"""128 + SIGPIPE: the program reading the output stopped (``... | head -1``); silent."""

COMMANDS = ("demo", "draw", "grad", "train", "explain")
"""Subcommands, each a module of ``micrograd_lr.commands`` with ``register(subparsers)``."""

DEBUG_VARIABLE = "MICROGRAD_LR_DEBUG"
"""Set it (to anything but empty) to get the full traceback instead of the one-line error."""


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, but line breaks written in a description or epilog are kept
    (each line is still wrapped), so the exit statuses can be listed one per line."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        lines = []
        for line in text.splitlines():
            words = line.strip()
            lead = line[: len(line) - len(line.lstrip())]
            # "  130  interrupted ...": wrapped lines continue under "interrupted".
            first = re.match(r"\S+\s+", words) if lead else None
            hang = lead + " " * (first.end() if first else 0)
            lines.append(
                textwrap.fill(
                    words, width, initial_indent=indent + lead, subsequent_indent=indent + hang
                )
            )
        return "\n".join(lines)


def exit_status_epilog(check: str | None = None, *, example: str | None = None) -> str:
    """The ``--help`` epilog listing a command's exit statuses (use with `HelpFormatter`).

    Parameters
    ----------
    check : str, optional
        What fails with status 1, as in ``"a partial derivative differs from its central
        difference"``; None for a command that checks nothing on request.
    example : str, optional
        An example command line, shown first.
    """
    lines = [f"example: {example}", ""] if example else []
    lines += ["exit status:", "  0    success"]
    if check:
        lines.append(f"  1    {check}")
    lines += [
        "  2    bad input or an environment problem (one line on stderr, nothing written)",
        "  130  interrupted by Ctrl-C (one line says what was done so far)",
        "  141  the program reading the output stopped early (as in | head -1)",
    ]
    return "\n".join(lines)


class OneLineErrorParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr (exit 2), like every other
    error of the command line: ``micrograd-lr grad: error: ...; see micrograd-lr grad
    --help``, without argparse's usage block in front."""

    def error(self, message: str) -> NoReturn:
        hint = "" if "--help" in message else f"; see {self.prog} --help"
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}{hint}\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every available subcommand registered."""
    parser = OneLineErrorParser(
        prog="micrograd-lr",
        description="See and check what backpropagation does.",
        epilog=exit_status_epilog("a check you asked for failed"),
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f".commands.{name}", __package__)
        except ModuleNotFoundError as error:
            if error.name != f"{__package__}.commands.{name}":
                raise
            continue  # not written yet
        module.register(subparsers)
    return parser


_ARITHMETIC = {
    ZeroDivisionError: "division by zero",
    OverflowError: "overflow",
    FloatingPointError: "floating-point error",
}


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0] if lines else ""


def user_error_message(error: BaseException) -> str | None:
    """The one-line message for an error that input can cause, or None for a bug.

    The mapping, in one place for every command:

    - `MicrogradLRError` (`UsageError`, `DomainError`, `DataError`, `GraphTooLargeError`,
      ...), ``ArithmeticError`` (overflow, division by zero), ``ValueError`` (library checks
      of values, NumPy's ``LinAlgError`` is one): their own message.
    - ``RuntimeWarning`` (NumPy's floating-point warnings, made errors by `run_command`):
      ``numerical problem: ...``.
    - ``OSError``: ``cannot read or write FILE: reason``.
    - ``MemoryError`` and ``RecursionError``: what ran out, and to try a smaller input.

    Anything else (``TypeError``, ``AttributeError``, ...) is a bug in micrograd_lr and keeps
    its traceback.
    """
    if isinstance(error, MemoryError):
        return "out of memory: the input is too large for this machine; try a smaller one"
    if isinstance(error, RecursionError):
        return "the input is nested too deeply to process; try a smaller or flatter one"
    if isinstance(error, OSError):
        if error.strerror is None:  # raised with our own message, which names the file
            return _first_line(str(error))
        name = error.filename if error.filename is not None else "a file"
        return f"cannot read or write {str(name)!r}: {error.strerror}"
    if isinstance(error, RuntimeWarning):
        return f"numerical problem: {_first_line(str(error))}; try smaller or scaled input"
    if isinstance(error, MicrogradLRError | ArithmeticError | ValueError):
        message = _first_line(str(error))
        if not message:
            return type(error).__name__
        if isinstance(error, ArithmeticError) and not isinstance(error, MicrogradLRError):
            # Python's own texts ("math range error") do not always say what went wrong.
            kind = next((k for t, k in _ARITHMETIC.items() if isinstance(error, t)), "arithmetic")
            if kind not in message.lower():
                message = f"{kind}: {message}"
        return message
    return None


def run_command(
    name: str, function: Callable[[], int | None], *, stderr: TextIO | None = None
) -> int:
    """Run a command's body and turn what it raises into an exit status and one line.

    Every subcommand goes through this (`main` calls it), so a command only raises: a
    `UsageError` for input it refuses itself, and any library error that input can reach
    (see `user_error_message`) needs no ``except`` of its own. NumPy's ``RuntimeWarning``s
    are raised as errors here, so none reaches the user raw: a command that expects one
    silences it with ``np.errstate`` and says what happened.

    Parameters
    ----------
    name : str
        The subcommand, for the ``micrograd-lr NAME: error: ...`` prefix.
    function : callable
        The body, returning the exit status (None counts as 0).
    stderr : text file, default sys.stderr
        Where the one line goes.

    Returns
    -------
    int
        The body's status; 2 for a user error; 130 for Ctrl-C (`KeyboardInterrupt`, or
        `Interrupted` whose message says what was done so far).

    Examples
    --------
    >>> import io
    >>> err = io.StringIO()
    >>> run_command("grad", lambda: 1 / 0, stderr=err), err.getvalue()
    (2, 'micrograd-lr grad: error: division by zero\\n')
    """
    stream = sys.stderr if stderr is None else stderr
    prefix = f"micrograd-lr {name}"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            status = function()
        return EXIT_OK if status is None else int(status)
    except BrokenPipeError:
        # The reader went away (``| head``): nothing to tell it. Point stdout at devnull
        # so the interpreter's final flush does not fail a second time.
        with contextlib.suppress(OSError, ValueError, AttributeError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt as interrupt:
        done = str(interrupt) if isinstance(interrupt, Interrupted) else ""
        print(f"{prefix}: interrupted{': ' + done if done else ''}", file=stream)
        return EXIT_INTERRUPTED
    except (Exception, MemoryError) as error:  # mapped, or re-raised below
        message = user_error_message(error)
        if message is None or os.environ.get(DEBUG_VARIABLE):
            raise
        print(f"{prefix}: error: {message}", file=stream)
        return EXIT_USAGE


def _unknown_arguments_message(args: argparse.Namespace, unknown: list[str]) -> str:
    message = f"unrecognized arguments: {' '.join(unknown)}"
    # A formula such as -x**2 reads as an option; argparse's own message does not say what
    # to do about it. "--bogus" is a mistyped option, not a formula.
    formula_like = [arg for arg in unknown if arg.startswith("-") and not arg.startswith("--")]
    if hasattr(args, "expression") and formula_like:
        return message + (
            f"; a formula that starts with - needs -- before it, as in "
            f'micrograd-lr {args.command} -- "-x**2" x=3'
        )
    return message + f"; see micrograd-lr {args.command} --help"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code (see `run_command`)."""
    try:  # importing the commands (NumPy, Graphviz, ...) takes a moment: Ctrl-C lands here
        parser = build_parser()
        args, unknown = parser.parse_known_args(argv)
    except KeyboardInterrupt:
        print("micrograd-lr: interrupted before the command started", file=sys.stderr)
        return EXIT_INTERRUPTED
    if unknown:
        # The subcommand's parser, so the usage line shown is the subcommand's.
        subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        subparsers.choices[args.command].error(_unknown_arguments_message(args, unknown))
    return run_command(args.command, lambda: args.run(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
