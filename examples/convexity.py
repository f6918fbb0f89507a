"""Why logistic regression uses log-loss: squared error is not convex, log-loss is.

    python examples/convexity.py [--out FOLDER]     (writes FOLDER/convexity.png)

One weight w, predictions a = sigmoid(w x). With squared error, the cost flattens out where
the sigmoid saturates, so gradient descent started there barely moves; with log-loss the cost
is convex (one valley, no plateaus) and gradient descent reaches the minimum. Gradients come
from the Value engine; the plot (needs matplotlib) shows both costs and both descent paths.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from micrograd_lr import Value
from micrograd_lr.plots import save_figure

# Beside the examples, in a folder that .gitignore covers: running an example leaves the
# checkout clean.
DEFAULT_OUT = Path(__file__).parent / "out"


def make_data(m: int = 60, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """1-D inputs and noisy labels drawn with P(y = 1) = sigmoid(2x): best w is about 2."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=m)
    y = (rng.random(m) < 1 / (1 + np.exp(-2 * x))).astype(float)
    return x, y


def squared_error(w: Value, x: np.ndarray, y: np.ndarray) -> Value:
    total = Value(0.0)
    for xi, yi in zip(x, y, strict=True):
        total = total + ((w * float(xi)).sigmoid() - float(yi)) ** 2
    return total / len(x)


def log_loss(w: Value, x: np.ndarray, y: np.ndarray) -> Value:
    total = Value(0.0)
    for xi, yi in zip(x, y, strict=True):
        a = (w * float(xi)).sigmoid()
        total = total - (float(yi) * a.log() + (1 - float(yi)) * (1 - a).log())
    return total / len(x)


def descend(cost, x, y, w0: float, learning_rate: float, steps: int) -> list[float]:
    """Gradient descent on one weight; returns every w visited."""
    path = [w0]
    for _ in range(steps):
        w = Value(path[-1], "w")
        cost(w, x, y).backward()
        path.append(path[-1] - learning_rate * w.grad)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"folder (default {DEFAULT_OUT})"
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / "convexity.png"
    x, y = make_data()
    grid = np.linspace(-10, 10, 201)
    costs = {
        name: np.array([f(Value(float(w)), x, y).data for w in grid])
        for name, f in (("squared error", squared_error), ("log-loss", log_loss))
    }

    # Convex means every second difference is >= 0 (the curve bends upwards everywhere).
    curvature = {name: np.diff(c, 2).min() for name, c in costs.items()}
    for name, bend in curvature.items():
        print(
            f"{name:>13}: smallest second difference {bend:+.2e} -> "
            f"{'convex' if bend >= -1e-12 else 'NOT convex'} on [-10, 10]"
        )

    w0, steps = -8.0, 100
    paths = {
        "squared error": descend(squared_error, x, y, w0, learning_rate=2.0, steps=steps),
        "log-loss": descend(log_loss, x, y, w0, learning_rate=2.0, steps=steps),
    }
    best_w = grid[costs["log-loss"].argmin()]
    for name, path in paths.items():
        print(
            f"{name:>13}: gradient descent from w = {w0:g} ends at w = {path[-1]:.3f} "
            f"after {steps} steps"
        )
    print(f"the log-loss minimum on the grid is at w = {best_w:.1f}")

    plot(grid, costs, paths, x, y, out)
    ok = curvature["log-loss"] >= -1e-12 > curvature["squared error"]
    ok = ok and abs(paths["log-loss"][-1] - best_w) < 0.2 and paths["squared error"][-1] < 0
    return 0 if ok else 1


def plot(grid, costs, paths, x, y, out: Path) -> None:
    try:
        from matplotlib.figure import Figure  # no pyplot: works without a display
    except ImportError:
        print("plot skipped: pip install matplotlib")
        return
    fig = Figure(figsize=(10, 4))
    for ax, (name, c) in zip(fig.subplots(1, 2), costs.items(), strict=True):
        f = squared_error if name == "squared error" else log_loss
        path = paths[name]
        ax.plot(grid, c, label=f"{name} J(w)")
        ax.plot(path, [f(Value(w), x, y).data for w in path], "o-", ms=3, label="descent")
        ax.set(title=name, xlabel="w", ylabel="cost")
        ax.legend()
    fig.tight_layout()
    save_figure(fig, out, dpi=80)
    print(f"plot written to {out}")


if __name__ == "__main__":
    sys.exit(main())
