"""Softmax regression on the ten handwritten digits, with a confusion-matrix picture.

One model for ten classes: ``P(class k | x) = softmax(W^T x + b)_k``, fitted by
`micrograd_lr.LogisticRegression` (C=1.0, L2, the multinomial cross-entropy) on three
quarters of scikit-learn's 8x8 digits, standardized, and scored on the other quarter.
Prints the accuracy of each digit and the confusion matrix, and draws the matrix.

    python examples/softmax_digits.py [--out micrograd_lr_demo/softmax_digits.png]

Needs scikit-learn (the data) and matplotlib (the picture):
pip install 'micrograd_lr[data,plot]'. Exit status 0 on success, 2 for a bad ``--out`` or
a missing package (one line on stderr, nothing written).
"""

from __future__ import annotations

import argparse
import io
import os
import sys

import numpy as np

from micrograd_lr import LogisticRegression
from micrograd_lr.atomic import write_atomic
from micrograd_lr.plots import check_path

DEFAULT_OUT = "micrograd_lr_demo/softmax_digits.png"  # the demo's git-ignored folder


def confusion_matrix(truth: np.ndarray, predicted: np.ndarray, K: int) -> np.ndarray:
    """``C[i, j]``: how many examples of class ``i`` were predicted as ``j``."""
    matrix = np.zeros((K, K), dtype=np.int64)
    np.add.at(matrix, (truth, predicted), 1)
    return matrix


def draw(matrix: np.ndarray, path: str, suffix: str, accuracy: float) -> None:
    """The confusion matrix as a heat map with the counts written in, saved atomically."""
    from matplotlib.figure import Figure

    K = matrix.shape[0]
    figure = Figure(figsize=(6.4, 5.6), layout="constrained")
    axes = figure.add_subplot()
    image = axes.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=axes, label="test examples")
    for i in range(K):
        for j in range(K):
            if matrix[i, j]:
                light = matrix[i, j] > matrix.max() / 2
                axes.text(
                    j,
                    i,
                    str(matrix[i, j]),
                    ha="center",
                    va="center",
                    color="white" if light else "black",
                    fontsize=8,
                )
    axes.set_xticks(range(K))
    axes.set_yticks(range(K))
    axes.set_xlabel("predicted digit")
    axes.set_ylabel("true digit")
    axes.set_title(f"Softmax regression on the digits: test accuracy {accuracy:.1%}")
    buffer = io.BytesIO()
    figure.savefig(buffer, format=suffix)
    write_atomic(path, buffer.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"the picture (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        print(
            "error: the digits need scikit-learn: pip install 'micrograd_lr[data]'", file=sys.stderr
        )
        return 2
    if args.out == DEFAULT_OUT:
        os.makedirs(os.path.dirname(DEFAULT_OUT), exist_ok=True)
    try:
        path, suffix = check_path(args.out)
    except (ValueError, ModuleNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    X, y = load_digits(return_X_y=True)
    test = np.arange(len(y)) % 4 == 0  # every fourth example, all ten digits in both parts
    mean, scale = X[~test].mean(axis=0), X[~test].std(axis=0)
    scale[scale == 0] = 1.0  # the always-blank corner pixels stay 0
    X = (X - mean) / scale
    model = LogisticRegression(C=1.0, max_iter=1000).fit(X[~test], y[~test])
    predicted = model.predict(X[test])
    K = len(model.classes_)
    matrix = confusion_matrix(y[test], predicted, K)
    accuracy = float(np.mean(predicted == y[test]))

    print(
        f"{K} classes, {(~test).sum()} training and {test.sum()} test examples, "
        f"{X.shape[1]} pixels; solver {model.solver_}, {model.n_iter_[0]} iterations"
    )
    print(f"train accuracy {model.score(X[~test], y[~test]):.4f}, test accuracy {accuracy:.4f}\n")
    print("digit  test examples  accuracy")
    for k in range(K):
        print(f"{k:>5}  {matrix[k].sum():>13}  {matrix[k, k] / matrix[k].sum():>8.4f}")
    print("\nconfusion matrix (rows: true digit, columns: predicted)")
    print("    " + "".join(f"{k:>4}" for k in range(K)))
    for k in range(K):
        print(f"{k:>4}" + "".join(f"{v:>4}" for v in matrix[k]))
    draw(matrix, path, suffix, accuracy)
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
