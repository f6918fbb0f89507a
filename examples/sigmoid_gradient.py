"""The sigmoid and its gradient, three ways: the formula s(1 - s), backprop, and a slope.

    python examples/sigmoid_gradient.py

The sigmoid squashes any number into (0, 1); its derivative is largest (0.25) at 0 and
vanishes for large |x|, which is why saturated units learn slowly.
"""

from __future__ import annotations

import sys

import numpy as np

from micrograd_lr import Value
from micrograd_lr.numpy_basics import sigmoid, sigmoid_derivative


def main() -> int:
    x = np.array([-10.0, -2.0, -0.5, 0.0, 0.5, 2.0, 10.0])

    # 1. The formula, vectorized: one call for the whole array.
    formula = sigmoid_derivative(x)

    # 2. Backpropagation: one small graph per point, s = sigmoid(v), then s.backward().
    backprop = []
    for xi in x:
        v = Value(float(xi), "x")
        v.sigmoid().backward()
        backprop.append(v.grad)

    # 3. The slope of the curve, measured: (s(x + h) - s(x - h)) / 2h.
    h = 1e-5
    slope = (sigmoid(x + h) - sigmoid(x - h)) / (2 * h)

    print(f"{'x':>6} {'sigmoid':>10} {'s(1-s)':>12} {'backprop':>12} {'slope':>12}")
    for row in zip(x, sigmoid(x), formula, backprop, slope, strict=True):
        print(f"{row[0]:>6g} {row[1]:>10.6f} {row[2]:>12.6e} {row[3]:>12.6e} {row[4]:>12.6e}")

    agree = np.allclose(formula, backprop, rtol=1e-14, atol=0) and np.allclose(
        formula, slope, rtol=1e-6, atol=1e-12
    )
    print("formula, backprop and slope agree" if agree else "MISMATCH")
    print(f"largest gradient: {formula.max()} at x = {x[formula.argmax()]:g}")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
