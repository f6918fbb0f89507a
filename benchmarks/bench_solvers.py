"""Fit time of each micrograd_lr solver beside scikit-learn's LogisticRegression, on the same
problems, in one run: medians of interleaved repeats, and the ratio to scikit-learn's default.

Run:  python benchmarks/bench_solvers.py            (about a minute)
      python benchmarks/bench_solvers.py --quick    (one repeat: checks that it runs)

Problems (breast cancer, 569 examples, standardized):
  L2        all 30 features, C=1.0 (scikit-learn's defaults)
  no-penalty  the ten "error" features, C=inf (a finite optimum)
  elastic-net all 30 features, C=0.1, l1_ratio=0.5 (scikit-learn: saga)

Every fit uses tol=1e-4 (scikit-learn's default, the same measure here); the table also
shows how far above the best objective each fit stopped, in scikit-learn's scaling.
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).absolute().parent.parent))  # this checkout's package

from micrograd_lr.logistic.objective import BinaryObjective
from micrograd_lr.logistic.solvers import minimize

Fit = Callable[[], np.ndarray]


def problems() -> list[tuple[str, np.ndarray, np.ndarray, dict[str, float]]]:
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return [
        ("L2, C=1", X, y, {"C": 1.0}),
        ("no penalty", X[:, 10:20], y, {"C": math.inf}),
        ("elastic-net", X, y, {"C": 0.1, "l1_ratio": 0.5}),
    ]


def fits(X: np.ndarray, y: np.ndarray, options: dict[str, float], quick: bool) -> dict[str, Fit]:
    from sklearn.linear_model import LogisticRegression

    l1 = options.get("l1_ratio", 0.0) > 0
    max_iter = 300 if quick else 100_000  # --quick: gradient descent stops early
    sk_solver = "saga" if l1 else "lbfgs"

    def sklearn() -> np.ndarray:
        model = LogisticRegression(solver=sk_solver, max_iter=10_000, **options).fit(X, y)
        return np.append(model.coef_.ravel(), model.intercept_)

    def ours(solver: str, engine: str = "numpy") -> Fit:
        def fit() -> np.ndarray:
            f = BinaryObjective(X, y, engine=engine, **options)
            return minimize(f, solver=solver, tol=1e-4, max_iter=max_iter).theta

        return fit

    out: dict[str, Fit] = {f"scikit-learn {sk_solver}": sklearn}
    names = ["fista", "gd"] if l1 else ["newton", "lbfgs", "fista", "gd"]
    for name in names:
        out[name] = ours(name)
    out["auto"] = ours("auto")
    if not quick:
        # The Value engine's gradient costs about a millisecond per example here; its Hessian
        # (Newton) a backward pass per parameter, 37 s a fit: L-BFGS (or FISTA) needs none.
        out[f"{names[0] if l1 else 'lbfgs'}, Value engine"] = ours(
            names[0] if l1 else "lbfgs", "value"
        )
    return out


def measure(candidates: dict[str, Fit], repeats: int) -> dict[str, list[float]]:
    """Interleaved: each round times every candidate once, so load changes hit all alike."""
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, fit in candidates.items():
            start = time.perf_counter()
            fit()
            times[name].append(time.perf_counter() - start)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="one repeat, at most 300 iterations, no Value engine"
    )
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    try:
        import sklearn
    except ImportError:
        print("scikit-learn is not installed: pip install 'micrograd_lr[data]'", file=sys.stderr)
        return 2
    repeats = 1 if args.quick else args.repeats
    warnings.simplefilter("ignore")  # a fit that stops early shows in the table instead
    # One BLAS thread for everyone: on a shared machine, threads fighting over the cores made
    # a 30 x 30 Hessian take 0.5 s instead of 2 ms. (threadpoolctl comes with scikit-learn.)
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    print(
        f"Python {platform.python_version()}, NumPy {np.__version__}, "
        f"scikit-learn {sklearn.__version__}; one BLAS thread; median of {repeats} "
        "interleaved repeats"
    )
    for title, X, y, options in problems():
        candidates = fits(X, y, options, args.quick)
        times = measure(candidates, repeats)
        f = BinaryObjective(X, y, **options)
        best = minimize(f, solver="fista" if f.l1_weights is not None else "newton", tol=1e-12)
        reference = f.primal(best.theta)
        base = statistics.median(next(iter(times.values())))
        print(f"\n{title} ({X.shape[0]} x {X.shape[1]})\n")
        print("| fit | median ms | ratio to scikit-learn | objective above best |")
        print("|---|---:|---:|---:|")
        for name, fit in candidates.items():
            median = statistics.median(times[name])
            gap = f.primal(fit()) - reference
            print(f"| {name} | {1e3 * median:.2f} | {median / base:.2f} | {gap:.1e} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
