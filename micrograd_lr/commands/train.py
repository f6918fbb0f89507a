"""``micrograd-lr train``: logistic (or softmax) regression on a data set, then a report.

Two paths, chosen from the options:

- the course's: two classes, ``--solver gd`` (the default), no penalty (``--C inf``, the
  default): gradient descent by `micrograd_lr.logistic.train`, with either engine, the
  ``--check`` of Value-graph against closed-form gradients, a cost curve, and Ctrl-C that
  reports the iteration reached (and still writes ``--plot``);
- the estimator's: any other solver, a penalty, or more than two classes (softmax
  regression): `micrograd_lr.logistic.LogisticRegression` with ``C``, ``l1_ratio``,
  ``solver``, ``max_iter`` = ``--iterations`` and ``tol``.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .. import datasets, plots
from ..cli import HelpFormatter, exit_status_epilog
from ..demo import gradient_difference
from ..errors import ConvergenceWarning, Interrupted, UsageError
from ..expr import parse_number
from ..logistic import ENGINES, lipschitz_learning_rate, predict, train
from ..logistic.course import features_too_large

__all__ = ["MANY_CLASSES", "SOLVERS", "confusion_matrix", "format_confusion", "register", "run"]

SOLVERS = ("gd", "newton", "lbfgs", "fista", "auto")
"""``--solver`` choices: the course's gradient descent first (the default)."""

_SQUARE_OVERFLOWS = 2.0**511
"""Features at least this large have squares (times the few factors the curvature adds)
beyond float64's range, about 1.8e308: nothing but rescaling can help."""

_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)

_DETAILS = """\
--iterations is the number of gradient-descent steps with --solver gd (it stops early only \
with --tol > 0), and the most iterations (max_iter) of any other solver, which stops once \
the gradient is within --tol (default 1e-6 for them, and for gd through the estimator). \
--learning-rate is gradient descent's step; the other solvers choose their own steps.

Two classes with --solver gd and no penalty (the defaults) train the course's model by \
gradient descent (--engine, --composed and --check apply); any other solver, --C or \
--l1-ratio, or more than two classes (softmax regression) go through the \
LogisticRegression estimator. For more than two classes, per-class accuracy and a \
confusion matrix are printed. --plot draws the cost curve on the course's path, the \
confusion matrix through the estimator.

Ctrl-C stops training: one line says the iteration reached and the cost, --plot is still \
written for what was done, and the exit status is 130.

Numbers use one grammar (as NAME=NUMBER in grad): ASCII digits, optional sign, point and \
exponent (-1.5e-3); no 1_000, no full-width digits; the same for CSV cells."""


