"""Broadcasting: how NumPy combines arrays of different shapes, and its classic pitfall.

    python examples/broadcasting.py

Rule: align the shapes from the right; two sizes fit when they are equal or one of them is 1,
and a size of 1 is stretched (without copying) to match the other.
"""

from __future__ import annotations

import sys

import numpy as np


def main() -> int:
    ok = True

    # Calories from carbs, proteins and fats (rows) in four foods (columns).
    A = np.array(
        [
            [56.0, 0.0, 4.4, 68.0],
            [1.2, 104.0, 52.0, 8.0],
            [1.8, 135.0, 99.0, 0.9],
        ]
    )
    totals = A.sum(axis=0, keepdims=True)  # shape (1, 4): keepdims keeps it a row
    percent = 100 * A / totals  # (3, 4) / (1, 4): the row is stretched down 3 rows
    print("percent of calories from carbs, proteins, fats:")
    print(percent.round(1))
    looped = np.array([[100 * A[i, j] / A[:, j].sum() for j in range(4)] for i in range(3)])
    ok &= np.allclose(percent, looped, rtol=1e-15)

    # (m, n) + (1, n), (m, n) + (m, 1) and (m, n) + scalar all work the same way.
    M = np.arange(6.0).reshape(2, 3)
    print("\n(2, 3) + (1, 3):\n", M + np.array([[10.0, 20.0, 30.0]]))
    print("(2, 3) + (2, 1):\n", M + np.array([[100.0], [200.0]]))
    print("(2, 3) + scalar:\n", M + 1)

    # The pitfall: a rank-1 array of shape (5,) is neither a row nor a column.
    a = np.arange(5.0)  # shape (5,)
    col = a.reshape(5, 1)  # shape (5, 1): an explicit column
    print(f"\na.shape = {a.shape}, a.T.shape = {a.T.shape} (transposing does nothing)")
    print(f"np.dot(a, a.T) = {np.dot(a, a.T)}  (a number, not a matrix)")
    outer = col @ col.T  # (5, 1) @ (1, 5) -> (5, 5)
    print(f"col @ col.T has shape {outer.shape}")
    ok &= outer.shape == (5, 5) and np.dot(a, a.T) == 30.0

    # A silent bug: subtracting a (5,) from a (5, 1) broadcasts to (5, 5) instead of failing.
    wrong = col - a
    print(f"(5, 1) - (5,) gives shape {wrong.shape}: check shapes with assert x.shape == ...")
    ok &= wrong.shape == (5, 5)

    print("\nall broadcasting results match the explicit loops" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
