"""Softmax, the L1 loss and the L2 loss, vectorized, and their gradients through Values.

    python examples/softmax_and_losses.py

softmax turns a row of scores into probabilities; L1 = sum |y - yhat| and
L2 = sum (y - yhat)**2 measure how far predictions are from the truth. The gradients the
Value engine finds are compared with the closed forms:
    d softmax_i / d x_j = s_i (delta_ij - s_j),  d L1 / d yhat = sign(yhat - y),
    d L2 / d yhat = 2 (yhat - y).
"""

from __future__ import annotations

import sys

import numpy as np

from micrograd_lr import Value
from micrograd_lr.numpy_basics import l1, l2, softmax


def main() -> int:
    ok = True

    # Softmax of each row; subtracting the row's max first keeps exp from overflowing.
    scores = np.array([[9.0, 2.0, 5.0, 0.0, 0.0], [7.0, 5.0, 0.0, 0.0, 0.0]])
    probs = softmax(scores)
    print("softmax rows:\n", probs.round(4))
    print("row sums:", probs.sum(axis=1), "| softmax([1000, 1000]) =", softmax([1000.0, 1000.0]))

    # The same softmax of the first row as a graph of Values, then d probs[0] / d scores.
    x = [Value(float(v), f"x{i}") for i, v in enumerate(scores[0])]
    exps = [xi.exp() for xi in x]
    total = sum(exps[1:], exps[0])
    first = exps[0] / total
    first.backward()
    s = probs[0]
    closed = s[0] * ((np.arange(5) == 0) - s)  # s_0 (delta_0j - s_j)
    engine = np.array([xi.grad for xi in x])
    print("d softmax_0 / d x: engine", engine.round(6), "closed form", closed.round(6))
    ok &= np.allclose(engine, closed, rtol=1e-12, atol=1e-15)

    # L1 and L2, with their gradients through Values.
    yhat = np.array([0.9, 0.2, 0.1, 0.4, 0.9])
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    print(f"\nL1 = {l1(yhat, y):.4f}, L2 = {l2(yhat, y):.4f}")
    for name, loss, grad in (
        ("L1", lambda p, t: abs(t - p), np.sign(yhat - y)),
        ("L2", lambda p, t: (t - p) ** 2, 2 * (yhat - y)),
    ):
        leaves = [Value(float(v)) for v in yhat]
        terms = [loss(p, float(t)) for p, t in zip(leaves, y, strict=True)]
        value = sum(terms[1:], terms[0])
        value.backward()
        engine = np.array([leaf.grad for leaf in leaves])
        print(f"d{name}/dyhat: engine {engine.round(4)}, closed form {grad.round(4)}")
        ok &= np.allclose(engine, grad, rtol=1e-15)
        ok &= abs(value.data - (l1(yhat, y) if name == "L1" else l2(yhat, y))) < 1e-12

    print("\nevery gradient matches its closed form" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
