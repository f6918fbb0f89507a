"""What ``draw`` and ``grad`` share: an expression and ``NAME=NUMBER`` values from the
command line, built into a graph of Values and backpropagated."""

from __future__ import annotations

import argparse
import itertools
import math
from collections.abc import Collection
from dataclasses import dataclass

from ..engine import Value
from ..errors import UsageError
from ..expr import MAX_LENGTH, Expression, build, parse

__all__ = ["Formula", "add_formula_arguments", "load_formula", "result_name", "show"]

_ROOT_NAMES = ("J", "f", "out", "result")


@dataclass(frozen=True)
class Formula:
    """An expression evaluated at given values, after ``backward()``.

    Attributes
    ----------
    expression : Expression
        The parsed expression.
    root : Value
        Its result; gradients have been backpropagated from it.
    leaves : dict of str to Value
        One labelled leaf per variable, in order of first appearance.
    name : str
        What output calls the result (``J``, or ``f`` when ``J`` is a variable).
    """

    expression: Expression
    root: Value
    leaves: dict[str, Value]
    name: str


def add_formula_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the positional EXPR and NAME=NUMBER arguments."""
    parser.add_argument(
        "expression",
        metavar="EXPR",
        help=(
            "a formula such as '(a-1)*(b+c)': numbers, names, + - * / **, unary -, and "
            f"exp log tanh sigmoid relu abs (at most {MAX_LENGTH} characters; put -- before "
            "a formula that starts with -)"
        ),
    )
    parser.add_argument(
        "assignments",
        metavar="NAME=NUMBER",
        nargs="*",
        help="the value of each variable, e.g. a=2 b=3 c=4",
    )


def load_formula(args: argparse.Namespace, *, create_graph: bool = False) -> Formula:
    """Build and backpropagate the formula given on the command line.

    ``create_graph=True`` builds the gradients as Values (for second derivatives).

    Raises
    ------
    UsageError
        (an `ExpressionError` is one) for any bad input, with a one-line message.
    """
    expression = parse(args.expression)
    if not expression.names:
        raise UsageError(
            f"{args.expression!r} has no variables, so nothing to differentiate: use names "
            "such as a, b, x and give their values as a=2 b=3"
        )
    root, leaves = build(args.expression, args.assignments)
    name = result_name(leaves)
    if not math.isfinite(root.data):
        raise UsageError(
            f"{name} = {root.data!r} at these values (a float overflowed or an operation was "
            "undefined): try smaller values"
        )
    if root.op is not None and not root.label:
        root.label = name  # a lone variable keeps its own name
    root.backward(create_graph=create_graph)
    return Formula(expression, root, leaves, name)


def result_name(variables: Collection[str]) -> str:
    """What output calls the result: the first of J, f, out, result that is not a variable,
    else result1, result2, ... (never a variable's name).

    Examples
    --------
    >>> result_name(["a", "b"]), result_name(["J", "x"]), result_name(["J", "f", "out", "result"])
    ('J', 'f', 'result1')
    """
    candidates = itertools.chain(_ROOT_NAMES, (f"result{i}" for i in itertools.count(1)))
    return next(n for n in candidates if n not in variables)


def show(x: float) -> str:
    """A float as the CLI prints it: the shortest text that reads back to the same float."""
    return repr(float(x))
