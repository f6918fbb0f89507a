"""``micrograd-lr grad``: a formula's gradient by backpropagation, beside central
differences."""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

import numpy as np

from ..autodiff import grad, hessian
from ..cli import EXIT_CHECK_FAILED, HelpFormatter, exit_status_epilog
from ..engine import Value
from ..errors import DomainError, ExpressionError, Interrupted, UsageError
from ..explain import json_number, values_and_gradients
from ..gradcheck import central_steps, numerical_gradient
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
        epilog=exit_status_epilog(
            "a partial derivative differs from its central difference (the reason is printed)",
            example='micrograd-lr grad "(a-1)*(b+c)" a=2 b=3 c=4',
        ),
        formatter_class=HelpFormatter,
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


def _verdict(backprop: float, slope: float, x: float, eps: float) -> str | None:
    """Why a partial differs from its central difference, or None when they agree."""
    gap = abs(backprop - slope)
    scale = max(abs(backprop), abs(slope))
    # nan (inf - inf, or inf beside a finite slope) is a difference too.
    if gap <= ATOL or (gap / scale if gap else 0.0) <= RTOL:
        return None
    h = eps * max(1.0, abs(x))
    notes = []
    if not math.isfinite(backprop):
        notes.append(
            "backprop gives a non-finite derivative (an intermediate result overflowed); "
            "try a point where the formula's slope is smaller"
        )
    if x != 0 and (x - h) * (x + h) <= 0:
        notes.append(
            "the steps x-h and x+h lie on both sides of 0, where a pole (1/x) or a kink "
            "(relu, abs) can be; try a smaller --eps"
        )
    elif slope == 0 and math.isfinite(backprop):
        notes.append(
            "f(x+h) and f(x-h) round to the same float, so the difference quotient is 0; "
            "try a larger --eps"
        )
    if not notes:
        notes.append(
            "at a kink (relu, abs at 0) or a steep point the difference quotient is not the "
            "derivative; try another point or a smaller --eps"
        )
    return "; and ".join(notes)


def _first_order_report(formula: Formula, *, eps: float) -> tuple[list[str], int]:
    """The lines of the first-order table and its notes, and how many partials differ."""
    name = formula.name
    lines = [f"{name} = {formula.expression.text} = {show(formula.root.data)}"]
    rows = [("variable", "value", f"d{name}/dx backprop", "central difference", "rel error")]
    reasons: dict[str, list[str]] = {}
    unchecked = 0
    for variable, slope in check_gradient(formula, eps=eps):
        leaf = formula.leaves[variable]
        if slope is None:
            unchecked += 1
            numeric, error = "undefined at x+-h", "-"
        else:
            gap = abs(leaf.grad - slope)
            scale = max(abs(leaf.grad), abs(slope))
            numeric, error = f"{slope:.12g}", f"{gap / scale if gap else 0.0:.1e}"
            reason = _verdict(leaf.grad, slope, leaf.data, eps)
            if reason is not None:
                reasons.setdefault(reason, []).append(variable)
                error += "  differs"
        rows.append((variable, show(leaf.data), show(leaf.grad), numeric, error))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        cells = "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False))
        lines.append(f"  {cells}  {row[4]}")
    flagged = sum(len(names) for names in reasons.values())
    for reason, names in reasons.items():
        lines.append(
            f"{', '.join(names)}: differs from the central difference by more than "
            f"{RTOL:g} relative: {reason}"
        )
    if not flagged and unchecked < len(rows) - 1:
        lines.append(f"backprop and central differences agree (rel error <= {RTOL:g})")
    if unchecked:
        lines.append(
            f"{unchecked} partial(s) not checked: a step x+-h leaves the formula's domain "
            "(log near 0, say); try a smaller --eps"
        )
    return lines, flagged


