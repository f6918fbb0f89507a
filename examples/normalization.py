"""Normalizing features speeds up gradient descent: iterations to converge, with and without.

    python examples/normalization.py

Two features on very different scales (a few units and a few thousand) make the cost a long,
narrow valley: the step size that is safe along the steep direction is tiny along the flat
one. Standardizing each feature (subtract its mean, divide by its standard deviation) makes
the valley round. Each run uses its largest safe step, 1/L, where L is the largest eigenvalue
of X X^T / (4m) (with a row of ones for the bias): a fair race.
"""

from __future__ import annotations

import sys

import numpy as np


def make_data(m: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """X of shape (2, m): a small-scale feature and a large-scale one; noisy labels Y (1, m)."""
    rng = np.random.default_rng(seed)
    size = rng.normal(3.0, 1.0, m)  # e.g. rooms
    area = rng.normal(2000.0, 500.0, m)  # e.g. square feet
    logit = 1.5 * (size - 3.0) + 0.004 * (area - 2000.0)
    Y = (rng.random(m) < 1 / (1 + np.exp(-logit))).astype(float)[None, :]
    return np.vstack([size, area]), Y


def gradient(w, b, X, Y):
    A = 1 / (1 + np.exp(-(w.T @ X + b)))
    return X @ (A - Y).T / X.shape[1], float(np.mean(A - Y))


def iterations_to_converge(X, Y, *, tol: float = 1e-6, max_iterations: int = 200_000) -> int:
    """Gradient-descent steps until the gradient's norm is below ``tol`` (or the cap)."""
    ones = np.vstack([X, np.ones((1, X.shape[1]))])
    L = np.linalg.eigvalsh(ones @ ones.T / (4 * X.shape[1])).max()
    learning_rate = 1 / L
    w, b = np.zeros((X.shape[0], 1)), 0.0
    for step in range(max_iterations):
        dw, db = gradient(w, b, X, Y)
        if np.sqrt(np.sum(dw**2) + db**2) < tol:
            return step
        w, b = w - learning_rate * dw, b - learning_rate * db
    return max_iterations


def main() -> int:
    X, Y = make_data()
    mean, std = X.mean(axis=1, keepdims=True), X.std(axis=1, keepdims=True)
    X_norm = (X - mean) / std  # broadcasting: (2, m) - (2, 1)
    print(
        f"feature scales (std): {std.ravel().round(1)} -> after standardizing: "
        f"{X_norm.std(axis=1).round(1)}"
    )
    cap = 20_000
    raw = iterations_to_converge(X, Y, max_iterations=cap)
    normalized = iterations_to_converge(X_norm, Y, max_iterations=cap)
    shown = f"more than {cap:,} (stopped)" if raw == cap else f"{raw:,}"
    print(f"iterations to converge (|gradient| < 1e-6), raw features:          {shown}")
    print(f"iterations to converge (|gradient| < 1e-6), standardized features: {normalized:,}")
    return 0 if normalized < raw else 1


if __name__ == "__main__":
    sys.exit(main())
