"""Forward+backward time per op and bytes per node: micrograd_lr against micrograd 0.1.0.

Run from the repository root::

    python benchmarks/bench_engine.py            # sizes 1e3 1e4 1e5, 7 repeats (~1 min)
    python benchmarks/bench_engine.py --quick    # sizes 1e3 1e4, 3 repeats (<15 s)

Both libraries build the same chains of operations, interleaved in one process: for every
size, chain and repeat, one library runs and then the other, the order alternating between
repeats, so background load hits both alike. Each cell is the median over the repeats.
Time is the benchmark thread's CPU time by default (``time.thread_time_ns``: time spent
waiting while other processes run is not counted, which keeps the figures steady on a shared
machine); ``--clock wall`` measures elapsed time instead.
The cyclic garbage collector stays on (its cost is part of what a user pays); the time it
takes inside the timed code is measured with ``gc.callbacks`` and reported separately.
Between measurements, untimed, the previous graph is dropped and ``gc.collect()`` runs, so
every measurement starts from the same state.

micrograd 0.1.0 has no ``tanh`` or ``exp``: this script adds both to its ``Value`` class, in
this process only, written in micrograd's own style (a closure per node, the formulas of
micrograd's later versions). micrograd's ``backward`` sorts the graph recursively, one
Python frame per node of a chain, so the whole benchmark runs in a thread with a large
stack and a raised recursion limit.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import math
import platform
import statistics
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["CHAINS", "TARGET_BYTES_PER_NODE", "TARGET_SPEEDUP", "TARGET_SPEEDUP_1000", "main"]

TARGET_SPEEDUP = 5.0
"""micrograd_lr must be at least this many times faster than micrograd, forward+backward."""

TARGET_SPEEDUP_1000 = 3.0
"""Issue 12's target for the dynamic engine: this many times micrograd at 1,000 ops."""

CLOCKS: dict[str, Callable[[], int]] = {
    "cpu": time.thread_time_ns,
    "wall": time.perf_counter_ns,
}
"""What a measurement counts: the benchmark thread's CPU time, or elapsed time."""

_now = time.thread_time_ns  # set by run() from --clock

TARGET_BYTES_PER_NODE = 200.0
"""micrograd_lr may use at most this many bytes per node."""

THREAD_STACK_BYTES = 512 * 1024 * 1024
"""Stack of the benchmark thread: room for micrograd's recursion on the longest chain."""

# Measure the checkout this script belongs to, not whichever micrograd_lr is installed.
_REPOSITORY = str(Path(__file__).resolve().parent.parent)
if _REPOSITORY not in sys.path:
    sys.path.insert(0, _REPOSITORY)


# --------------------------------------------------------------------------------------------
# The libraries
# --------------------------------------------------------------------------------------------
def _micrograd_value() -> type:
    """micrograd 0.1.0's Value, with tanh and exp added in its own style if missing."""
    from micrograd import engine  # type: ignore[import-untyped,unused-ignore]

    value_class: Any = engine.Value

    def tanh(self: Any) -> Any:
        x = self.data
        t = (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)
        out = value_class(t, (self,), "tanh")

        def _backward() -> None:
            self.grad += (1 - t**2) * out.grad

        out._backward = _backward
        return out

    def exp(self: Any) -> Any:
        out = value_class(math.exp(self.data), (self,), "exp")

        def _backward() -> None:
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    for name, method in (("tanh", tanh), ("exp", exp)):
        if not hasattr(value_class, name):
            setattr(value_class, name, method)
    return value_class


def _libraries() -> dict[str, type]:
    from micrograd_lr import Value

    return {"micrograd": _micrograd_value(), "micrograd_lr": Value}


