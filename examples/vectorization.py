"""Vectorization: the same computations with Python loops and with NumPy, timed.

    python examples/vectorization.py

A loop runs the Python interpreter once per element; NumPy runs one call of compiled code
over the whole array. The results are the same (up to the order of floating-point sums);
only the time differs.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from micrograd_lr.demo import single_threaded_blas


def timed(f, repeats=3):
    """f's result and its fastest time in milliseconds over a few runs."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        result = f()
        best = min(best, time.perf_counter() - start)
    return result, best * 1e3


def main() -> int:
    rng = np.random.default_rng(0)
    n = 200_000
    x1, x2 = rng.random(n), rng.random(n)
    l1, l2 = x1.tolist(), x2.tolist()
    W = rng.random((3, n))

    def loop_dot():
        total = 0.0
        for i in range(n):
            total += l1[i] * l2[i]
        return total

    def loop_elementwise():
        return [l1[i] * l2[i] for i in range(n)]

    def loop_matvec():  # W @ x1, one row at a time, one element at a time
        return [sum(W[r, i] * l1[i] for i in range(n)) for r in range(W.shape[0])]

    cases = [
        ("dot product      x1 . x2", loop_dot, lambda: np.dot(x1, x2)),
        ("element-wise     x1 * x2", loop_elementwise, lambda: x1 * x2),
        ("matrix-vector    W @ x1", loop_matvec, lambda: W @ x1),
    ]
    ok = True
    print(f"vectors of {n:,} numbers; times are the best of 3 runs")
    for name, loop, vectorized in cases:
        loop_result, loop_ms = timed(loop, repeats=1 if loop is loop_matvec else 3)
        # One core each, a fair fight (and multi-threaded BLAS can stall on a busy machine).
        with single_threaded_blas():
            numpy_result, numpy_ms = timed(vectorized)
        same = np.allclose(loop_result, numpy_result, rtol=1e-12)
        ok &= same
        print(
            f"{name}: loop {loop_ms:8.1f} ms, NumPy {numpy_ms:7.3f} ms, "
            f"{loop_ms / numpy_ms:6.0f}x faster, same result: {same}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
