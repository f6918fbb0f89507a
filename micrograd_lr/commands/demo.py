"""``micrograd-lr demo``: the package's main job in one command, offline, in seconds."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .. import demo
from ..cli import HelpFormatter, exit_status_epilog
from ..errors import UsageError

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``demo`` subcommand to the CLI's subparsers."""
    parser = subparsers.add_parser(
        "demo",
        help="backprop on J, logistic regression checked against its closed form, "
        "and the speed of vectorization",
        description=(
            "Backpropagate through J = (a-1)(b+c) and draw its graph, train logistic "
            "regression with the Value engine (gradients checked against the closed form), "
            "and time a Python loop against NumPy. No network needed."
        ),
        epilog=exit_status_epilog(
            "a gradient from backpropagation differs from its closed form by more than "
            f"{demo.GRADIENT_TOLERANCE:g}"
        ),
        formatter_class=HelpFormatter,
    )
    parser.add_argument(
        "--out",
        default=demo.DEFAULT_OUT,
        metavar="DIR",
        help=f"folder for the files the demo writes (default: ./{demo.DEFAULT_OUT}/)",
    )
    parser.add_argument(
        "--no-progress",
        dest="progress",
        action="store_false",
        default=None,
        help="no progress bar while training (it is shown only on a terminal anyway)",
    )
    parser.add_argument(
        "--no-compile",
        dest="compiled",
        action="store_false",
        help="train with the plain engine, rebuilding the graph every step, instead of "
        "tracing it once and replaying it (the same numbers, slower)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the demo; 0 when every gradient check agrees, 1 otherwise."""
    if not str(args.out).strip():  # Path("") would be the current folder
        raise UsageError(f"--out needs a folder name such as {demo.DEFAULT_OUT}, got ''")
    results = demo.run(Path(args.out), progress=args.progress, compiled=args.compiled)
    return 0 if demo.checks_passed(results) else 1
