"""Logistic regression from scratch, twice: vectorized NumPy and a graph of Values.

    python examples/logistic_from_scratch.py

Both versions compute the same cost
    J(w, b) = -(1/m) sum_i [ y_i log a_i + (1 - y_i) log(1 - a_i) ],  a_i = sigmoid(w.x_i + b)
and its gradient. NumPy uses the closed form dJ/dw = X (A - Y)^T / m, dJ/db = mean(A - Y);
the Value engine builds the cost as a graph and runs backward. They must agree at every step.
"""

from __future__ import annotations

import sys

import numpy as np

from micrograd_lr import Value


def make_data(m: int = 120, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian blobs in 2-D. X has shape (2, m) (one column per example), Y (1, m)."""
    rng = np.random.default_rng(seed)
    Y = (rng.random((1, m)) < 0.5).astype(float)
    centers = np.where(Y == 1, 1.0, -1.0)  # class 1 around (1, 1), class 0 around (-1, -1)
    X = centers + rng.normal(scale=1.0, size=(2, m))
    return X, Y


def numpy_cost_and_gradients(w, b, X, Y):
    """The vectorized forward pass and the closed-form gradient."""
    m = X.shape[1]
    A = 1 / (1 + np.exp(-(w.T @ X + b)))  # (1, m): every prediction at once
    cost = -np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A))
    dw = X @ (A - Y).T / m  # (n, 1)
    db = np.mean(A - Y)
    return cost, dw, db


def value_cost_and_gradients(w, b, X, Y):
    """The same cost built from scalar Values, one example at a time, then backward."""
    n, m = X.shape
    w_leaves = [Value(float(w[j, 0]), f"w{j}") for j in range(n)]
    b_leaf = Value(float(b), "b")
    total = Value(0.0)
    for i in range(m):
        z = b_leaf
        for j in range(n):
            z = z + w_leaves[j] * float(X[j, i])  # the number is folded into the * node
        a = z.sigmoid()
        y = float(Y[0, i])
        total = total - (y * a.log() + (1 - y) * (1 - a).log())
    cost = total / m
    cost.backward()
    dw = np.array([[leaf.grad] for leaf in w_leaves])
    return cost.data, dw, b_leaf.grad


def main() -> int:
    X, Y = make_data()
    w, b = np.zeros((X.shape[0], 1)), 0.0
    learning_rate, iterations = 0.5, 100
    worst = 0.0
    for step in range(iterations):
        cost_np, dw_np, db_np = numpy_cost_and_gradients(w, b, X, Y)
        cost_v, dw_v, db_v = value_cost_and_gradients(w, b, X, Y)
        # The two engines sum in different orders: agreement to ~1e-15 is the float limit.
        worst = max(worst, np.max(np.abs(dw_np - dw_v)), abs(db_np - db_v))
        if step % 20 == 0:
            print(f"step {step:3d}: cost numpy {cost_np:.10f}  values {cost_v:.10f}")
        w, b = w - learning_rate * dw_np, b - learning_rate * db_np

    A = 1 / (1 + np.exp(-(w.T @ X + b)))
    accuracy = np.mean((A > 0.5) == (Y == 1))
    print(f"w = {w.ravel().round(4)}, b = {b:.4f}, training accuracy {accuracy:.1%}")
    print(f"largest gradient difference between the engines over {iterations} steps: {worst:.2e}")
    return 0 if worst < 1e-12 and accuracy > 0.8 else 1


if __name__ == "__main__":
    sys.exit(main())
