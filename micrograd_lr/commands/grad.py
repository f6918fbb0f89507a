"""``micrograd-lr grad``: a formula's gradient by backpropagation, beside central
differences."""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

from ..autodiff import grad, hessian
from ..engine import Value
from ..errors import ExpressionError, UsageError
from ..explain import json_number, values_and_gradients
from ..gradcheck import numerical_gradient
from ._formula import Formula, add_formula_arguments, load_formula, show

__all__ = ["check_gradient", "register", "run"]

RTOL = 1e-5
"""A partial is flagged when backprop and the central difference differ by more than this,
relative to the larger of the two (and by more than `ATOL`)."""

ATOL = 1e-8


def register(subparsers: Any) -> None:
    """Add the ``grad`` subcommand."""
    parser = subparsers.add_parser(
        "grad",
        help="print a formula's gradient, checked against finite differences",
        description=(
            "Evaluate a formula at the given values, backpropagate, and print each "
            "variable's value and partial derivative beside a central finite difference."
        ),
        epilog='example: micrograd-lr grad "(a-1)*(b+c)" a=2 b=3 c=4',
    )
    add_formula_arguments(parser)
    parser.add_argument(
        "--order",
        type=int,
        choices=(1, 2),
        default=1,
        help="2 also prints the Hessian (second derivatives) (default: %(default)s)",
    )
    parser.add_argument(
        "--eps",
        type=float,
        default=1e-6,
        help="relative finite-difference step (default: %(default)s)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON document instead (schema in docs/cli.md)",
    )
    parser.set_defaults(run=run)


def check_gradient(formula: Formula, *, eps: float = 1e-6) -> list[tuple[str, float | None]]:
    """The central difference for each variable, varying one variable at a time.

    Parameters
    ----------
    formula : Formula
        The formula and the point, from `load_formula`.
    eps : float, default 1e-6
        The relative step (see `micrograd_lr.gradcheck.numerical_gradient`).

    Returns
    -------
    list of (str, float or None)
        Each variable's name and slope; None where the formula is undefined at ``x +- h``.
    """
    names = list(formula.leaves)
    point = {name: leaf.data for name, leaf in formula.leaves.items()}
    results: list[tuple[str, float | None]] = []
    for name in names:

        def along(v: Value, name: str = name) -> Value:
            return formula.expression.evaluate({**point, name: v})

        try:
            (slope,) = numerical_gradient(along, [point[name]], eps=eps)
        except ExpressionError:
            results.append((name, None))
        else:
            results.append((name, slope))
    return results


def _print_first_order(formula: Formula, *, eps: float) -> None:
    name = formula.name
    print(f"{name} = {formula.expression.text} = {show(formula.root.data)}")
    rows = [("variable", "value", f"d{name}/dx backprop", "central difference", "rel error")]
    flagged = unchecked = 0
    for variable, slope in check_gradient(formula, eps=eps):
        leaf = formula.leaves[variable]
        if slope is None:
            unchecked += 1
            numeric, error = "undefined at x+-h", "-"
        else:
            gap = abs(leaf.grad - slope)
            scale = max(abs(leaf.grad), abs(slope))
            relative = gap / scale if gap else 0.0
            numeric, error = f"{slope:.12g}", f"{relative:.1e}"
            # nan (inf - inf, or inf beside a finite slope) is a difference too.
            if not gap <= ATOL and not relative <= RTOL:
                flagged += 1
                error += "  differs"
        rows.append((variable, show(leaf.data), show(leaf.grad), numeric, error))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print(
            "  "
            + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False))
            + "  "
            + row[4]
        )
    if flagged:
        print(
            f"{flagged} partial(s) differ from the central difference by more than "
            f"{RTOL:g} relative: at a kink (relu, abs at 0) or a steep point the difference "
            "quotient is not the derivative; try another point or a smaller --eps"
        )
    elif unchecked < len(rows) - 1:
        print(f"backprop and central differences agree (rel error <= {RTOL:g})")
    if unchecked:
        print(
            f"{unchecked} partial(s) not checked: a step x+-h leaves the formula's domain "
            "(log near 0, say); try a smaller --eps"
        )


