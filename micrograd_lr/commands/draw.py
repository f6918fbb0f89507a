"""``micrograd-lr draw``: draw the computation graph of a formula, after backpropagation."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import graphviz

from ..cli import HelpFormatter, exit_status_epilog
from ..errors import (
    GraphTooLargeError,
    GraphvizNotFoundError,
    GraphvizTimeoutError,
    Interrupted,
    UsageError,
)
from ..explain import values_and_gradients
from ..render import (
    DEFAULT_DIGITS,
    DEFAULT_MAX_NODES,
    DEFAULT_TIMEOUT,
    FILE_FORMATS,
    RANKDIRS,
    dot_failure_reason,
    to_text,
    too_many_nodes_message,
    write,
)
from ._formula import add_formula_arguments, load_formula, show

__all__ = ["register", "run"]

DEFAULT_OUTPUT = "graph.svg"


def register(subparsers: Any) -> None:
    """Add the ``draw`` subcommand."""
    parser = subparsers.add_parser(
        "draw",
        help="draw the graph of a formula with its values and gradients",
        description=(
            "Evaluate a formula at the given values, backpropagate, print each variable's "
            "value and gradient, and draw the computation graph (SVG, PNG, PDF or DOT, "
            "picked from the output's extension), or print it as a text tree."
        ),
        epilog=exit_status_epilog(example='micrograd-lr draw "(a-1)*(b+c)" a=2 b=3 c=4 -o j.svg'),
        formatter_class=HelpFormatter,
    )
    add_formula_arguments(parser)
    output = parser.add_mutually_exclusive_group()
    output.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help=f"image to write: {', '.join(FILE_FORMATS)} (default: {DEFAULT_OUTPUT})",
    )
    output.add_argument(
        "--text", action="store_true", help="print the graph as a text tree instead"
    )
    parser.add_argument(
        "--rankdir",
        choices=RANKDIRS,
        default="LR",
        help="flow direction: left to right, right to left, top to bottom, bottom to top "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--digits",
        type=int,
        default=DEFAULT_DIGITS,
        help="significant digits shown, 1 to 17 (default: %(default)s)",
    )
    parser.add_argument("--no-grad", action="store_true", help="do not show gradients")
    parser.add_argument(
        "--collapse", action="store_true", help="draw chains of + and * as one node each"
    )
    parser.add_argument(
        "--max-nodes",
        type=int,
        default=DEFAULT_MAX_NODES,
        help="refuse larger graphs (default: %(default)s)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help="stop Graphviz after this long (default: %(default)s); --collapse draws large "
        "graphs faster",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the values and gradients as one JSON document (schema in docs/cli.md)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Draw the formula; returns the exit code."""
    if args.output is not None and not args.output.strip():
        raise UsageError(f"-o needs a file name such as {DEFAULT_OUTPUT}, got {args.output!r}")
    output = Path(DEFAULT_OUTPUT if args.output is None else args.output)
    if not args.text and output.suffix.lower() not in FILE_FORMATS:
        raise UsageError(
            f"cannot tell the format of {str(output)!r} from its extension: use "
            f"{', '.join(FILE_FORMATS)}"
        )
    if not 1 <= args.digits <= 17:
        raise UsageError(f"--digits must be from 1 to 17, got {args.digits}")
    if args.max_nodes < 1:
        raise UsageError(f"--max-nodes must be positive, got {args.max_nodes}")
    if not 0 < args.timeout < float("inf"):
        raise UsageError(f"--timeout must be a positive number of seconds, got {args.timeout:g}")
    formula = load_formula(args)
    options = {
        "show_grad": not args.no_grad,
        "digits": args.digits,
        "max_nodes": args.max_nodes,
        "collapse": args.collapse,
    }
    try:
        if args.text:
            drawing = to_text(formula.root, **options)
        else:
            written = write(
                formula.root, output, rankdir=args.rankdir, timeout=args.timeout, **options
            )
    except GraphTooLargeError as error:
        message = too_many_nodes_message(
            error.count,
            error.max_nodes,
            error.collapsed,
            text=error.text,
            options=("--max-nodes {}", "--collapse"),
        )
        raise UsageError(message) from None
    except (GraphvizNotFoundError, GraphvizTimeoutError) as error:
        raise UsageError(str(error)) from None
    except graphviz.CalledProcessError as error:  # dot failed or crashed
        reason = dot_failure_reason(error)
        raise UsageError(f"Graphviz could not render {str(output)!r}: {reason}") from None
    except KeyboardInterrupt:
        where = "while the graph was drawn" if args.text else "while Graphviz laid out the graph"
        raise Interrupted(f"{where}; nothing written") from None
    except OSError as error:
        if error.strerror is None:  # our own message, which already names the file
            raise UsageError(str(error)) from None
        raise UsageError(f"cannot write {str(output)!r}: {error.strerror}") from None

    name = formula.name
    if args.json:
        doc = values_and_gradients(
            "drawing", (name, formula.root), list(formula.leaves.items()),
            formula=formula.expression.text,
        )  # fmt: skip
        doc.update({"text": drawing} if args.text else {"written": str(written)})
        print(json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False))
        return 0
    print(f"{name} = {formula.expression.text} = {show(formula.root.data)}")
    for label, leaf in formula.leaves.items():
        print(f"  {label} = {show(leaf.data)}    d{name}/d{label} = {show(leaf.grad)}")
    if args.text:
        print(drawing)
    else:
        print(f"wrote {written}")
    return 0
