"""Trace once, replay fast: compiled replay against the engine and micrograd 0.1.0.

Run from the repository root::

    python benchmarks/bench_compile.py            # chains of 1e3 1e4 1e5 ops + logistic
    python benchmarks/bench_compile.py --quick    # 1e3 1e4, fewer repeats, short logistic

Chains are `bench_engine.CHAINS` (imported, not copied). For every size, chain and repeat
the three run one after another, the order rotating between repeats, so background load hits
all alike; each cell is the median. Also measured: trace + compile time (building the graph
with the engine and compiling it) in engine passes, the break-even number of replays, the
memory a compiled graph holds per node, a flat-array interpreter (the alternative design) on
the same graphs, and logistic regression on standardized breast cancer (455 x 30).
"""

from __future__ import annotations

import argparse
import datetime
import gc
import math
import statistics
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

_HERE = Path(__file__).resolve().parent
for _path in (str(_HERE.parent), str(_HERE)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from bench_engine import (  # noqa: E402
    CHAINS,
    THREAD_STACK_BYTES,
    Chain,
    _machine,
    _micrograd_value,
    _versions,
)

from micrograd_lr import Value, native  # noqa: E402
from micrograd_lr.compile import _Graph, compile, compile_gradient, logit_signs  # noqa: E402
from micrograd_lr.graph import nodes  # noqa: E402

__all__ = ["interpret", "main"]

TARGET_VS_ENGINE = 10.0
TARGET_VS_MICROGRAD = 20.0
TARGET_COMPILE_PASSES = 20.0


def _leaves(root: Value) -> list[Value]:
    return [node for node in nodes(root) if node.op is None]


def _median_ns(samples: list[int]) -> float:
    return float(statistics.median(samples))


# --------------------------------------------------------------------------------------------
# The alternative design: a flat-array interpreter (no code generation; one loop iteration
# per node forward and per edge backward). Only the chains' ops; checked bitwise below.
# --------------------------------------------------------------------------------------------
def interpret(graph: _Graph) -> Callable[[list[float]], tuple[float, list[float]]]:
    """A replay of ``graph`` by a loop over flat arrays (benchmark only)."""
    import operator

    from micrograd_lr.engine import OPS

    codes = {OPS["add"].forward: 0, OPS["mul"].forward: 1, math.tanh: 2, math.exp: 3}
    codes[OPS["relu"].forward] = 4
    n = len(graph)
    kind = [-1] * n
    a_ix = [0] * n
    b_ix = [0] * n
    b_const = [0.0] * n
    for i, op in enumerate(graph.ops):
        if op is None:
            continue
        kind[i] = codes[op.forward] * 2
        args = graph.args[i]
        if type(args[0]) is not int:  # a folded number first: swap (add and mul commute)
            args = args[::-1]
        a_ix[i] = args[0]  # type: ignore[assignment]
        if len(args) == 2:
            if type(args[1]) is int:
                b_ix[i] = args[1]  # type: ignore[assignment]
            else:
                kind[i] += 1
                b_const[i] = args[1]  # type: ignore[assignment]
    inputs = sorted(graph.inputs.items(), key=operator.itemgetter(1))
    data = graph.data
    sig_relu = OPS["relu"].forward

    def run(xs: list[float]) -> tuple[float, list[float]]:
        v = list(data)
        d1 = [0.0] * n
        d2 = [0.0] * n
        for i, k in inputs:
            v[i] = xs[k]
        for i in range(n):
            k = kind[i]
            if k < 0:
                continue
            a = v[a_ix[i]]
            if k == 0:
                v[i] = a + v[b_ix[i]]
                d1[i] = d2[i] = 1.0
            elif k == 1:
                v[i] = a + b_const[i]
                d1[i] = 1.0
            elif k == 2:
                b = v[b_ix[i]]
                v[i] = a * b
                d1[i], d2[i] = b, a
            elif k == 3:
                v[i] = a * b_const[i]
                d1[i] = b_const[i]
            elif k == 4:
                o = v[i] = math.tanh(a)
                d1[i] = 1 - o * o
            elif k == 6:
                v[i] = d1[i] = math.exp(a)
            else:
                v[i] = sig_relu(a)
                d1[i] = 1.0 if a > 0 else 0.0
        g = [0.0] * n
        g[n - 1] = 1.0
        for i in range(n - 1, -1, -1):
            k = kind[i]
            if k < 0:
                continue
            gi = g[i]
            g[a_ix[i]] += d1[i] * gi
            if k == 0 or k == 2:
                g[b_ix[i]] += d2[i] * gi
        return v[n - 1], [g[i] for i, _ in inputs]

    return run


# --------------------------------------------------------------------------------------------
# Chains
# --------------------------------------------------------------------------------------------
BATCH_NS = 2_000_000
"""Each sample times as many calls as fill about this long (timeit's way): a single call of a
1000-op graph lasts 50-100 us, where one cold call after `gc.collect` (caches emptied) would
measure the cold start rather than the replay."""


def _time_ns(f: Callable[[], object], calls: int = 1) -> int:
    """Nanoseconds per call of ``f``, over ``calls`` calls in a row."""
    t = time.perf_counter_ns()
    for _ in range(calls):
        f()
    return (time.perf_counter_ns() - t) // calls


def _calls_per_sample(f: Callable[[], object]) -> int:
    """How many calls of ``f`` fill `BATCH_NS` (from one timed call, after a warm-up)."""
    f()
    return max(1, math.ceil(BATCH_NS / max(_time_ns(f), 1)))


def _chain_row(
    chain: Chain, n: int, repeats: int, micrograd: type, with_interpreter: bool
) -> dict[str, float]:
    steps = chain.steps(n)
    ops = steps * chain.ops_per_step
    root = chain.build(Value, steps)
    leaves = _leaves(root)
    xs = [leaf.data for leaf in leaves]
    root.backward()
    expected = (root.data, [leaf.grad for leaf in leaves])
    del root, leaves
    gc.collect()

    def trace_and_compile(loop: bool = False) -> Any:
        r = chain.build(Value, steps)
        return compile(r, _leaves(r), native=loop)

    # One untimed first: the first compile at a size also faults in the benchmark thread's
    # fresh stack pages, which cost as much again as the compile itself.
    compiled = trace_and_compile()
    value, grad = compiled(xs)
    assert (value, grad.tolist()) == expected, f"{chain.name}: replay differs from the engine"
    runs: dict[str, Callable[[], object]] = {
        "micrograd": lambda: chain.build(micrograd, steps).backward(),
        "engine": lambda: chain.build(Value, steps).backward(),
        "replay": lambda: compiled(xs),
        # Timed among the others, one call a sample: the machine's load moves it as much.
        "compile": trace_and_compile,
    }
    if native.available():
        looped = trace_and_compile(loop=True)
        value, grad = looped(xs)
        assert (value, grad.tolist()) == expected, f"{chain.name}: native differs"
        runs["native"] = lambda: looped(xs)
        runs["compile native"] = lambda: trace_and_compile(loop=True)
    if with_interpreter:
        root = chain.build(Value, steps)
        interpreter = interpret(_Graph(root, _leaves(root)))
        del root
        got = interpreter(xs)
        assert (got[0], got[1]) == expected, f"{chain.name}: interpreter differs"
        runs["interpreter"] = lambda: interpreter(xs)
    samples: dict[str, list[int]] = {name: [] for name in runs}
    names = list(runs)
    calls = {
        name: 1 if name.startswith("compile") else _calls_per_sample(run)
        for name, run in runs.items()
    }
    for repeat in range(repeats):
        for name in names[repeat % len(names) :] + names[: repeat % len(names)]:
            gc.collect()
            samples[name].append(_time_ns(runs[name], calls[name]))
    row = {name: _median_ns(s) / ops / 1000 for name, s in samples.items()}  # us per op
    row["ops"] = ops
    return row


def _bytes_per_node(chain: Chain, n: int) -> tuple[float, float, float]:
    """Bytes per node: the engine's graph, a compiled graph (held, without the engine's
    graph), and a replay's peak on top of that."""
    steps = chain.steps(n)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        root = chain.build(Value, steps)
        engine = tracemalloc.get_traced_memory()[0] - before
        leaves = _leaves(root)
        xs = [leaf.data for leaf in leaves]
        count = len(nodes(root))
        gc.collect()
        base = tracemalloc.get_traced_memory()[0]
        compiled = compile(root, leaves, native=False)
        del root, leaves
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.reset_peak()
        start = tracemalloc.get_traced_memory()[0]
        compiled(xs)
        peak = tracemalloc.get_traced_memory()[1] - start
        del compiled, base
    finally:
        tracemalloc.stop()
    return engine / count, held / count, peak / count


def chains_report(sizes: Sequence[int], repeats: int, memory_size: int) -> list[str]:
    micrograd = _micrograd_value()
    # The native loop's one-time start (import Numba, load or compile the loop, check it
    # against the engine) is paid here, once per process, not in the timed compiles.
    started = time.perf_counter()
    loop = native.available()
    start_s = time.perf_counter() - started
    for chain in CHAINS:  # warm-up: CPython specializes bytecode on first executions
        root = chain.build(Value, 100)
        compile(root, _leaves(root), native=False)(*[leaf.data for leaf in _leaves(root)])
        chain.build(micrograd, 100).backward()
    lines = [
        "Microseconds per op, forward + backward (replay: the compiled graph on the same "
        "inputs, as straight-line Python, `native=False`; native: `micrograd_lr.native`'s "
        "compiled loop, `native=True`, needs Numba); speed-ups of each replay; trace + "
        "compile in engine passes and the number of replays after which compiling has paid "
        "off (straight-line / native):",
        "",
        "| chain | ops | micrograd | engine | replay | native | interpreter "
        "| replay vs engine | native vs engine | replay vs micrograd | native vs micrograd "
        "| trace+compile (engine passes) | break-even replays |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n in sizes:
        for chain in CHAINS:
            row = _chain_row(chain, n, repeats, micrograd, with_interpreter=True)
            engine, mg = row["engine"], row["micrograd"]
            passes = f"{row['compile'] / engine:.1f}"
            even = f"{math.ceil(row['compile'] / (engine - row['replay']))}"
            loop = speed = speed_mg = "-"
            if "native" in row:
                loop = f"{row['native']:.3f}"
                speed, speed_mg = f"{engine / row['native']:.1f}x", f"{mg / row['native']:.1f}x"
                passes += f" / {row['compile native'] / engine:.1f}"
                even += f" / {math.ceil(row['compile native'] / (engine - row['native']))}"
            lines.append(
                f"| {chain.name} | {int(row['ops'])} | {mg:.3f} | {engine:.3f} | "
                f"{row['replay']:.3f} | {loop} | {row['interpreter']:.3f} | "
                f"{engine / row['replay']:.1f}x | {speed} | {mg / row['replay']:.1f}x | "
                f"{speed_mg} | {passes} | {even} |"
            )
    lines += [
        "",
        f"The native loop's start, once per process: {start_s:.2f} s"
        if loop
        else f"No native loop: {native.problem()}",
        "",
        f"Bytes per node at {memory_size} ops (tracemalloc): the engine's graph, a compiled "
        "graph once the engine's graph is dropped, and the extra peak of one replay:",
        "",
        "| chain | engine graph | compiled (held) | replay peak |",
        "|---|---:|---:|---:|",
    ]
    for chain in CHAINS:
        engine, held, peak = _bytes_per_node(chain, memory_size)
        lines.append(f"| {chain.name} | {engine:.0f} | {held:.0f} | {peak:.0f} |")
    return lines


# --------------------------------------------------------------------------------------------
# Logistic regression: 1000 gradient-descent iterations on the Value graph
# --------------------------------------------------------------------------------------------
def _breast_cancer() -> tuple[np.ndarray, np.ndarray]:
    from micrograd_lr import datasets

    train, _ = datasets.breast_cancer().split(0.2, seed=0)
    (train,) = datasets.standardize(train)
    X, Y = train.columns()
    return np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)


KINDS: dict[str, dict[str, Any]] = {
    "native": {"native": True},
    "lanes": {"vectorize": True, "native": False},
    "straight-line": {"vectorize": False, "native": False},
}
"""The replays compared on logistic regression, as `compile` options (native needs Numba)."""


def _options(kind: str) -> str:
    return ", ".join(f"`{k}={v}`" for k, v in KINDS[kind].items())


def _kinds() -> dict[str, dict[str, Any]]:
    return {k: v for k, v in KINDS.items() if k != "native" or native.available()}


def compiled_train(
    X: np.ndarray, Y: np.ndarray, *, fused: bool, iterations: int, rate: float, **options: Any
) -> tuple[np.ndarray, int]:
    """Gradient descent with a compiled gradient, the same steps as
    ``logistic.train(engine="value")``; returns (theta, traces). ``options`` for `compile`
    (`KINDS`)."""
    from micrograd_lr import logistic

    n = X.shape[0]

    def cost(*theta: Value) -> Value:
        return logistic.cost_graph(list(theta[:n]), theta[n], X, Y, fused=fused)

    theta = np.zeros(n + 1)
    key = None if fused else logit_signs(X)
    gradient = compile_gradient(cost, theta, key=key, **options)
    for _ in range(iterations):
        _, g = gradient(theta)
        theta[:n] -= rate * g[:n]
        theta[n] -= rate * g[n]
    return theta, 1 + gradient.compiled.retraces  # type: ignore[attr-defined]


def _per_iteration(
    X: np.ndarray, Y: np.ndarray, fused: bool, repeats: int
) -> tuple[float, dict[str, float], dict[str, float]]:
    """Median seconds of one gradient evaluation, interleaved: the engine's Value path
    (build the graph, backward) and a replay of each kind; then the seconds of one trace +
    compile of each kind (median)."""
    from micrograd_lr import logistic

    n = X.shape[0]
    theta = np.full(n + 1, 0.01)

    def cost(*t: Value) -> Value:
        return logistic.cost_graph(list(t[:n]), t[n], X, Y, fused=fused)

    kinds = _kinds()

    def trace(kind: str) -> Any:
        return compile(cost, theta, **kinds[kind])

    replays = {kind: trace(kind) for kind in kinds}
    assert replays["lanes"].vectorized and not replays["straight-line"].vectorized
    w, b = theta[:n].reshape(n, 1), float(theta[n])
    runs: dict[str, Callable[[], object]] = {
        "engine": lambda: logistic.value_propagate(w, b, X, Y, fused=fused)
    }
    for kind, replay in replays.items():
        runs[kind] = lambda replay=replay: replay(theta)
        runs[f"trace {kind}"] = lambda kind=kind: trace(kind)
    # Batches of about 2 ms, as for the chains (one cold call of a replay measures a cold
    # cache after the engine's pass).
    calls = {name: _calls_per_sample(run) for name, run in runs.items()}
    samples: dict[str, list[int]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            gc.collect()
            samples[name].append(_time_ns(run, calls[name]))
    seconds = {name: _median_ns(sample) / 1e9 for name, sample in samples.items()}
    one = {kind: seconds[kind] for kind in kinds}
    traced = {kind: seconds[f"trace {kind}"] for kind in kinds}
    return seconds["engine"], one, traced


def logistic_report(iterations: int, engine_iterations: int, repeats: int = 7) -> list[str]:
    from micrograd_lr import logistic

    X, Y = _breast_cancer()
    rate = logistic.lipschitz_learning_rate(X)
    kinds = list(_kinds())
    lines = [
        f"Logistic regression, standardized breast cancer ({X.shape[1]} x {X.shape[0]}), "
        f"{iterations} gradient-descent iterations at the 1/L rate {rate:.3g}. End to end: "
        "the compiled paths include every trace and compile; the engine's time is measured "
        f"over {engine_iterations} iterations and scaled. Replays: "
        + ", ".join(f"{kind} ({_options(kind)})" for kind in kinds)
        + "; `compile`'s default is native where Numba is installed, else lanes. Per "
        f"iteration: one gradient, median of {repeats} interleaved repeats, without traces; "
        "one trace + compile in engine passes:",
        "",
        "| graph | engine, end to end | "
        + " | ".join(f"{kind}, end to end | speed-up" for kind in kinds)
        + " | traces | per iteration: engine | "
        + " | ".join(f"{kind} | vs engine" for kind in kinds)
        + " | trace + compile: "
        + " | ".join(kinds)
        + " | NumPy closed form, end to end | fastest / closed form |",
        "|---|" + "---:|" * (5 + 5 * len(kinds)),
    ]
    t = time.perf_counter()
    logistic.train(X, Y, engine="numpy", num_iterations=iterations, learning_rate=rate)
    numpy_s = time.perf_counter() - t
    for fused in (True, False):
        gc.collect()
        t = time.perf_counter()
        # The plain engine (compiled=False): train itself compiles by default.
        reference = logistic.train(
            X, Y, engine="value", fused=fused, num_iterations=engine_iterations,
            learning_rate=rate, progress=False, compiled=False,
        )  # fmt: skip
        engine_s = (time.perf_counter() - t) * iterations / engine_iterations
        # The same trajectory, bit for bit, over the engine's iterations:
        for kind in kinds:
            theta, _ = compiled_train(
                X, Y, fused=fused, iterations=engine_iterations, rate=rate, **KINDS[kind]
            )
            assert theta[:-1].tolist() == reference.w.ravel().tolist(), kind
            assert theta[-1] == reference.b, kind
        seconds, traces = {}, {}
        for kind in kinds:
            gc.collect()
            t = time.perf_counter()
            _, traces[kind] = compiled_train(
                X, Y, fused=fused, iterations=iterations, rate=rate, **KINDS[kind]
            )
            seconds[kind] = time.perf_counter() - t
        engine_one, one, traced = _per_iteration(X, Y, fused, repeats)
        fastest = min(seconds.values())
        cells = [
            "fused" if fused else "composed",
            f"{engine_s:.2f} s",
            *(f"{seconds[k]:.2f} s | {engine_s / seconds[k]:.1f}x" for k in kinds),
            f"{traces[kinds[0]]}",
            f"{engine_one * 1000:.1f} ms",
            *(f"{one[k] * 1000:.3f} ms | {engine_one / one[k]:.1f}x" for k in kinds),
            *(f"{traced[k] / engine_one:.1f}" for k in kinds),
            f"{numpy_s * 1000:.1f} ms",
            f"{fastest / numpy_s:.1f}x slower",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


# --------------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print Markdown tables. Returns 0 (targets are reported)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, fewer repeats")
    parser.add_argument("--sizes", type=int, nargs="+", metavar="N")
    parser.add_argument("--repeats", type=int, metavar="R")
    parser.add_argument("--no-logistic", action="store_true", help="chains only")
    args = parser.parse_args(argv)
    sizes = args.sizes or ([1_000, 10_000] if args.quick else [1_000, 10_000, 100_000])
    repeats = args.repeats or (3 if args.quick else 7)
    report: list[str] = [
        "## Compiled replay (`micrograd_lr.compile`)",
        "",
        f"- {_versions()}; {_machine()}",
        f"- {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC; median of {repeats} "
        "interleaved repeats; GC on",
        f"- targets: replay >= {TARGET_VS_ENGINE:g}x the engine and >= "
        f"{TARGET_VS_MICROGRAD:g}x micrograd; trace + compile <= {TARGET_COMPILE_PASSES:g} "
        "engine passes",
        "",
    ]
    failure: list[BaseException] = []

    def work() -> None:
        try:
            report.extend(chains_report(sizes, repeats, 10_000))
            if not args.no_logistic:
                report.append("")
                quick = args.quick
                report.extend(logistic_report(100 if quick else 1000, 3 if quick else 100))
        except BaseException as error:  # re-raised in the main thread
            failure.append(error)

    old_limit, old_stack = sys.getrecursionlimit(), threading.stack_size()
    sys.setrecursionlimit(max(old_limit, 2 * max(sizes) + 10_000))
    threading.stack_size(THREAD_STACK_BYTES)  # micrograd's recursive backward
    try:
        worker = threading.Thread(target=work, name="bench_compile")
        worker.start()
        worker.join()
    finally:
        threading.stack_size(old_stack)
        sys.setrecursionlimit(old_limit)
    if failure:
        raise failure[0]
    print("\n".join(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