def run(args: argparse.Namespace) -> int:
    """Print the gradient; returns the exit code."""
    if not 0 < args.eps < 1:
        raise UsageError(f"--eps must be in (0, 1), got {args.eps}")
    formula = load_formula(args)
    if args.json:
        report, differs = _json_report(formula, eps=args.eps, order=args.order)
        print(report)
        return 1 if differs else 0
    _print_first_order(formula, eps=args.eps)
    if args.order == 2:
        _print_hessian(formula, eps=args.eps)
    return 0


def _print_hessian(formula: Formula, *, eps: float) -> None:
    names = list(formula.leaves)
    point = [formula.leaves[n].data for n in names]

    def f(*values: Value) -> Value:
        return formula.expression.evaluate(dict(zip(names, values, strict=True)))

    try:
        H = hessian(f, point)
    except ExpressionError as error:
        raise UsageError(f"second derivatives: {error}") from None
    try:
        check: np.ndarray | None = _hessian_by_differences(f, point, eps=eps)
    except ExpressionError:
        # A step of x +- h left the formula's domain (log near 0, say): the Hessian from
        # backprop is still right, only its check is undefined, as for the first order.
        check = None
    print(f"Hessian d2{formula.name}/dx dy (backprop through backprop):")
    width = max(len(n) for n in names)
    cells = [[show(x) for x in row] for row in H]
    column = max(max(len(c) for c in row) for row in cells)
    print("  " + " " * width + "  " + "  ".join(n.rjust(column) for n in names))
    for name, row in zip(names, cells, strict=True):
        print("  " + name.rjust(width) + "  " + "  ".join(c.rjust(column) for c in row))
    if check is None:
        print(
            "central differences of the gradient are undefined here (a step x+-h leaves "
            "the formula's domain): try a smaller --eps"
        )
        return
    gap = float(np.abs(H - check).max())
    scale = max(float(np.abs(H).max()), float(np.abs(check).max()))
    relative = gap / scale if gap else 0.0
    print(
        f"largest difference from central differences of the gradient: {gap:.3g} "
        f"({relative:.1e} relative)"
    )


def _hessian_by_differences(f: Any, point: list[float], *, eps: float) -> np.ndarray:
    """Column j: the central difference of the backpropagated gradient along x_j."""

    def gradient(p: list[float]) -> np.ndarray:
        leaves = [Value(x) for x in p]
        return np.array(grad(f(*leaves), leaves))

    columns = []
    for j, x in enumerate(point):
        h = eps * max(1.0, abs(x)) * 10  # a larger step: the gradient is differenced, not f
        up, down = list(point), list(point)
        up[j], down[j] = x + h, x - h
        columns.append((gradient(up) - gradient(down)) / (up[j] - down[j]))
    return np.array(columns).T


def _json_report(formula: Formula, *, eps: float, order: int) -> tuple[str, bool]:
    """The gradient (and with ``order`` 2 the Hessian) as a JSON document: the shared
    values-and-gradients record plus each variable's central difference, its relative
    error and whether it differs; and whether any partial differs."""
    doc = values_and_gradients(
        "gradients",
        (formula.name, formula.root),
        list(formula.leaves.items()),
        formula=formula.expression.text,
    )
    differs = False
    checks = check_gradient(formula, eps=eps)
    for record, (variable, slope) in zip(doc["variables"], checks, strict=True):
        record["central_difference"] = None if slope is None else json_number(slope)
        if slope is None:
            record["rel_error"], record["differs"] = None, None
            continue
        backprop = formula.leaves[variable].grad
        gap = abs(backprop - slope)
        relative = gap / max(abs(backprop), abs(slope)) if gap else 0.0
        record["rel_error"] = json_number(relative)
        # nan (inf - inf, or inf beside a finite slope) is a difference too.
        record["differs"] = not gap <= ATOL and not relative <= RTOL
        differs = differs or record["differs"]
    if order == 2:
        names = list(formula.leaves)

        def f(*values: Value) -> Value:
            return formula.expression.evaluate(dict(zip(names, values, strict=True)))

        try:
            H = hessian(f, [formula.leaves[n].data for n in names])
        except ExpressionError as error:
            raise UsageError(f"second derivatives: {error}") from None
        doc["hessian"] = [[json_number(x) for x in row] for row in H]
    return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False), differs
