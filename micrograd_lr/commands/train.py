"""``micrograd-lr train``: logistic regression on a data set, with either engine."""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

import numpy as np

from .. import datasets, plots
from ..demo import gradient_difference
from ..errors import UsageError
from ..logistic import (
    ENGINES,
    lipschitz_learning_rate,
    predict,
    train,
)

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``train`` subcommand."""
    parser = subparsers.add_parser(
        "train",
        help="train logistic regression and report cost and accuracy",
        description=(
            "Train logistic regression by gradient descent and print the final cost and the "
            "train and test accuracy."
        ),
    )
    parser.add_argument(
        "--dataset",
        default="synthetic",
        metavar="NAME|PATH.csv",
        help="synthetic (default), breast-cancer, digits (is it a 0?), or a CSV file whose "
        "last column is the 0/1 label",
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
    parser.add_argument("--iterations", default="1000", metavar="N", help="default 1000")
    parser.add_argument(
        "--learning-rate",
        default="auto",
        metavar="R",
        help="step size; default auto, 1/L for the cost's curvature bound L",
    )
    parser.add_argument(
        "--tol",
        default="0",
        metavar="T",
        help="stop early once every gradient component is within T of 0 (default 0: never)",
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
        "gradients, at the start and at the end",
    )
    parser.add_argument("--plot", metavar="PATH.png", help="write the cost curve (matplotlib)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(run=run)


def _parse(text: str, kind: type, option: str, *, minimum: float, strict: bool = False) -> Any:
    """``text`` as an int or float of at least (or, strict, above) ``minimum``."""
    try:
        value = kind(text)
    except ValueError:
        value = None
    if (
        value is None
        or not math.isfinite(value)
        or value < minimum
        or (strict and value == minimum)
    ):
        bound = f"{'>' if strict else '>='} {minimum:g}"
        noun = "an integer" if kind is int else "a number"
        raise UsageError(f"{option} must be {noun} {bound}, got {text!r}")
    return value


def run(args: argparse.Namespace) -> int:
    """Train and report; returns the exit code."""
    if args.engine not in ENGINES:
        raise UsageError(f"--engine must be one of {', '.join(ENGINES)}, got {args.engine!r}")
    if args.composed and args.engine == "numpy" and not args.check:
        raise UsageError(
            "--composed chooses the Value graph: use it with --engine value, or with --check "
            "(which compares that graph's gradients with the closed form)"
        )
    iterations = _parse(args.iterations, int, "--iterations", minimum=0)
    rate: Any = "auto"
    if args.learning_rate != "auto":
        rate = _parse(args.learning_rate, float, "--learning-rate", minimum=0, strict=True)
    tol = _parse(args.tol, float, "--tol", minimum=0)
    test_fraction = _parse(args.test_fraction, float, "--test-fraction", minimum=0)
    if test_fraction >= 1:
        raise UsageError(f"--test-fraction must be below 1, got {args.test_fraction!r}")
    seed = _parse(args.seed, int, "--seed", minimum=0)
    if args.plot:
        try:
            plots.check_path(args.plot)
        except ModuleNotFoundError:
            raise UsageError("--plot needs matplotlib: pip install 'micrograd_lr[plot]'") from None
        except ValueError as error:
            raise UsageError(str(error)) from None

    try:
        data = datasets.load(args.dataset)
    except (ValueError, ModuleNotFoundError) as error:  # DataError is a ValueError
        raise UsageError(str(error)) from None
    train_set, test_set = data.split(test_fraction, seed=seed)
    if args.standardize:
        train_set, test_set = datasets.standardize(train_set, test_set)
    X, Y = train_set.columns()
    fused = not args.composed

    # A learning rate far above 1/L can overflow the weights; the warning below says so in
    # one line instead of NumPy's RuntimeWarnings.
    with np.errstate(over="ignore", invalid="ignore"):
        result = train(
            X,
            Y,
            engine=args.engine,
            fused=fused,
            num_iterations=iterations,
            learning_rate=rate,
            tol=tol,
            progress=False if args.no_progress else None,
        )

    safe = f"leave --learning-rate out to use the safe 1/L = {lipschitz_learning_rate(X):.6g}"
    if not (math.isfinite(result.cost) and math.isfinite(result.b) and np.isfinite(result.w).all()):
        raise UsageError(
            f"training diverged (final cost {result.cost:g}): the learning rate "
            f"{result.learning_rate:g} is far too large; {safe}"
        )
    graph = "" if args.engine == "numpy" else (", fused graph" if fused else ", composed graph")
    how = " (auto: 1/L)" if rate == "auto" else ""
    stop = ", converged" if result.converged else ""
    print(
        f"data set: {data.name}, {train_set.m} training and {test_set.m} test examples, "
        f"{data.n} features{', standardized' if args.standardize else ''}"
    )
    print(
        f"engine: {args.engine}{graph}; learning rate {result.learning_rate:.6g}{how}; "
        f"{result.iterations} iterations{stop}"
    )
    print(f"final cost: {result.cost:.10g}")
    if result.cost > result.costs[0]:
        print(
            f"warning: the cost rose from {result.costs[0]:.6g} to {result.cost:.6g}: the "
            f"learning rate {result.learning_rate:.6g} is too large; {safe}",
            file=sys.stderr,
        )
    train_accuracy = float(np.mean(predict(result.w, result.b, X) == Y))
    print(f"train accuracy: {100 * train_accuracy:.2f}%")
    if test_set.m:
        Xt, Yt = test_set.columns()
        test_accuracy = float(np.mean(predict(result.w, result.b, Xt) == Yt))
        print(f"test accuracy: {100 * test_accuracy:.2f}%")
    else:
        print("test accuracy: n/a (no test examples)")
    if args.check:
        start = gradient_difference(np.zeros_like(result.w), 0.0, X, Y, fused=fused)
        end = gradient_difference(result.w, result.b, X, Y, fused=fused)
        print(
            f"largest |Value graph - closed form| gradient difference: {start:.3g} at the "
            f"start, {end:.3g} at the end ({'fused' if fused else 'composed'} graph)"
        )
    if args.plot:
        try:
            plots.save_cost_curve(result.costs, args.plot, title=f"Cost on {data.name}")
        except OSError as error:
            raise UsageError(f"cannot write {args.plot}: {error.strerror}") from None
        print(f"cost curve written to {args.plot}")
    return 0
