"""Estimator fit time: micrograd_lr's LogisticRegression at its defaults against
scikit-learn's LogisticRegression() at its defaults, side by side in one run, on breast
cancer (two classes, 30 features) and the digits (ten classes, 64 pixels), raw and
standardized; the Value engine's fit time beside them.

Run:  python benchmarks/bench_estimator.py              (a few minutes: the Value engine)
      python benchmarks/bench_estimator.py --quick      (checks that it runs)

Times are medians of interleaved repeats (each repeat fits every contender once, in turn),
so a change in the machine's load hits all of them alike; the ratios are the figures to
compare, the absolute times are not portable. Target: the NumPy engine within 3x of
scikit-learn's default fit.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).absolute().parent.parent))  # this checkout's package

from micrograd_lr import LogisticRegression


def datasets(quick: bool) -> list[tuple[str, np.ndarray, np.ndarray]]:
    from sklearn.datasets import load_breast_cancer, load_digits

    out = []
    for name, loader in (("breast cancer", load_breast_cancer), ("digits", load_digits)):
        X, y = loader(return_X_y=True)
        if quick:
            X, y = X[::10], y[::10]
        scale = X.std(axis=0)
        scale[scale == 0] = 1.0
        out.append((f"{name}, raw", X, y))
        out.append((f"{name}, standardized", (X - X.mean(axis=0)) / scale, y))
    return out


def timed(fit: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    model = fit()
    return time.perf_counter() - start, model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny data, one repeat")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--no-value", action="store_true", help="skip the Value engine")
    args = parser.parse_args(argv)
    from sklearn.linear_model import LogisticRegression as SkLogisticRegression

    repeats = 1 if args.quick else args.repeats
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return run(args, repeats, SkLogisticRegression)
    # One BLAS thread for everyone: on a shared 2-core machine, OpenBLAS threads spinning
    # against other processes made scikit-learn's fits 10-100x slower and noisy.
    with threadpool_limits(limits=1):
        return run(args, repeats, SkLogisticRegression)


def run(args: argparse.Namespace, repeats: int, SkLogisticRegression: type) -> int:
    print(
        f"Python {platform.python_version()}, {platform.machine()}; median of {repeats} "
        "interleaved repeats, one BLAS thread; scikit-learn and micrograd_lr at their "
        "defaults (C=1.0, L2)"
    )
    print()
    print(
        "| data | m x n, K | scikit-learn | micrograd_lr numpy | ratio | solver (iterations) "
        "| objective above sklearn's | Value engine |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, X, y in datasets(args.quick):
        K = len(np.unique(y))
        contenders = {
            "sklearn": lambda X=X, y=y: SkLogisticRegression().fit(X, y),
            "numpy": lambda X=X, y=y: LogisticRegression().fit(X, y),
        }
        times: dict[str, list[float]] = {key: [] for key in contenders}
        models: dict[str, object] = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # both warn when max_iter=100 is not enough
            for _ in range(repeats):
                for key, fit in contenders.items():
                    seconds, models[key] = timed(fit)
                    times[key].append(seconds)
            value_cell = "-"
            if not args.no_value:
                seconds, _ = timed(lambda X=X, y=y: LogisticRegression(engine="value").fit(X, y))
                value_cell = f"{seconds:.2f} s ({seconds / statistics.median(times['numpy']):.0f}x)"
        sk, ours = (statistics.median(times[key]) for key in ("sklearn", "numpy"))
        ours_model: LogisticRegression = models["numpy"]  # type: ignore[assignment]
        sk_model = models["sklearn"]
        gap = ours_model.objective_ - primal(sk_model, X, y)
        print(
            f"| {name} | {X.shape[0]} x {X.shape[1]}, {K} | {sk * 1e3:.1f} ms | "
            f"{ours * 1e3:.1f} ms | {ours / sk:.2f} | {ours_model.solver_} "
            f"({ours_model.n_iter_[0]}) | {gap:.2g} | {value_cell} |"
        )
    print("\nratio: micrograd_lr's NumPy-engine fit time / scikit-learn's (target <= 3).")
    print(
        "objective above sklearn's: our primal minus the primal at scikit-learn's default "
        "fit (negative: ours is closer to the optimum)."
    )
    return 0


def primal(model: object, X: np.ndarray, y: np.ndarray) -> float:
    """scikit-learn's objective, C * sum(cross-entropy) + ||W||^2 / 2, at a fitted model."""
    coef, intercept = model.coef_, model.intercept_  # type: ignore[attr-defined]
    Z = X @ coef.T + intercept
    if Z.shape[1] == 1:
        Z = np.column_stack([np.zeros(len(Z)), Z])
    labels = np.searchsorted(np.unique(y), y)
    top = Z.max(axis=1, keepdims=True)
    lse = (top + np.log(np.exp(Z - top).sum(axis=1, keepdims=True))).ravel()
    return float(np.sum(lse - Z[np.arange(len(y)), labels]) + np.sum(coef * coef) / 2)


if __name__ == "__main__":
    sys.exit(main())
