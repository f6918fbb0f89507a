"""Newton's method against gradient descent on logistic regression.

Newton's method uses the Hessian, the matrix of second derivatives, to take curvature into
account: near the optimum each step roughly doubles the number of correct digits. Here the
Hessian comes two ways, from the Value engine (backpropagating the gradient again) and from
the closed form X diag(a(1-a)) X^T / m, and gradient descent runs on the same data.

    python examples/newton_logistic.py

Uses scikit-learn's breast-cancer set (pip install 'micrograd_lr[data]'): its 10
"standard error" features, standardized. (All 30 features separate the classes perfectly, so
the unregularized cost would have no minimum to find.) Without scikit-learn it falls back to
the embedded synthetic set.
"""

from __future__ import annotations

import time

import numpy as np

from micrograd_lr import datasets
from micrograd_lr.logistic import predict, train
from micrograd_lr.newton import newton


def load() -> tuple[str, np.ndarray, np.ndarray]:
    """(name, X of shape (n, m), y of shape (m,)), features standardized."""
    try:
        data = datasets.breast_cancer()
        name, X = "breast-cancer (10 error features)", data.X[:, 10:20]
    except ImportError:
        data = datasets.synthetic()
        name, X = "synthetic", data.X
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return name, X.T, data.y


def main() -> int:
    name, X, y = load()
    print(f"data: {name}, {X.shape[1]} examples, {X.shape[0]} features\n")
    print(f"{'method':<34} {'steps':>7} {'final cost':>22} {'accuracy':>9} {'time':>8}")
    runs = [
        ("Newton, closed-form Hessian", lambda: newton(X, y, engine="numpy")),
        ("Newton, Hessian by the Value engine", lambda: newton(X, y, engine="value")),
        (
            "gradient descent (step 1/L)",
            lambda: train(X, y, num_iterations=200_000, tol=1e-7, progress=False),
        ),
    ]
    for label, run in runs:
        start = time.perf_counter()
        result = run()
        seconds = time.perf_counter() - start
        accuracy = float(np.mean(predict(result.w, result.b, X).ravel() == y))
        print(
            f"{label:<34} {result.iterations:>7} {result.cost:>22.17g} "
            f"{accuracy:>9.4f} {seconds:>7.2f}s"
        )
    print("\nNewton's costs, step by step (watch the digits settle):")
    for step, cost in enumerate(newton(X, y).costs):
        print(f"  {step:>2}  {cost:.17g}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
