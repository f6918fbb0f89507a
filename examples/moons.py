"""micrograd's demo on micrograd_lr: a small neural network learns to separate two moons.

    python examples/moons.py [--out FOLDER] [--steps 100] [--samples 100] [--check 24]
                             [--micrograd-steps 1]

The network, data, loss and training loop are those of micrograd's demo notebook: an
MLP(2, [16, 16, 1]) built after ``random.seed(1337)``, scikit-learn's ``make_moons(100,
noise=0.1)`` with labels -1/+1, the max-margin (hinge) loss with 1e-4 L2 regularization, and
100 steps of SGD with a learning rate decaying from 1.0 to 0.1. On top of the demo it

- checks the gradients of the first step against central differences
  (`micrograd_lr.gradcheck`), for a sample of parameters (``--check all`` for every one),
- times a training step beside micrograd's own, when micrograd is installed,
- writes the decision boundary to FOLDER/moons.png (needs matplotlib).

Needs scikit-learn (``pip install 'micrograd_lr[data,plot]'``). Exit status 0 when the
gradients check out and training reaches 100% accuracy (required of runs of 100 steps or
more), 1 when either fails, 2 for bad options or without scikit-learn.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from micrograd_lr import Value, gradcheck
from micrograd_lr.engine import no_grad
from micrograd_lr.nn import MLP

# Beside the examples, in a folder that .gitignore covers: running an example leaves the
# checkout clean.
DEFAULT_OUT = Path(__file__).parent / "out"
SEED = 1337  # the demo's


def make_data(samples: int) -> tuple[np.ndarray, np.ndarray]:
    """The demo's data: ``make_moons`` with noise 0.1, labels as -1 and +1."""
    from sklearn.datasets import make_moons

    np.random.seed(SEED)  # make_moons shuffles with NumPy's global generator, as in the demo
    X, y = make_moons(n_samples=samples, noise=0.1)
    return X, y * 2 - 1


