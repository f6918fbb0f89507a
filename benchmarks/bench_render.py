"""Time to render a computation graph to SVG with Graphviz ``dot``, against its node count.

Run from the repository root::

    python benchmarks/bench_render.py                  # sizes 50..500, up to 3 repeats
    python benchmarks/bench_render.py --quick          # sizes 20 40, one repeat (<10 s)

Five shapes of graph, each drawn by `micrograd_lr.render.write` (so with everything a user
gets: the bounded layout above `LARGE_GRAPH` Values, the larger stack, the timeout):

- chain: ``tanh(tanh(...tanh(x)))``, every node used once;
- fan-out: ``tanh(...tanh(tanh(a*b)*b)...*b)``, one leaf feeding every step;
- product: ``x*x*...*x``, the same leaf in every product (crashed dot at 301 nodes);
- fan-in: ``a0*w0 + a1*w1 + ...``, many leaves summed into one chain;
- random: a random DAG over 4 leaves, each op taking one or two earlier Values.

Sizes are counted in Values (what ``max_nodes`` counts). Repeats are interleaved (every
shape and size once, then again) and each cell is the median; a render that takes longer
than a few seconds is not repeated. A render that hits the timeout ends its shape's row.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from micrograd_lr import Value
from micrograd_lr.errors import GraphvizTimeoutError
from micrograd_lr.graph import size
from micrograd_lr.render import write

__all__ = ["SHAPES", "main"]


def chain(n: int) -> Value:
    x = Value(0.5, "x")
    for _ in range(n - 1):
        x = x.tanh()
    return x


def fan_out(n: int) -> Value:
    a, b = Value(0.5, "a"), Value(0.9, "b")
    s = a
    for _ in range((n - 2) // 2):
        s = (s * b).tanh()
    return s


def product(n: int) -> Value:
    x = Value(1.001, "x")
    p = x
    for _ in range(n - 1):
        p = p * x
    return p


def fan_in(n: int) -> Value:
    total: Value | None = None
    for i in range(n // 4):
        term = Value(0.5, f"a{i}") * Value(0.25, f"w{i}")
        total = term if total is None else total + term
    assert total is not None
    return total


def random_dag(n: int, seed: int = 0) -> Value:
    rng = random.Random(seed)
    nodes = [Value(rng.uniform(0.1, 1.0), name) for name in "abcd"]
    while len(nodes) < n:
        x = nodes[rng.randrange(len(nodes))]
        if rng.random() < 0.3:
            nodes.append(x.tanh())
        else:
            y = nodes[rng.randrange(len(nodes))]
            nodes.append(x * y if rng.random() < 0.5 else x + y)
    out = nodes[-1]
    for node in reversed(nodes[:-1]):  # keep every Value reachable from the root
        if size(out) >= n:
            break
        out = out + node
    return out


SHAPES: dict[str, Callable[[int], Value]] = {
    "chain": chain,
    "fan-out": fan_out,
    "product": product,
    "fan-in": fan_in,
    "random": random_dag,
}


def _time_render(root: Value, folder: str, timeout: float) -> float | None:
    start = time.perf_counter()
    try:
        write(root, os.path.join(folder, "g.svg"), max_nodes=None, timeout=timeout)
    except GraphvizTimeoutError:
        return None
    return time.perf_counter() - start


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repeat")
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 200, 300, 400, 500])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--repeat-below", type=float, default=5.0, help="seconds")
    args = parser.parse_args(argv)
    sizes, repeats = ([20, 40], 1) if args.quick else (args.sizes, args.repeats)

    roots = {(shape, n): make(n) for shape, make in SHAPES.items() for n in sizes}
    for root in roots.values():
        root.backward()
    times: dict[tuple[str, int], list[float | None]] = {key: [] for key in roots}
    stopped: set[str] = set()
    with tempfile.TemporaryDirectory() as folder:
        for repeat in range(repeats):
            for n in sizes:
                for shape in SHAPES:
                    seen = times[shape, n]
                    if shape in stopped or (
                        repeat and (None in seen or min(t for t in seen if t) > args.repeat_below)
                    ):
                        continue
                    seconds = _time_render(roots[shape, n], folder, args.timeout)
                    seen.append(seconds)
                    if seconds is None:
                        stopped.add(shape)
                    print(f"  {shape} {n}: {seconds}", file=sys.stderr, flush=True)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"Render time to SVG (s, median of up to {repeats}), by Values in the graph; "
        f"dot {_dot_version()}, load average {load:.1f} on {os.cpu_count()} cores"
    )
    print()
    print("| Values | " + " | ".join(SHAPES) + " |")
    print("|---:|" + "---:|" * len(SHAPES))
    for n in sizes:
        cells = []
        for shape in SHAPES:
            seen = times[shape, n]
            if not seen:
                cells.append("-")
            elif None in seen:
                cells.append(f"> {args.timeout:g}")
            else:
                cells.append(f"{statistics.median(t for t in seen if t is not None):.2f}")
        print(f"| {n} | " + " | ".join(cells) + " |")
    return 0


def _dot_version() -> str:
    import subprocess

    try:
        done = subprocess.run(["dot", "-V"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "(not found)"
    return done.stderr.strip().removeprefix("dot - graphviz version ")


if __name__ == "__main__":
    sys.exit(main())
