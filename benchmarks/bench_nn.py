"""Training steps of micrograd's moons demo: micrograd_lr.nn against micrograd 0.1.0.

Run from the repository root::

    python benchmarks/bench_nn.py            # 100 points, 3 steps, 5 repeats (~30 s idle)
    python benchmarks/bench_nn.py --quick    # 30 points, 2 steps, 3 repeats (< 10 s)

A step is the demo's: the hinge loss with L2 regularization over every point of
``make_moons(noise=0.1)`` through an ``MLP(2, [16, 16, 1])`` built after
``random.seed(1337)``, ``zero_grad``, ``backward`` and the SGD update. Each repeat runs a
few consecutive steps from a new model, as the demo's loop does (so each step's garbage is
collected during the next, as in a real run). Three variants run interleaved in one
process, the order rotating between repeats so background load hits each alike: micrograd,
micrograd_lr (a neuron's weighted sum is one node) and micrograd_lr with ``composed=True``
(micrograd's graph, node for node). Each cell is the median over the repeats of the time
per step; the ratios are micrograd's time over each variant's. The garbage collector stays
on and its share of the time is measured (``gc.callbacks``).
"""

from __future__ import annotations

import argparse
import gc
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["VARIANTS", "main", "step"]

# Measure the checkout this script belongs to, not whichever micrograd_lr is installed; and
# share the engine benchmark's tools.
_HERE = Path(__file__).resolve().parent
for _folder in (str(_HERE.parent), str(_HERE)):
    if _folder not in sys.path:
        sys.path.insert(0, _folder)

from bench_engine import GCClock  # noqa: E402  (found through the path set just above)

SEED = 1337


def _variants() -> dict[str, tuple[Callable[[], Any], type]]:
    """name -> (a function building the demo's model, the Value class for its inputs)."""
    from micrograd_lr import Value
    from micrograd_lr.nn import MLP

    variants: dict[str, tuple[Callable[[], Any], type]] = {}
    try:
        from micrograd import nn as micrograd_nn  # type: ignore[import-untyped,unused-ignore]
        from micrograd.engine import Value as MicrogradValue  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        pass
    else:
        variants["micrograd"] = (lambda: micrograd_nn.MLP(2, [16, 16, 1]), MicrogradValue)
    variants["micrograd_lr"] = (lambda: MLP(2, [16, 16, 1]), Value)
    variants["micrograd_lr composed"] = (lambda: MLP(2, [16, 16, 1], composed=True), Value)
    return variants


VARIANTS = ("micrograd", "micrograd_lr", "micrograd_lr composed")


def step(model: Any, value: type, X: Any, y: Any, k: int = 0) -> Any:
    """Step ``k`` of the demo's training loop; returns the loss (the root of the graph)."""
    inputs = [[value(float(a)) for a in row] for row in X]
    scores = [model(x) for x in inputs]
    losses = [(1 + -int(yi) * s).relu() for yi, s in zip(y, scores, strict=True)]
    total = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())
    model.zero_grad()
    total.backward()
    learning_rate = 1.0 - 0.9 * k / 100
    for p in model.parameters():
        p.data -= learning_rate * p.grad
    return total


def _count_nodes(root: Any) -> int:
    seen = {id(root)}
    stack = [root]
    while stack:
        node = stack.pop()
        parents = node._prev if hasattr(node, "_prev") else node.parents
        for p in parents:
            if id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    return len(seen)


def measure(samples: int, repeats: int, steps: int) -> dict[str, dict[str, float]]:
    """Median seconds per step (over repeats of ``steps`` consecutive steps from a new
    model, as in the demo's loop), GC share, nodes and first loss of every variant."""
    import numpy as np
    from sklearn.datasets import make_moons

    np.random.seed(SEED)
    X, y = make_moons(n_samples=samples, noise=0.1)
    y = y * 2 - 1
    variants = _variants()
    names = list(variants)
    times: dict[str, list[float]] = {name: [] for name in names}
    gc_shares: dict[str, list[float]] = {name: [] for name in names}
    results: dict[str, dict[str, float]] = {}
    for r in range(repeats):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            build, value = variants[name]
            random.seed(SEED)
            model = build()
            gc.collect()
            clock = GCClock()
            gc.callbacks.append(clock)
            losses = []
            try:
                start = time.perf_counter_ns()
                for k in range(steps):
                    root = step(model, value, X, y, k)
                    losses.append(root.data)
                elapsed = time.perf_counter_ns() - start
            finally:
                gc.callbacks.remove(clock)
            times[name].append(elapsed / 1e9 / steps)
            gc_shares[name].append(clock.total_ns / elapsed)
            results[name] = {"loss": losses[0], "nodes": _count_nodes(root)}
            del model, root
    for name in names:
        results[name]["seconds"] = statistics.median(times[name])
        results[name]["gc"] = statistics.median(gc_shares[name])
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="30 points, 2 steps, 3 repeats")
    parser.add_argument("--samples", type=int, help="points in the data (100)")
    parser.add_argument("--repeats", type=int, help="interleaved repeats (5)")
    parser.add_argument("--steps", type=int, help="consecutive steps per repeat (3)")
    args = parser.parse_args(argv)
    samples = args.samples or (30 if args.quick else 100)
    repeats = args.repeats or (3 if args.quick else 5)
    steps = args.steps or (2 if args.quick else 3)
    if samples < 2 or repeats < 1 or steps < 1:
        parser.error("--samples must be >= 2, --repeats >= 1 and --steps >= 1")
    try:
        results = measure(samples, repeats, steps)
    except ImportError as error:
        print(f"bench_nn needs scikit-learn: pip install 'micrograd_lr[data]' ({error})")
        return 2
    print(
        f"moons demo, time per training step: {samples} points, MLP(2, [16, 16, 1]), "
        f"{steps} consecutive steps from a new model, median of {repeats} interleaved "
        f"repeats; Python {platform.python_version()}, {platform.machine()}\n"
    )
    print("| variant | ms per step | graph nodes | GC share | micrograd's time / this |")
    print("|---|---:|---:|---:|---:|")
    reference = results.get("micrograd", {}).get("seconds")
    for name, r in results.items():
        ratio = f"{reference / r['seconds']:.1f}x" if reference else "n/a"
        print(
            f"| {name} | {r['seconds'] * 1e3:.1f} | {int(r['nodes'])} | {r['gc']:.0%} | {ratio} |"
        )
    losses = {r["loss"] for r in results.values()}
    print(f"\nloss at step 0, every variant: {', '.join(map(repr, sorted(losses)))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