def loss(model: Any, X: np.ndarray, y: np.ndarray, value: Callable = Value) -> tuple[Any, float]:
    """The demo's loss: mean hinge loss plus 1e-4 times the squared weights; and accuracy.

    ``value`` makes the inputs (``micrograd.engine.Value`` to run micrograd's model)."""
    inputs = [list(map(value, row)) for row in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * score).relu() for yi, score in zip(y, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    accuracy = [(yi > 0) == (score.data > 0) for yi, score in zip(y, scores, strict=True)]
    return data_loss + reg_loss, sum(accuracy) / len(accuracy)


def train(model: Any, X: np.ndarray, y: np.ndarray, steps: int, value: Callable = Value):
    """The demo's SGD loop; yields (step, loss, accuracy, seconds for the step)."""
    for k in range(steps):
        start = time.perf_counter()
        total_loss, accuracy = loss(model, X, y, value)
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        yield k, total_loss.data, accuracy, time.perf_counter() - start


# --- the gradient check -----------------------------------------------------------------------
def parameter_names(model: MLP) -> list[str]:
    """``L1.n3.w[0]``, ``L1.n3.b``, ...: layer, neuron and parameter, in parameters() order."""
    return [
        f"L{i}.n{j}.{name}"
        for i, layer in enumerate(model.layers, 1)
        for j, neuron in enumerate(layer.neurons)
        for name in [*(f"w[{k}]" for k in range(len(neuron.w))), "b"]
    ]


def _load(model: MLP, values: Sequence[Value]) -> None:
    """Put ``values`` in the places of the model's parameters (parameters() order)."""
    it = iter(values)
    for layer in model.layers:
        for neuron in layer.neurons:
            neuron.w = [next(it) for _ in neuron.w]
            neuron.b = next(it)


def check_gradients(model: MLP, X: np.ndarray, y: np.ndarray, which: list[int]):
    """Backpropagated d loss / d parameter against central differences, for the parameters
    at the indices ``which`` (the others held fixed). Returns `gradcheck`'s result."""
    params = model.parameters()
    names = parameter_names(model)

    def f(*checked: Value) -> Value:
        values = list(params)
        for i, v in zip(which, checked, strict=True):
            values[i] = v
        _load(model, values)
        try:
            return loss(model, X, y)[0]
        finally:
            _load(model, params)

    points = [Value(params[i].data, names[i]) for i in which]
    return gradcheck(f, points, raise_exception=False)


# --- the plot ---------------------------------------------------------------------------------
def plot_boundary(model: MLP, X: np.ndarray, y: np.ndarray, path: Path, title: str) -> bool:
    """The demo's picture: the sign of the score over a grid, and the data. False when
    matplotlib is missing."""
    try:
        from matplotlib import colormaps
        from matplotlib.figure import Figure  # no pyplot: works without a display
    except ImportError:
        return False
    from micrograd_lr.plots import save_figure

    h = 0.25
    x_min, x_max = X[:, 0].min() - 1, X[:, 0].max() + 1
    y_min, y_max = X[:, 1].min() - 1, X[:, 1].max() + 1
    xx, yy = np.meshgrid(np.arange(x_min, x_max, h), np.arange(y_min, y_max, h))
    with no_grad():  # inference only: no graph is kept
        scores = [model(list(map(Value, row))) for row in np.c_[xx.ravel(), yy.ravel()]]
    Z = np.array([s.data > 0 for s in scores]).reshape(xx.shape)

    fig = Figure(figsize=(5, 5))
    ax = fig.subplots()
    spectral = colormaps["Spectral"]
    ax.contourf(xx, yy, Z, cmap=spectral, alpha=0.8)
    ax.scatter(X[:, 0], X[:, 1], c=y, s=40, cmap=spectral, edgecolors="k", linewidths=0.5)
    ax.set(xlim=(xx.min(), xx.max()), ylim=(yy.min(), yy.max()), title=title)
    fig.tight_layout()
    save_figure(fig, path, dpi=80)
    return True


# --- the comparison with micrograd ------------------------------------------------------------
def time_micrograd(X: np.ndarray, y: np.ndarray, steps: int) -> float | None:
    """Median seconds per training step of micrograd's own MLP on the same data (None when
    micrograd is not installed)."""
    try:
        from micrograd import nn as micrograd_nn
        from micrograd.engine import Value as MicrogradValue
    except ImportError:
        return None
    random.seed(SEED)
    model = micrograd_nn.MLP(2, [16, 16, 1])
    return statistics.median(s for *_, s in train(model, X, y, steps, MicrogradValue))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"folder for moons.png ({DEFAULT_OUT})"
    )
    parser.add_argument("--steps", type=int, default=100, help="SGD steps (100)")
    parser.add_argument("--samples", type=int, default=100, help="points in the data (100)")
    parser.add_argument(
        "--check",
        default="24",
        help="how many parameters to check against finite differences, or 'all' (24)",
    )
    parser.add_argument(
        "--micrograd-steps",
        type=int,
        default=1,
        help="steps of micrograd's own training to time, 0 for none (1; ~1.5 s each)",
    )
    args = parser.parse_args(argv)
    if args.steps < 1 or args.samples < 2 or args.micrograd_steps < 0:
        parser.error("--steps must be >= 1, --samples >= 2 and --micrograd-steps >= 0")
    if args.check != "all" and not (args.check.isdigit() and int(args.check) > 0):
        parser.error(f"--check must be a positive number or 'all', got {args.check!r}")
    try:
        X, y = make_data(args.samples)
    except ImportError:
        print("moons.py needs scikit-learn: pip install 'micrograd_lr[data]'", file=sys.stderr)
        return 2

    random.seed(SEED)
    model = MLP(2, [16, 16, 1])
    print(f"{model!r:.60}...\n{len(model.parameters())} parameters, {len(X)} points")

    # 1. The gradients of the first step, against central differences.
    n = len(model.parameters())
    if args.check == "all":
        which = list(range(n))
    else:  # a fixed sample, so every run checks the same parameters
        which = sorted(random.Random(0).sample(range(n), k=min(n, int(args.check))))
    result = check_gradients(model, X, y, which)
    print(
        f"gradient check of step 0 ({len(which)} of {n} parameters): largest error "
        f"{result.max_abs_error:.1e} absolute, {result.max_rel_error:.1e} relative "
        f"-> {'ok' if result.passed else 'FAILED'}"
    )
    if not result.passed:
        print(result.report())

    # 2. Training, as in the demo.
    seconds = []
    for k, total_loss, accuracy, s in train(model, X, y, args.steps):
        seconds.append(s)
        if k % 10 == 0 or k == args.steps - 1:
            print(f"step {k} loss {total_loss:.6f}, accuracy {accuracy * 100:g}%")
    final_accuracy = loss(model, X, y)[1]
    ours = statistics.median(seconds)
    print(f"micrograd_lr: {ours * 1e3:.1f} ms per step (median of {len(seconds)})")
    theirs = time_micrograd(X, y, args.micrograd_steps) if args.micrograd_steps else None
    if theirs is not None:
        print(
            f"micrograd:    {theirs * 1e3:.1f} ms per step (median of {args.micrograd_steps}) "
            f"-> micrograd_lr is {theirs / ours:.0f}x faster"
        )

    # 3. The decision boundary.
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "moons.png"
    title = f"MLP(2, [16, 16, 1]) after {args.steps} steps: {final_accuracy * 100:g}% accuracy"
    if plot_boundary(model, X, y, path, title):
        print(f"decision boundary written to {path}")
    else:
        print("plot skipped: pip install 'micrograd_lr[plot]'")
    # The demo's promise: 100 steps reach 100%. Shorter runs only have to check out.
    trained = final_accuracy == 1.0 or args.steps < 100
    if not trained:
        print(f"FAILED: {args.steps} steps reached {final_accuracy * 100:g}%, not 100%")
    return 0 if result.passed and trained else 1


if __name__ == "__main__":
    sys.exit(main())
