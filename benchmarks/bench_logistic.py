"""Logistic regression speed: micrograd 0.1.0 against micrograd_lr (composed and fused graphs)
and the vectorized NumPy closed form; and the vectorized gradient on a large X against the
memory-bandwidth limit of its two matrix products.

Run:  python benchmarks/bench_logistic.py            (about a minute)
      python benchmarks/bench_logistic.py --quick    (tiny sizes: checks that it runs)

Every ratio comes from one run on one machine, so the ratios are comparable; the absolute
times are not portable.
"""

from __future__ import annotations

import argparse
import gc
import math
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).absolute().parent.parent))  # this checkout's package

from micrograd_lr.logistic import propagate, train


# --------------------------------------------------------------------------------------------
# micrograd 0.1.0, the peer: it has no exp or log, so they are added here (the benchmark's
# only change to it), written the way micrograd writes its own ops.
# --------------------------------------------------------------------------------------------
def micrograd_value() -> type | None:
    try:
        from micrograd.engine import Value as MGValue
    except ImportError:
        return None

    class Value(MGValue):  # type: ignore[misc, valid-type]
        def exp(self):
            out = Value(math.exp(self.data), (self,), "exp")

            def _backward():
                self.grad += out.data * out.grad

            out._backward = _backward
            return out

        def log(self):
            out = Value(math.log(self.data), (self,), "log")

            def _backward():
                self.grad += out.grad / self.data

            out._backward = _backward
            return out

    # micrograd's operators build plain MGValues; route them through the subclass so that
    # intermediate results have exp and log too.
    for name in ("__add__", "__mul__", "__pow__", "relu"):
        base = getattr(MGValue, name)

        def wrapped(self, *args, _base=base):
            out = _base(self, *args)
            out.__class__ = Value
            return out

        setattr(Value, name, wrapped)
    return Value


def micrograd_step(V: type, X: np.ndarray, Y: np.ndarray, rate: float) -> Callable[[], float]:
    """One iteration with micrograd: build the composed cost, backward, update."""
    rows, labels = X.T.tolist(), Y.ravel().tolist()
    w = [V(0.0) for _ in range(X.shape[0])]
    b = V(0.0)
    m = len(labels)

    def step() -> float:
        total = None
        for row, y in zip(rows, labels, strict=True):
            z = w[0] * row[0]
            for wj, xj in zip(w[1:], row[1:], strict=True):
                z = z + wj * xj
            z = z + b
            # The same stable loss as micrograd_lr's composed graph.
            if z.data >= 0:
                loss = (1 - y) * z + (1 + (-z).exp()).log()
            else:
                loss = (1 + z.exp()).log() - y * z
            total = loss if total is None else total + loss
        J = total * (1.0 / m)
        for p in (*w, b):
            p.grad = 0.0
        J.backward()
        for p in (*w, b):
            p.data -= rate * p.grad
        return J.data

    return step


# --------------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------------
def best_time(run: Callable[[], object], *, repeats: int, number: int) -> float:
    """The best over ``repeats`` of the mean time of ``number`` calls (seconds per call)."""
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            run()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def per_iteration(X, Y, rate, *, engine: str, fused: bool, repeats: int, k: int) -> float:
    """Seconds per gradient-descent iteration (forward, backward, update) through `train`:
    ``k`` updates make ``k + 1`` gradient evaluations."""

    def run() -> object:
        return train(
            X, Y, engine=engine, fused=fused, num_iterations=k, learning_rate=rate, progress=False
        )

    return best_time(run, repeats=repeats, number=1) / (k + 1)


def small_problem(m: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, m))
    Y = (rng.standard_normal((1, n)) @ X + rng.standard_normal((1, m)) > 0).astype(np.float64)
    return X, Y