def run(args: argparse.Namespace) -> int:
    """Print the gradient; returns the exit code (1 when a partial differs)."""
    if not 0 < args.eps < 1:
        raise UsageError(f"--eps must be in (0, 1), got {args.eps}")
    try:
        formula = load_formula(args)
        # Everything is computed before anything is printed: an error is the only output.
        with np.errstate(all="ignore"):  # inf and nan are reported in words below
            if args.json:
                report, differs = _json_report(formula, eps=args.eps, order=args.order)
            else:
                lines, flagged = _first_order_report(formula, eps=args.eps)
                if args.order == 2:
                    lines += _hessian_report(formula, eps=args.eps)
    except KeyboardInterrupt:
        raise Interrupted("before anything was printed") from None
    if args.json:
        print(report)
        return EXIT_CHECK_FAILED if differs else 0
    print("\n".join(lines))
    return EXIT_CHECK_FAILED if flagged else 0


def _hessian_report(formula: Formula, *, eps: float) -> list[str]:
    names = list(formula.leaves)
    point = [formula.leaves[n].data for n in names]

    def f(*values: Value) -> Value:
        return formula.expression.evaluate(dict(zip(names, values, strict=True)))

    try:
        H = hessian(f, point)
    except (ExpressionError, ArithmeticError, DomainError) as error:
        raise UsageError(f"second derivatives at these values: {error}") from None
    try:
        check: np.ndarray | None = _hessian_by_differences(f, point, eps=eps)
    except (ExpressionError, ArithmeticError, DomainError):
        # A step of x +- h left the formula's domain (log near 0, say): the Hessian from
        # backprop is still right, only its check is undefined, as for the first order.
        check = None
    lines = [f"Hessian d2{formula.name}/dx dy (backprop through backprop):"]
    width = max(len(n) for n in names)
    cells = [[show(x) for x in row] for row in H]
    column = max(max(len(c) for c in row) for row in cells)
    lines.append("  " + " " * width + "  " + "  ".join(n.rjust(column) for n in names))
    for name, row in zip(names, cells, strict=True):
        lines.append("  " + name.rjust(width) + "  " + "  ".join(c.rjust(column) for c in row))
    if check is None:
        lines.append(
            "central differences of the gradient are undefined here (a step x+-h leaves "
            "the formula's domain): try a smaller --eps"
        )
        return lines
    gap = float(np.abs(H - check).max())
    scale = max(float(np.abs(H).max()), float(np.abs(check).max()))
    relative = gap / scale if gap else 0.0
    lines.append(
        f"largest difference from central differences of the gradient: {gap:.3g} "
        f"({relative:.1e} relative)"
    )
    return lines


def _hessian_by_differences(f: Any, point: list[float], *, eps: float) -> np.ndarray:
    """Column j: the central difference of the backpropagated gradient along x_j."""

    def gradient(p: list[float]) -> np.ndarray:
        leaves = [Value(x) for x in p]
        return np.array(grad(f(*leaves), leaves))

    columns = []
    for j, x in enumerate(point):
        h = eps * max(1.0, abs(x)) * 10  # a larger step: the gradient is differenced, not f
        up, down = list(point), list(point)
        down[j], up[j] = central_steps(x, h)
        columns.append((gradient(up) - gradient(down)) / (up[j] - down[j]))
    return np.array(columns).T


def _json_report(formula: Formula, *, eps: float, order: int) -> tuple[str, bool]:
    """The gradient (and with ``order`` 2 the Hessian) as a JSON document: the shared
    values-and-gradients record plus each variable's central difference, its relative
    error, whether it differs and why; and whether any partial differs."""
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
            record["rel_error"], record["differs"], record["reason"] = None, None, None
            continue
        leaf = formula.leaves[variable]
        gap = abs(leaf.grad - slope)
        record["rel_error"] = json_number(gap / max(abs(leaf.grad), abs(slope)) if gap else 0.0)
        record["reason"] = _verdict(leaf.grad, slope, leaf.data, eps)
        record["differs"] = record["reason"] is not None
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