# --------------------------------------------------------------------------------------------
# The chains: each builds about `n` operations on the library's Value class `V`
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Chain:
    """A kind of chain: its name, what one step computes, and how many ops a step has."""

    name: str
    step: str
    ops_per_step: int
    build: Callable[[Any, int], Any]

    def steps(self, n: int) -> int:
        return max(1, n // self.ops_per_step)


def _values(V: Any, steps: int) -> Any:
    x = V(0.5)
    y = V(1.0)
    for _ in range(steps):
        y = y * x
        y = y + x
    return y


def _constants(V: Any, steps: int) -> Any:
    y = V(1.0)
    for _ in range(steps):
        y = y * 0.999 + 0.001
    return y


def _unary(V: Any, steps: int) -> Any:
    y = V(0.5)
    for _ in range(steps):
        y = y.tanh()
        y = y.exp()
    return y


def _neuron_tanh(V: Any, steps: int) -> Any:
    w = V(0.9)
    y = V(0.5)
    for _ in range(steps):
        y = (y * w + 0.5).tanh()
    return y


def _neuron_relu(V: Any, steps: int) -> Any:
    w = V(0.9)
    y = V(0.5)
    for _ in range(steps):
        y = (y * w + 0.5).relu()
    return y


CHAINS: tuple[Chain, ...] = (
    Chain("values", "y = y * x; y = y + x", 2, _values),
    Chain("constants", "y = y * 0.999 + 0.001", 2, _constants),
    Chain("unary", "y = y.tanh(); y = y.exp()", 2, _unary),
    Chain("neuron-tanh", "y = (y * w + 0.5).tanh()", 3, _neuron_tanh),
    Chain("neuron-relu", "y = (y * w + 0.5).relu()", 3, _neuron_relu),
)
"""Every kind of chain measured, each built from the ops a learner writes."""


# --------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------
class GCClock:
    """Total nanoseconds spent in the cyclic garbage collector (via ``gc.callbacks``)."""

    def __init__(self) -> None:
        self.total_ns = 0
        self._started = 0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = _now()
        else:
            self.total_ns += _now() - self._started


@dataclass
class Samples:
    """Nanoseconds per repeat for one library on one chain and size."""

    forward: list[int] = field(default_factory=list)
    backward: list[int] = field(default_factory=list)
    gc: list[int] = field(default_factory=list)  # GC time inside forward + backward
    # Dropping the graph: del + gc.collect(), less the cost of a collection with nothing to
    # free (micrograd's nodes sit in reference cycles, so only the collector frees them).
    teardown: list[int] = field(default_factory=list)


def _measure_once(V: Any, chain: Chain, steps: int, clock: GCClock, into: Samples) -> None:
    gc.collect()
    gc_before = clock.total_ns
    t0 = _now()
    root = chain.build(V, steps)
    t1 = _now()
    root.backward()
    t2 = _now()
    gc_spent = clock.total_ns - gc_before
    del root
    gc.collect()
    t3 = _now()
    gc.collect()  # nothing left to free: what a collection of the rest of the process costs
    t4 = _now()
    into.forward.append(t1 - t0)
    into.backward.append(t2 - t1)
    into.gc.append(gc_spent)
    into.teardown.append(max(0, (t3 - t2) - (t4 - t3)))


def _bytes_per_op(V: Any, chain: Chain, n: int) -> float:
    """Memory held by a chain of about ``n`` ops, per op, as traced by tracemalloc."""
    steps = chain.steps(n)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        root = chain.build(V, steps)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    del root
    gc.collect()
    return held / (steps * chain.ops_per_step)


def _nodes_per_op(V: Any, chain: Chain) -> float:
    """How many nodes one op adds to the graph (micrograd wraps each constant in a node)."""
    steps = 50
    root = chain.build(V, steps)
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        children = getattr(node, "_prev", None)
        stack.extend(children if children is not None else node.parents)
    leaves = 2 if chain.name in ("values", "neuron-tanh", "neuron-relu") else 1
    return (len(seen) - leaves) / (steps * chain.ops_per_step)


# --------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------
def _us(ns: float, ops: int) -> float:
    return ns / 1000 / ops


def _fmt(x: float) -> str:
    return f"{x:.2f}" if x < 100 else f"{x:.0f}"


def _machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    import os

    return (
        f"Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.machine()}"
    )


def _load() -> str:
    try:
        import os

        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    import micrograd_lr

    try:
        peer = version("micrograd")
    except PackageNotFoundError:
        peer = "unknown"
    return f"micrograd_lr {micrograd_lr.__version__}, micrograd {peer}"


def run(
    sizes: Sequence[int],
    repeats: int,
    memory_size: int,
    chains: Sequence[Chain],
    clock: str = "cpu",
) -> str:
    """Run the whole benchmark and return the report as Markdown."""
    global _now
    _now = CLOCKS[clock]
    libraries = _libraries()
    names = list(libraries)
    gc_clock = GCClock()
    gc.callbacks.append(gc_clock)
    results: dict[tuple[str, int, str], Samples] = {}
    try:
        # Untimed warm-up: CPython 3.11 specializes bytecode on its first executions.
        for chain in chains:
            for V in libraries.values():
                chain.build(V, 100).backward()
        for n in sizes:
            for chain in chains:
                steps = chain.steps(n)
                for repeat in range(repeats):
                    order = names if repeat % 2 == 0 else names[::-1]
                    for name in order:
                        samples = results.setdefault((chain.name, n, name), Samples())
                        _measure_once(libraries[name], chain, steps, gc_clock, samples)
    finally:
        gc.callbacks.remove(gc_clock)

    memory = {
        (chain.name, name): (_bytes_per_op(V, chain, memory_size), _nodes_per_op(V, chain))
        for chain in chains
        for name, V in libraries.items()
    }

    lines = [
        "## micrograd_lr vs micrograd 0.1.0: forward + backward on chains",
        "",
        f"- {_versions()}; {_machine()}",
        f"- {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC; median of {repeats} "
        "interleaved repeats (micrograd then micrograd_lr, order alternating); GC on; "
        + (
            "time = CPU time of the benchmark thread"
            if clock == "cpu"
            else "time = elapsed (wall-clock) time"
        )
        + f"; load average {_load()}",
        "- micrograd's recursive backward runs in a thread with a "
        f"{THREAD_STACK_BYTES // 2**20} MiB stack and sys.setrecursionlimit"
        f"({sys.getrecursionlimit()}); micrograd gets tanh and exp added in its own style",
        f"- targets: micrograd_lr >= {TARGET_SPEEDUP:g}x faster than micrograd forward+backward"
        f" at every size; >= {TARGET_SPEEDUP_1000:g}x at about 1000 ops (issue 12); "
        f"<= {TARGET_BYTES_PER_NODE:g} bytes per node",
        "",
        "Microseconds per op (one op = one operation written in the chain):",
        "",
        "| chain | ops | micrograd fwd | bwd | total | micrograd_lr fwd | bwd | total "
        f"| speedup | >= {TARGET_SPEEDUP:g}x | >= {TARGET_SPEEDUP_1000:g}x at 1e3 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|:---:|:---:|",
    ]
    extra = [
        "",
        "Garbage collector: its share of the median forward+backward time (measured with "
        "gc.callbacks), and the teardown, microseconds per op to free the graph (del + "
        "gc.collect() less an empty gc.collect(); not in the totals above):",
        "",
        "| chain | ops | micrograd GC | micrograd_lr GC | micrograd teardown "
        "| micrograd_lr teardown |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    median = statistics.median
    for chain in chains:
        for n in sizes:
            ops = chain.steps(n) * chain.ops_per_step
            row: list[str] = [chain.name, str(ops)]
            totals: list[float] = []
            gc_cells: list[str] = []
            teardown_cells: list[str] = []
            for name in names:
                s = results[(chain.name, n, name)]
                total = median(f + b for f, b in zip(s.forward, s.backward, strict=True))
                totals.append(total)
                row += [
                    _fmt(_us(median(s.forward), ops)),
                    _fmt(_us(median(s.backward), ops)),
                    _fmt(_us(total, ops)),
                ]
                gc_cells.append(f"{100 * median(s.gc) / total:.0f}%")
                teardown_cells.append(_fmt(_us(median(s.teardown), ops)))
            speedup = totals[0] / totals[1]
            row += [f"{speedup:.1f}x", "yes" if speedup >= TARGET_SPEEDUP else "**no**"]
            if ops > 2000:
                row.append("")
            else:
                row.append("yes" if speedup >= TARGET_SPEEDUP_1000 else "**no**")
            lines.append("| " + " | ".join(row) + " |")
            extra.append(
                "| " + " | ".join([chain.name, str(ops), *gc_cells, *teardown_cells]) + " |"
            )
    lines += extra
    lines += [
        "",
        f"Bytes per op, tracemalloc over building a chain of about {memory_size} ops "
        "(micrograd wraps every number constant in a node of its own):",
        "",
        "| chain | step | micrograd bytes/op | nodes/op | bytes/node | micrograd_lr bytes/op "
        f"| nodes/op | bytes/node | <= {TARGET_BYTES_PER_NODE:g} B/node |",
        "|---|---|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    for chain in chains:
        row = [chain.name, f"`{chain.step}`"]
        for name in names:
            per_op, nodes = memory[(chain.name, name)]
            row += [f"{per_op:.0f}", f"{nodes:.2f}", f"{per_op / nodes:.0f}"]
        per_node = memory[(chain.name, "micrograd_lr")][0] / memory[(chain.name, "micrograd_lr")][1]
        row.append("yes" if per_node <= TARGET_BYTES_PER_NODE else "**no**")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time forward+backward per op and bytes per node, micrograd_lr against "
        "micrograd 0.1.0, on chains of operations. Prints Markdown tables.",
    )
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        metavar="N",
        help="chain lengths in ops (default 1000 10000 100000; 1000 10000 with --quick)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        metavar="R",
        help="interleaved repeats per cell, median reported (default 7; 3 with --quick)",
    )
    parser.add_argument(
        "--memory-size",
        type=int,
        default=10_000,
        metavar="N",
        help="chain length for the bytes-per-node measurement (default 10000)",
    )
    parser.add_argument(
        "--chains",
        nargs="+",
        choices=[chain.name for chain in CHAINS],
        help="which chains to measure (default: all)",
    )
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="cpu",
        help="cpu: the benchmark thread's CPU time (default; steady on a shared machine); "
        "wall: elapsed time",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, fewer repeats")
    args = parser.parse_args(argv)
    if args.sizes is None:
        args.sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]
    if args.repeats is None:
        args.repeats = 3 if args.quick else 7
    for name, values in (("--sizes", args.sizes), ("--repeats", [args.repeats])):
        if min(values) < 1:
            parser.error(f"{name} must be positive integers, got {values}")
    if args.memory_size < 10:
        parser.error(f"--memory-size must be at least 10, got {args.memory_size}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options, run the benchmark in a thread with a large stack, print Markdown.

    Parameters
    ----------
    argv : sequence of str, optional
        The command-line arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0; the targets are reported in the tables, not enforced by the exit status.
    """
    args = _parse(argv)
    chains = [c for c in CHAINS if args.chains is None or c.name in args.chains]
    longest = max(*args.sizes, args.memory_size)
    report: list[str] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            report.append(run(args.sizes, args.repeats, args.memory_size, chains, args.clock))
        except BaseException as error:  # re-raised in the main thread
            failure.append(error)

    old_limit = sys.getrecursionlimit()
    old_stack = threading.stack_size()
    sys.setrecursionlimit(max(old_limit, 2 * longest + 10_000))
    threading.stack_size(THREAD_STACK_BYTES)
    try:
        worker = threading.Thread(target=work, name="bench_engine")
        worker.start()
        worker.join()
    finally:
        threading.stack_size(old_stack)
        sys.setrecursionlimit(old_limit)
    if failure:
        raise failure[0]
    print(report[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