def register(subparsers: Any) -> None:
    """Add the ``train`` subcommand."""
    parser = subparsers.add_parser(
        "train",
        help="train logistic regression and report cost and accuracy",
        description=(
            "Train logistic regression (softmax regression for more than two classes) and "
            "print the final cost and the train and test accuracy.\n\n" + _DETAILS
        ),
        epilog=exit_status_epilog(
            example="micrograd-lr train --dataset digits --solver lbfgs --C 1"
        ),
        formatter_class=HelpFormatter,
    )
    parser.add_argument(
        "--dataset",
        default="synthetic",
        metavar="NAME|PATH.csv",
        help="synthetic (default), breast-cancer, digits (ten classes), digits-zero (is it "
        "a 0?), iris (three classes), or a CSV file whose last column is the label "
        "(numbers or text; two or more classes)",
    )
    parser.add_argument(
        "--header",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="the CSV's first line is (or is not) a header; default: a header when one of "
        "its feature cells is not a number, or its label is not a number and is no other "
        "row's label",
    )
    parser.add_argument(
        "--solver",
        default="gd",
        metavar="|".join(SOLVERS),
        help="gd: the course's gradient descent (default); newton, lbfgs, fista "
        "(accelerated proximal gradient, for --l1-ratio > 0) or auto: the estimator's solvers",
    )
    parser.add_argument(
        "--C",
        default="inf",
        metavar="C",
        help="inverse regularization strength, as in scikit-learn (lambda = 1/C); default "
        "inf: no penalty, the course's cost",
    )
    parser.add_argument(
        "--l1-ratio",
        default="0",
        metavar="R",
        help="elastic-net mix in [0, 1] of a finite --C: 0 is L2 (default), 1 is L1",
    )
    parser.add_argument(
        "--engine",
        default="numpy",
        metavar="|".join(ENGINES),
        help="numpy: the vectorized closed form (default); value: a graph of Values",
    )
    parser.add_argument(
        "--composed",
        action="store_true",
        help="with --engine value or --check: the Value graph composed of primitives instead "
        "of fused nodes",
    )
    parser.add_argument(
        "--no-compile",
        dest="compiled",
        action="store_false",
        help="with --engine value and two classes: rebuild and backpropagate the graph with "
        "the plain engine at every step, instead of tracing it once and replaying it (the "
        "same numbers, slower)",
    )
    parser.add_argument(
        "--iterations",
        default="1000",
        metavar="N",
        help="gd: the steps; other solvers: the most iterations (default 1000)",
    )
    parser.add_argument(
        "--learning-rate",
        default="auto",
        metavar="R",
        help="gradient descent's step; default auto, 1/L for the cost's curvature bound L",
    )
    parser.add_argument(
        "--tol",
        default=None,
        metavar="T",
        help="stop once every gradient component is within T of 0 (default: 0, never, on "
        "the course's path; 1e-6 through the estimator)",
    )
    parser.add_argument(
        "--standardize",
        action="store_true",
        help="scale features to mean 0, deviation 1 (training-set statistics)",
    )
    parser.add_argument(
        "--test-fraction",
        default="0.2",
        metavar="F",
        help="share of examples held out for testing (default 0.2)",
    )
    parser.add_argument("--seed", default="0", metavar="S", help="seed of the split (default 0)")
    parser.add_argument(
        "--check",
        action="store_true",
        help="also print the largest difference between the Value-graph and closed-form "
        "gradients, at the start and at the end (the course's path)",
    )
    parser.add_argument(
        "--plot",
        metavar="PATH.png",
        help="the course's path: write the cost curve; the estimator's: the confusion matrix "
        "(matplotlib)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.set_defaults(run=run)


def _parse(
    text: str,
    kind: type,
    option: str,
    *,
    minimum: float,
    strict: bool = False,
    infinite: bool = False,
) -> Any:
    """``text`` as an int or float of at least (or, strict, above) ``minimum``, in the
    CLI's number grammar (`expr.parse_number`; integers in ASCII digits)."""
    value: float | int | None
    try:
        if kind is int:
            value = int(text) if _INTEGER.fullmatch(text.strip()) else None
        else:
            value = parse_number(text)
    except ValueError:
        value = None
    if (
        value is None
        or math.isnan(value)
        or (math.isinf(value) and not infinite)
        or value < minimum
        or (strict and value == minimum)
    ):
        bound = f"{'>' if strict else '>='} {minimum:g}"
        noun = "an integer" if kind is int else "a number"
        also = " or inf" if infinite else ""
        raise UsageError(f"{option} must be {noun} {bound}{also}, got {text!r}")
    return value


def confusion_matrix(true: NDArray[Any], predicted: NDArray[Any], k: int) -> NDArray[np.int64]:
    """``counts[i, j]``: how many examples of class ``i`` were predicted as class ``j``
    (class indices 0 to ``k - 1``)."""
    counts = np.zeros((k, k), dtype=np.int64)
    np.add.at(counts, (true.astype(np.intp), predicted.astype(np.intp)), 1)
    return counts


MANY_CLASSES = 20
"""Above this many classes, a data set with fewer than two examples per class is refused."""


def format_confusion(counts: NDArray[Any], classes: tuple[Any, ...], where: str) -> str:
    """Per-class accuracy (the share of each class predicted right) and the confusion
    matrix as a text table.

    Examples
    --------
    >>> print(format_confusion(np.array([[3, 1], [0, 2]]), ("cat", "dog"), "test"))
    accuracy per class (test set):
      cat   75.00%  (3 of 4)
      dog  100.00%  (2 of 2)
    confusion matrix (test set; rows: true class, columns: predicted):
           cat  dog
      cat    3    1
      dog    0    2
    """
    names = [str(c) for c in classes]
    name_width = max(len(n) for n in names)
    lines = [f"accuracy per class ({where} set):"]
    for name, row, right in zip(names, counts, np.diag(counts), strict=True):
        total = int(row.sum())
        share = f"{100 * right / total:6.2f}%" if total else "    n/a"
        lines.append(f"  {name:<{name_width}}  {share}  ({right} of {total})")
    lines.append(f"confusion matrix ({where} set; rows: true class, columns: predicted):")
    width = max(max(len(n) for n in names), len(str(int(counts.max(initial=0)))))
    lines.append("  " + " " * name_width + "".join(f"  {n:>{width}}" for n in names))
    for name, row in zip(names, counts, strict=True):
        cells = "".join(f"  {int(c):>{width}}" for c in row)
        lines.append(f"  {name:<{name_width}}{cells}")
    return "\n".join(lines)


def _check_plot(path: str | None) -> None:
    if path is None:
        return
    try:
        plots.check_path(path)
    except ModuleNotFoundError:
        raise UsageError("--plot needs matplotlib: pip install 'micrograd_lr[plot]'") from None
    except ValueError as error:
        raise UsageError(str(error)) from None


def run(args: argparse.Namespace) -> int:
    """Train and report; returns the exit code."""
    if args.engine not in ENGINES:
        raise UsageError(f"--engine must be one of {', '.join(ENGINES)}, got {args.engine!r}")
    if args.solver not in SOLVERS:
        raise UsageError(f"--solver must be one of {', '.join(SOLVERS)}, got {args.solver!r}")
    iterations = _parse(args.iterations, int, "--iterations", minimum=0)
    C = _parse(args.C, float, "--C", minimum=0, strict=True, infinite=True)
    l1_ratio = _parse(args.l1_ratio, float, "--l1-ratio", minimum=0)
    if l1_ratio > 1:
        raise UsageError(f"--l1-ratio must be in [0, 1], got {args.l1_ratio!r}")
    if l1_ratio and math.isinf(C):
        raise UsageError("--l1-ratio mixes the penalty of a finite --C: give --C too (e.g. --C 1)")
    rate: Any = "auto"
    if args.learning_rate != "auto":
        rate = _parse(args.learning_rate, float, "--learning-rate", minimum=0, strict=True)
        if args.solver != "gd":
            raise UsageError(
                f"--learning-rate is gradient descent's step; --solver {args.solver} chooses "
                "its own steps: leave --learning-rate out, or use --solver gd"
            )
    tol = None if args.tol is None else _parse(args.tol, float, "--tol", minimum=0)
    test_fraction = _parse(args.test_fraction, float, "--test-fraction", minimum=0)
    if test_fraction >= 1:
        raise UsageError(f"--test-fraction must be below 1, got {args.test_fraction!r}")
    seed = _parse(args.seed, int, "--seed", minimum=0)
    _check_plot(args.plot)

    if args.header is not None and args.dataset in datasets.NAMES:
        raise UsageError(
            f"--header and --no-header are for CSV files, not the data set {args.dataset!r}"
        )
    try:
        data = datasets.load(
            args.dataset, header=args.header, progress=False if args.no_progress else None
        )
    except ModuleNotFoundError as error:
        raise UsageError(str(error)) from None
    m = len(data.y)
    if data.k > MANY_CLASSES and 2 * data.k > m:
        # Softmax regression holds an m x K table: an id column read as the label would take
        # gigabytes (20000 rows, 20000 "classes": 3.2 GB) to fit one example per class.
        raise UsageError(
            f"{data.name}: the last column has {data.k} different labels among {m} examples, "
            "so most classes have a single example; the label must be the last column (is it "
            "an id?), and each class needs several examples"
        )
    course = data.k == 2 and args.solver == "gd" and math.isinf(C) and not l1_ratio
    if args.composed and not (course and (args.engine == "value" or args.check)):
        raise UsageError(
            "--composed chooses the Value graph: use it with --engine value, or with --check "
            "(which compares that graph's gradients with the closed form)"
        )
    if not args.compiled and not (data.k == 2 and args.engine == "value"):
        raise UsageError(
            "--no-compile chooses how the binary model's Value graph is run: use it with "
            "--engine value and two classes"
        )
    if args.check and not course:
        raise UsageError(
            "--check compares the gradients of the course's binary cost: use it with two "
            "classes, --solver gd and no --C or --l1-ratio"
        )
    train_set, test_set = data.split(test_fraction, seed=seed)
    if args.standardize:
        train_set, test_set = datasets.standardize(train_set, test_set)
    largest = float(np.max(np.abs(train_set.X))) if train_set.X.size else 0.0
    if largest >= _SQUARE_OVERFLOWS:
        # Every path squares the features (the curvature bound, the Hessian): refuse once,
        # the same way, instead of a solver that cannot take a step.
        raise features_too_large(largest, "the cost's curvature (the features squared)")
    described = (
        f"data set: {data.name}, {train_set.m} training and {test_set.m} test examples, "
        f"{data.n} features{', standardized' if args.standardize else ''}"
        + (f", {data.k} classes" if data.k > 2 else "")
    )
    if tol is None:  # the course's gradient descent runs every step; solvers stop at 1e-6
        tol = 0.0 if course else 1e-6
    plan = _Plan(args, train_set, test_set, described, iterations, rate, tol, C, l1_ratio)
    return _run_course(plan) if course else _run_estimator(plan)


@dataclass(frozen=True)
class _Plan:
    """What `run` parsed and loaded, for the path that trains."""

    args: argparse.Namespace
    train_set: datasets.Dataset
    test_set: datasets.Dataset
    described: str
    iterations: int
    rate: Any
    tol: float
    C: float
    l1_ratio: float


def _run_course(plan: _Plan) -> int:
    """Two classes by the course's gradient descent (`micrograd_lr.logistic.train`)."""
    args, train_set, test_set = plan.args, plan.train_set, plan.test_set
    iterations, rate = plan.iterations, plan.rate
    X, Y = train_set.columns()
    fused = not args.composed
    # A learning rate far above 1/L can overflow the weights; the check below says so in
    # one line instead of NumPy's RuntimeWarnings.
    with np.errstate(over="ignore", invalid="ignore"):
        result = train(
            X,
            Y,
            engine=args.engine,
            fused=fused,
            num_iterations=iterations,
            learning_rate=rate,
            tol=plan.tol,
            progress=False if args.no_progress else None,
            compiled=args.compiled,
        )
    if result.interrupted:
        written = _plot_costs(args, result.costs, result.cost_iterations, train_set.name)
        raise Interrupted(
            f"at iteration {result.iterations} of {iterations}, cost {result.cost:.10g}"
            + (f"; cost curve written to {args.plot}" if written else "")
        )
    finite = math.isfinite(result.cost) and math.isfinite(result.b) and np.isfinite(result.w).all()
    if not finite:
        raise UsageError(
            f"training diverged (final cost {result.cost:g}): the learning rate "
            f"{result.learning_rate:g} is far too large; {_safe_rate(X)}"
        )
    graph = "" if args.engine == "numpy" else (", fused graph" if fused else ", composed graph")
    how = " (auto: 1/L)" if rate == "auto" else ""
    stop = ", converged" if result.converged else ""
    print(plan.described)
    print(
        f"engine: {args.engine}{graph}; learning rate {result.learning_rate:.6g}{how}; "
        f"{result.iterations} iterations{stop}"
    )
    print(f"final cost: {result.cost:.10g}")
    if result.cost > result.costs[0]:
        print(
            f"warning: the cost rose from {result.costs[0]:.6g} to {result.cost:.6g}: the "
            f"learning rate {result.learning_rate:.6g} is too large; {_safe_rate(X)}",
            file=sys.stderr,
        )
    _print_accuracy(train_set, test_set, lambda Z: predict(result.w, result.b, Z.T).ravel())
    if args.check:
        start = gradient_difference(np.zeros_like(result.w), 0.0, X, Y, fused=fused)
        end = gradient_difference(result.w, result.b, X, Y, fused=fused)
        print(
            f"largest |Value graph - closed form| gradient difference: {start:.3g} at the "
            f"start, {end:.3g} at the end ({'fused' if fused else 'composed'} graph)"
        )
    if _plot_costs(args, result.costs, result.cost_iterations, train_set.name):
        print(f"cost curve written to {args.plot}")
    return 0


def _safe_rate(X: NDArray[Any]) -> str:
    return f"leave --learning-rate out to use the safe 1/L = {lipschitz_learning_rate(X):.6g}"


def _plot_costs(
    args: argparse.Namespace, costs: list[float], iterations: list[int] | None, name: str
) -> bool:
    """Write the cost curve when --plot asks for it; True when written."""
    if not args.plot:
        return False
    title = f"Cost on {name.removesuffix(' (train)')}"
    plots.save_cost_curve(costs, args.plot, title=title, iterations=iterations)
    return True


def _print_accuracy(
    train_set: datasets.Dataset, test_set: datasets.Dataset, predict_classes: Any
) -> NDArray[Any]:
    """Print train and test accuracy (and, for K > 2, per-class accuracy and the confusion
    matrix of the test set, or of the training set without one); return that matrix."""
    train_predicted = predict_classes(train_set.X)
    print(f"train accuracy: {100 * float(np.mean(train_predicted == train_set.y)):.2f}%")
    shown, predicted, where = train_set, train_predicted, "training"
    if test_set.m:
        shown, predicted, where = test_set, predict_classes(test_set.X), "test"
        print(f"test accuracy: {100 * float(np.mean(predicted == test_set.y)):.2f}%")
    else:
        print("test accuracy: n/a (no test examples)")
    counts = confusion_matrix(shown.y, predicted, shown.k)
    if shown.k > 2:
        print(format_confusion(counts, shown.classes, where))
    return counts


def _cross_entropy(estimator: Any, data: datasets.Dataset) -> float:
    """The mean cross-entropy of the fitted model on ``data`` (the course's cost J)."""
    probabilities = np.asarray(estimator.predict_proba(data.X), dtype=np.float64)
    columns = np.searchsorted(np.asarray(estimator.classes_), data.y.astype(np.intp))
    chosen = probabilities[np.arange(data.m), columns]
    # A probability that rounds to 0 counts as the smallest positive float, not log(0).
    return float(-np.mean(np.log(np.maximum(chosen, np.finfo(np.float64).tiny))))


def _run_estimator(plan: _Plan) -> int:
    """Any solver, a penalty, or K > 2 classes: the `LogisticRegression` estimator."""
    args, train_set, test_set = plan.args, plan.train_set, plan.test_set
    iterations, rate, C, l1_ratio = plan.iterations, plan.rate, plan.C, plan.l1_ratio
    options: dict[str, Any] = {
        "C": C,
        "l1_ratio": l1_ratio,
        "solver": args.solver,
        "max_iter": iterations,
        "tol": plan.tol,
        "engine": args.engine,
        "compiled": args.compiled,  # --no-compile is refused where it would not apply
    }
    if rate != "auto":
        options["learning_rate"] = rate
    # Imported here: the estimator brings scikit-learn's base classes when installed (about
    # a second), which the course's path need not pay.
    from ..logistic.estimator import LogisticRegression

    estimator = LogisticRegression(**options)
    labels = train_set.y.astype(np.intp)
    # A ConvergenceWarning becomes one line on stderr, not Python's two-line warning.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                estimator.fit(train_set.X, labels)
        except KeyboardInterrupt:
            raise Interrupted(
                f"while fitting with --solver {args.solver} (nothing written)"
            ) from None
    for warning in caught:
        if not issubclass(warning.category, ConvergenceWarning):
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
        else:
            print(f"warning: {str(warning.message).strip().splitlines()[0]}", file=sys.stderr)
    n_iter = int(np.max(getattr(estimator, "n_iter_", iterations)))
    converged = getattr(estimator, "converged_", None)
    model = "softmax regression" if train_set.k > 2 else "logistic regression"
    penalty = "no penalty" if math.isinf(C) else f"C={C:g}, l1_ratio={l1_ratio:g}"
    print(plan.described)
    print(
        f"model: {model}, {penalty}; solver {args.solver}, engine {args.engine}; {n_iter} "
        f"iterations{', converged' if converged else ''}"
    )
    print(f"training cross-entropy: {_cross_entropy(estimator, train_set):.10g} (no penalty term)")
    counts = _print_accuracy(
        train_set, test_set, lambda Z: np.asarray(estimator.predict(Z), dtype=np.float64)
    )
    if args.plot:
        # The estimator keeps no cost history to draw: the picture is the confusion matrix
        # (with a cost curve beside it, should the estimator ever keep one).
        where = "test" if test_set.m else "training"
        plots.save_confusion_matrix(
            counts,
            train_set.classes,
            args.plot,
            title=f"{train_set.name.removesuffix(' (train)')}: {where} set",
            costs=getattr(estimator, "costs_", None) or None,
            iterations=getattr(estimator, "cost_iterations_", None),
        )
        print(f"confusion matrix written to {args.plot}")
    return 0
