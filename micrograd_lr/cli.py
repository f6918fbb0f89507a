"""The ``micrograd-lr`` command line: one subcommand per module in ``micrograd_lr.commands``."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from . import __version__
from .errors import UsageError

__all__ = ["build_parser", "main"]

COMMANDS = ("demo", "draw", "grad", "train", "explain")
"""Subcommands, each a module of ``micrograd_lr.commands`` with ``register(subparsers)``."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every available subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="micrograd-lr",
        description="See and check what backpropagation does.",
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code (2 for bad usage)."""
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        message = f"unrecognized arguments: {' '.join(unknown)}"
        if hasattr(args, "expression") and any(arg.startswith("-") for arg in unknown):
            # A formula such as -x**2 reads as an option; argparse's own message does not
            # say what to do about it.
            message += (
                f"; a formula that starts with - needs -- before it, as in "
                f'micrograd-lr {args.command} -- "-x**2" x=3'
            )
        parser.error(message)
    try:
        return int(args.run(args))
    except UsageError as error:
        print(f"micrograd-lr {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