def bench_iterations(m: int, n: int, repeats: int, k: int) -> None:
    X, Y = small_problem(m, n)
    rate = 0.1
    rows: list[tuple[str, float]] = []
    V = micrograd_value()
    if V is not None:
        step = micrograd_step(V, X, Y, rate)
        # The mean over all iterations, not the best window: micrograd's time swings by 2x
        # from one window to the next with the collector's full passes, which are part of
        # its cost.
        rows.append(("micrograd 0.1.0, composed", best_time(step, repeats=1, number=repeats * k)))
        gc.disable()
        try:
            no_gc = best_time(step, repeats=1, number=repeats * k)
        finally:
            gc.enable()
    for label, engine, fused in (
        ("micrograd_lr, composed", "value", False),
        ("micrograd_lr, fused", "value", True),
        ("NumPy, vectorized", "numpy", True),
    ):
        count = k if engine == "value" else 100 * k
        rows.append((label, per_iteration(X, Y, rate, engine=engine, fused=fused,
                                          repeats=repeats, k=count)))  # fmt: skip

    print(f"\nPer-iteration time (forward, backward, update), m={m} examples, n={n} features")
    print(f"{'':28} {'time/iter':>12} {'speed-up vs micrograd':>22}")
    reference = rows[0][1] if V is not None else None
    for label, seconds in rows:
        ratio = f"{reference / seconds:.1f}x" if reference else "n/a"
        print(f"{label:28} {format_time(seconds):>12} {ratio:>22}")
    if V is None:
        print("(micrograd is not installed: pip install micrograd==0.1.0)")
    else:
        share = 1 - no_gc / rows[0][1]
        print(f"micrograd with the garbage collector off: {format_time(no_gc)} "
              f"(the collector's share: {share:.0%})")  # fmt: skip


def time_propagate(w: np.ndarray, X: np.ndarray, Y: np.ndarray, repeats: int) -> float:
    return best_time(lambda: propagate(w, 0.1, X, Y), repeats=repeats, number=1)


def bench_large(n_x: int, m: int, repeats: int) -> None:
    print(f"\nVectorized gradient on a large X: {n_x} x {m}, float64 "
          f"({n_x * m * 8 / 1e9:.2f} GB)")  # fmt: skip
    rng = np.random.default_rng(1)
    X = rng.standard_normal((n_x, m))
    Y = (rng.random((1, m)) < 0.5).astype(np.float64)
    w = rng.standard_normal((n_x, 1)) / math.sqrt(n_x)
    # One streaming read of X, the least any pass over it can cost; propagate reads X twice
    # (w^T X, then X (A-Y)^T).
    read = best_time(X.sum, repeats=repeats, number=1)
    grad = time_propagate(w, X, Y, repeats)
    limit = 2 * read
    print(f"{'one read of X (X.sum())':40} {format_time(read):>10} "
          f"({X.nbytes / read / 1e9:.1f} GB/s)")  # fmt: skip
    print(f"{'two-pass bandwidth limit':40} {format_time(limit):>10}")
    print(f"{'propagate (both products + sigmoid)':40} {format_time(grad):>10} "
          f"= {grad / limit:.2f}x the limit")  # fmt: skip
    X32, Y32 = X.astype(np.float32), Y.astype(np.float32)
    del X  # free the float64 copy before timing float32
    grad32 = time_propagate(w.astype(np.float32), X32, Y32, repeats)
    print(f"{'propagate, float32 X and w':40} {format_time(grad32):>10} "
          f"(half the bytes: {grad / grad32:.2f}x faster)")  # fmt: skip
    mixed = time_propagate(w, X32, Y32, repeats)
    print(f"{'propagate, float32 X, float64 w':40} {format_time(mixed):>10} "
          f"(w is cast to X's dtype: no copy of X)")  # fmt: skip


def format_time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--m", type=int, default=200, help="examples (default 200)")
    parser.add_argument("--n", type=int, default=20, help="features (default 20)")
    parser.add_argument("--iterations", type=int, default=20, help="per timing (default 20)")
    parser.add_argument("--repeats", type=int, default=3, help="best of (default 3)")
    parser.add_argument(
        "--large", default="1000x100000", metavar="NxM", help="large X shape, or 'none'"
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check it runs")
    args = parser.parse_args(argv)
    if args.quick:
        args.m, args.n, args.iterations, args.repeats, args.large = 20, 3, 2, 1, "10x1000"
    print(f"Python {platform.python_version()}, NumPy {np.__version__}, {platform.machine()}")
    bench_iterations(args.m, args.n, args.repeats, args.iterations)
    if args.large != "none":
        n_x, m = (int(part) for part in args.large.lower().split("x"))
        bench_large(n_x, m, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
