"""``micrograd-lr explain``: a formula's forward and backward pass, one chain-rule step at a
time, as text, Markdown or JSON, with a stepper as an HTML page or an animated GIF."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..atomic import write_atomic
from ..cli import HelpFormatter, exit_status_epilog
from ..errors import GraphTooLargeError, GraphvizNotFoundError, UsageError
from ..explain import DEFAULT_MAX_NODES, explain
from ..render import DEFAULT_DIGITS, dot_available
from ..stepper import GIF_INSTALL_HINT, Stepper, gif_available
from ._formula import add_formula_arguments, load_formula

__all__ = ["FORMATS", "register", "run"]

FORMATS = ("text", "md", "json")


def register(subparsers: Any) -> None:
    """Add the ``explain`` subcommand."""
    parser = subparsers.add_parser(
        "explain",
        help="backpropagation step by step, with a stepper as an HTML page or a GIF",
        description=(
            "Evaluate a formula at the given values and print its forward pass (every "
            "intermediate result named) and its backward pass in the order the engine "
            "applies the chain rule: upstream gradient times local derivative for each "
            "edge, and the sum where a value is used in several places."
        ),
        epilog=exit_status_epilog(
            example='micrograd-lr explain "(a-1)*(b+c)" a=2 b=3 c=4 --html steps.html'
        ),
        formatter_class=HelpFormatter,
    )
    add_formula_arguments(parser)
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="aligned text, Markdown tables, or JSON records (default: %(default)s)",
    )
    parser.add_argument(
        "--html",
        metavar="FILE",
        help="also write a stepper: one self-contained HTML page (needs Graphviz)",
    )
    parser.add_argument(
        "--gif",
        metavar="FILE",
        help=f"also write the stepper's frames as an animated GIF (needs Graphviz and "
        f"{GIF_INSTALL_HINT.removeprefix('pip install ')})",
    )
    parser.add_argument(
        "--digits",
        type=int,
        default=DEFAULT_DIGITS,
        help="significant digits shown, 1 to 17 (default: %(default)s)",
    )
    parser.add_argument(
        "--max-nodes",
        type=int,
        default=DEFAULT_MAX_NODES,
        help="refuse larger graphs (default: %(default)s)",
    )
    parser.set_defaults(run=run)


def _target(option: str, value: str | None, suffix: str) -> Path | None:
    """The file an option names, checked before any work is done."""
    if value is None:
        return None
    path = Path(value)
    if path.suffix.lower() != suffix:
        raise UsageError(f"{option} {value!r}: the file name must end in {suffix}")
    if path.is_dir():
        raise UsageError(f"{option} {value!r} is a folder; give a file name")
    if not path.parent.is_dir():
        raise UsageError(f"{option} {value!r}: no folder {str(path.parent)!r}")
    return path


def run(args: argparse.Namespace) -> int:
    """Print the explanation and write the stepper files; returns the exit code."""
    if not 1 <= args.digits <= 17:
        raise UsageError(f"--digits must be from 1 to 17, got {args.digits}")
    if args.max_nodes < 1:
        raise UsageError(f"--max-nodes must be positive, got {args.max_nodes}")
    html_path = _target("--html", args.html, ".html")
    gif_path = _target("--gif", args.gif, ".gif")
    if (html_path or gif_path) and not dot_available():
        raise UsageError(
            "the stepper (--html, --gif) draws the graph with the Graphviz program 'dot', "
            "which was not found on PATH: install Graphviz (apt-get install graphviz)"
        )
    if gif_path and not gif_available():
        raise UsageError(f"--gif needs Pillow and CairoSVG: {GIF_INSTALL_HINT}")

    formula = load_formula(args)
    try:
        explanation = explain(formula.root, digits=args.digits, max_nodes=args.max_nodes)
    except GraphTooLargeError as error:
        raise UsageError(f"{error} (--max-nodes)") from None

    # Everything is made before anything is written: on any error, no file appears.
    outputs: list[tuple[Path, str | bytes]] = []
    if html_path or gif_path:
        stepper = Stepper(explanation)
        try:
            if html_path:
                outputs.append((html_path, stepper.to_html()))
            if gif_path:
                outputs.append((gif_path, stepper.gif()))
        except (GraphvizNotFoundError, TimeoutError, RuntimeError, ValueError) as error:
            raise UsageError(str(error)) from None
    written = []
    for path, content in outputs:
        try:
            written.append(str(write_atomic(path, content)))
        except OSError as error:
            raise UsageError(f"cannot write {str(path)!r}: {error.strerror or error}") from None

    if args.format == "json":
        doc = explanation.to_dict()
        doc["formula"] = formula.expression.text
        doc["written"] = written
        print(json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False))
    elif args.format == "md":
        print(explanation.to_markdown())
    else:
        print(f"{formula.name} = {formula.expression.text}")
        print(explanation.to_text())
        for path_text in written:
            print(f"wrote {path_text}")
    return 0
