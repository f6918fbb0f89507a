"""The steps of ``micrograd-lr demo``: backprop on J, logistic regression, vectorization.

Each step prints what it does to a text stream, writes its files into one folder and
returns a `StepResult` saying which files it wrote, what it skipped (and how to get it), and
the numbers it measured, so tests can check them without parsing the output.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import graphviz
import numpy as np

from . import datasets, logistic, plots, render
from .atomic import check_writable
from .engine import Value
from .errors import GraphvizNotFoundError, Interrupted, UsageError

__all__ = [
    "DEFAULT_OUT",
    "FILES",
    "StepResult",
    "checks_passed",
    "gradient_difference",
    "j_graph",
    "j_step",
    "logistic_step",
    "run",
    "single_threaded_blas",
    "vectorization_step",
]

DEFAULT_OUT = Path("micrograd_lr_demo")
"""Where the demo writes its files unless told otherwise."""

FILES = ("j_graph.gv", "j_graph.svg", "j_graph.png", "cost_curve.png")
"""The files the demo may write into its folder."""

HOW_TO_GET = {
    "matplotlib": "pip install 'micrograd_lr[plot]'",
    "tqdm": "pip install 'micrograd_lr[progress]'",
    "dot": "install the Graphviz program: apt-get install graphviz, brew install graphviz, "
    "or see https://graphviz.org/download/",
}
"""How to install each optional piece the demo can do without."""


@dataclass
class StepResult:
    """What one demo step did.

    Attributes
    ----------
    files : list of Path
        Files written, in the order written.
    skipped : list of str
        One line per part left out, each saying why and how to get it.
    numbers : dict
        Figures measured by the step (gradients, differences, accuracy, timings).
    """

    files: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    numbers: dict[str, Any] = field(default_factory=dict)


def _have(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


# --------------------------------------------------------------------------------------------
# Step 1: J = (a - 1)(b + c)
# --------------------------------------------------------------------------------------------
def j_graph(a: float, b: float, c: float) -> tuple[Value, dict[str, Value]]:
    """J = (a - 1)(b + c) as a labelled graph of Values; returns J and its leaves by name."""
    leaves = {"a": Value(a, "a"), "b": Value(b, "b"), "c": Value(c, "c")}
    u = leaves["b"] + leaves["c"]
    u.label = "u = b + c"
    v = leaves["a"] - 1
    v.label = "v = a - 1"
    J = v * u
    J.label = "J"
    return J, leaves


def j_step(
    out_dir: Path, *, a: float = 5.0, b: float = 3.0, c: float = 2.0, stream: TextIO
) -> StepResult:
    """Backpropagate through J = (a - 1)(b + c), compare with the closed form, draw the graph.

    The closed form is dJ/da = b + c and dJ/db = dJ/dc = a - 1. The drawing is written
    (atomically) as ``j_graph.gv`` (DOT text, always) and as ``j_graph.svg`` and
    ``j_graph.png`` when the Graphviz program can make them.

    Parameters
    ----------
    out_dir : Path
        An existing folder for the drawings.
    a, b, c : float, default 5, 3 and 2
        The leaves' values.
    stream : text file
        Where the report is printed.
    """
    say = functools.partial(print, file=stream)
    result = StepResult()
    J, leaves = j_graph(a, b, c)
    J.backward()
    closed = {"a": b + c, "b": a - 1, "c": a - 1}
    say(f"  J = (a - 1)(b + c) with a={a:g}, b={b:g}, c={c:g}:  J = {J.data:g}")
    say(f"  {'':8} {'backward':>10} {'closed form':>12}")
    worst = 0.0
    for name, leaf in leaves.items():
        worst = max(worst, abs(leaf.grad - closed[name]))
        say(f"  dJ/d{name:<4} {leaf.grad:>10g} {closed[name]:>12g}")
    say(f"  largest difference: {worst:g}")
    result.numbers.update(
        J=J.data, grads={n: v.grad for n, v in leaves.items()}, closed=closed, max_diff=worst
    )
    _draw_j(J, out_dir, result, stream)
    return result


def _draw_j(J: Value, out_dir: Path, result: StepResult, stream: TextIO) -> None:
    say = functools.partial(print, file=stream)
    digraph = render.draw(J)
    for name in FILES[:3]:
        try:
            result.files.append(render.write(digraph, out_dir / name))
        except GraphvizNotFoundError:
            result.skipped.append(f"the SVG and PNG drawings of J: no `dot`; {HOW_TO_GET['dot']}")
            break
        except graphviz.CalledProcessError as error:  # e.g. a dot built without PNG support
            reason = render.dot_failure_reason(error)
            result.skipped.append(f"{name}: Graphviz could not make it ({reason})")
    drawn = ", ".join(p.name for p in result.files)
    say(f"  graph drawn: {drawn}")


# --------------------------------------------------------------------------------------------
# Step 2: logistic regression with the Value engine, checked against the closed form
# --------------------------------------------------------------------------------------------
def gradient_difference(w: Any, b: float, X: Any, Y: Any, *, fused: bool = False) -> float:
    """Largest |engine - closed form| over the components of (dw, db) at ``(w, b)``.

    The engine's gradient comes from backpropagation through the cost graph, composed (the
    one learners draw; the default) or with fused nodes; the closed form from the vectorized
    ``X (A - Y)^T / m``. ``micrograd-lr train --check`` prints it too.
    """
    engine, _ = logistic.value_propagate(w, b, X, Y, fused=fused)
    closed, _ = logistic.propagate(w, b, X, Y)
    return max(
        float(np.max(np.abs(engine["dw"] - closed["dw"]))),
        abs(float(engine["db"]) - float(closed["db"])),
    )


def compiled_descent(
    X: Any,
    Y: Any,
    *,
    w: Any,
    b: float,
    iterations: int,
    learning_rate: float,
    progress: bool = False,
) -> tuple[Any, float, list[float], int]:
    """Gradient descent on the composed cost graph, traced once and replayed.

    The same steps as ``logistic.train(engine="value", fused=False)``, bit for bit: the
    replay computes the engine's floats (`micrograd_lr.compile`). The composed graph takes
    a branch on the sign of each logit, so the trace is keyed by those signs and re-traced
    when one changes. ``progress`` shows a tqdm bar on stderr.

    Returns
    -------
    w : numpy.ndarray, shape (n_x, 1)
    b : float
    costs : list of float
        The cost before each step and at the end (``iterations + 1`` of them).
    traces : int
        How many times the graph was traced.
    """
    from .compile import compile_gradient, logit_signs

    n = X.shape[0]

    def cost(*theta: Value) -> Value:
        return logistic.cost_graph(list(theta[:n]), theta[n], X, Y, fused=False)

    theta = np.append(np.asarray(w, dtype=np.float64).ravel(), float(b))
    gradient = compile_gradient(cost, theta, key=logit_signs(X))
    costs = []
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=iterations, desc="training (compiled)", unit="it", file=sys.stderr)
    try:
        for iteration in range(iterations + 1):
            value, g = gradient(theta)
            costs.append(value)
            if iteration < iterations:
                theta[:n] -= learning_rate * g[:n]
                theta[n] -= learning_rate * g[n]
                if bar is not None:
                    bar.update()
    finally:
        if bar is not None:
            bar.close()
    traces = 1 + gradient.compiled.retraces  # type: ignore[attr-defined]
    return theta[:n].reshape(n, 1), float(theta[n]), costs, traces


def logistic_step(
    out_dir: Path,
    *,
    iterations: int = 100,
    progress: bool = False,
    compiled: bool = True,
    stream: TextIO,
) -> StepResult:
    """Train logistic regression on the embedded data set with gradients from the Value
    engine; check them against the vectorized closed form before and after training.

    The learning rate is the largest one guaranteed to converge (``"auto"`` in
    `micrograd_lr.logistic.train`). Writes ``cost_curve.png`` when matplotlib is installed.

    Parameters
    ----------
    out_dir : Path
        An existing folder for the plot.
    iterations : int, default 100
        Gradient-descent steps.
    progress : bool, default False
        Show a tqdm progress bar on stderr (skipped, with a note, without tqdm).
    compiled : bool, default True
        Trace the cost graph once and replay it (`compiled_descent`, the same numbers);
        False rebuilds and backpropagates it with the plain engine at every step.
    stream : text file
        Where the report is printed.
    """
    say = functools.partial(print, file=stream)
    result = StepResult()
    data = datasets.load("synthetic")
    X, Y = data.columns()  # the course's layout: X (n_x, m), Y (1, m)
    say(f"  data: the embedded synthetic set, {data.m} examples, {data.n} features")
    if progress and not _have("tqdm"):
        result.skipped.append(f"the progress bar: tqdm is not installed; {HOW_TO_GET['tqdm']}")
        progress = False
    w0, b0 = logistic.initialize_with_zeros(data.n)
    checks = [gradient_difference(w0, b0, X, Y)]
    say(f"  gradient check at the start: largest |engine - closed form| = {checks[0]:.3g}")
    # The composed graph (sigmoid, log, ... as separate nodes): the one learners draw.
    rate = logistic.lipschitz_learning_rate(X)
    if compiled:
        w, b, costs, traces = compiled_descent(
            X, Y, w=w0, b=b0, iterations=iterations, learning_rate=rate, progress=progress
        )
        say(f"  the cost graph traced {traces} time(s) and replayed (--no-compile: plain engine)")
    else:
        trained = logistic.train(
            X,
            Y,
            engine="value",
            fused=False,
            num_iterations=iterations,
            learning_rate=rate,
            w=w0,
            b=b0,
            progress=progress,
        )
        w, b, costs = trained.w, trained.b, [float(c) for c in trained.costs]
    checks.append(gradient_difference(w, b, X, Y))
    say(f"  gradient check at the end:   largest |engine - closed form| = {checks[1]:.3g}")
    accuracy = float(np.mean(logistic.predict(w, b, X) == Y))
    say(
        f"  cost {costs[0]:.4f} -> {costs[-1]:.4f} after {iterations} iterations "
        f"(learning rate {rate:.3g}), training accuracy {accuracy:.1%}"
    )
    result.numbers.update(costs=costs, gradient_checks=checks, accuracy=accuracy)
    _plot_costs(costs, out_dir, result)
    return result


def _plot_costs(costs: list[float], out_dir: Path, result: StepResult) -> None:
    if not _have("matplotlib"):
        result.skipped.append(
            f"the cost curve plot: matplotlib is not installed; {HOW_TO_GET['matplotlib']}"
        )
        return
    path = out_dir / FILES[3]
    plots.save_cost_curve(costs, path, title="Logistic regression trained with the Value engine")
    result.files.append(path)


# --------------------------------------------------------------------------------------------
# Step 3: vectorization
# --------------------------------------------------------------------------------------------
def _run_times(f: Callable[[], object], *, repeats: int, budget: float) -> list[float]:
    """The times of up to ``repeats`` calls of ``f`` (at least three), stopping early once
    ``budget`` seconds have passed."""
    times = []
    deadline = time.perf_counter() + budget
    for i in range(repeats):
        start = time.perf_counter()
        f()
        end = time.perf_counter()
        times.append(end - start)
        if i >= 2 and end > deadline:
            break
    return times


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Limit NumPy's BLAS to one thread while the block runs (threadpoolctl).

    The loop runs on one core, so NumPy should too for a fair comparison; and on a busy
    machine a multi-threaded ``np.dot`` can wait milliseconds for a helper thread to be
    scheduled, which measured 50x slower than one thread on two shared cores.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


def vectorization_step(*, n: int = 1_000_000, seed: int = 0, stream: TextIO) -> StepResult:
    """Time the same dot product as a Python loop and as ``np.dot``; report the speed-up.

    Parameters
    ----------
    n : int, default 1_000_000
        The length of the two vectors.
    seed : int, default 0
        Seeds the random vectors.
    stream : text file
        Where the report is printed.
    """
    say = functools.partial(print, file=stream)
    rng = np.random.default_rng(seed)
    x, y = rng.random(n), rng.random(n)
    xs, ys = x.tolist(), y.tolist()  # the loop works on Python floats, as a learner writes it

    def loop() -> float:
        total = 0.0
        for i in range(n):
            total += xs[i] * ys[i]
        return total

    loop_result, numpy_result = loop(), float(np.dot(x, y))
    # Medians of repeated runs, and the spread between quartiles: one run of either can be
    # slowed several-fold by other programs on a shared machine, and a single ratio of two
    # such runs swung from 10x to 586x over seven demos.
    loop_times = _run_times(loop, repeats=7, budget=0.5)
    with single_threaded_blas():
        numpy_times = _run_times(lambda: np.dot(x, y), repeats=301, budget=0.3)
    loop_time, numpy_time = float(np.median(loop_times)), float(np.median(numpy_times))
    speedup = loop_time / numpy_time
    low = float(np.quantile(loop_times, 0.25) / np.quantile(numpy_times, 0.75))
    high = float(np.quantile(loop_times, 0.75) / np.quantile(numpy_times, 0.25))
    say(f"  dot product of two vectors of {n:,} numbers (median times)")
    say(
        f"  Python loop: {loop_time * 1e3:8.2f} ms   result {loop_result:.6f}   "
        f"{len(loop_times)} runs"
    )
    say(
        f"  np.dot:      {numpy_time * 1e3:8.2f} ms   result {numpy_result:.6f}   "
        f"{len(numpy_times)} runs, 1 thread"
    )
    say(
        f"  speed-up: {speedup:,.0f}x (quartiles {low:,.0f}x to {high:,.0f}x; same result to "
        f"{abs(loop_result - numpy_result):.1e})"
    )
    return StepResult(
        numbers={
            "loop_result": loop_result,
            "numpy_result": numpy_result,
            "loop_seconds": loop_time,
            "numpy_seconds": numpy_time,
            "speedup": speedup,
            "speedup_low": low,
            "speedup_high": high,
        }
    )


# --------------------------------------------------------------------------------------------
# The whole demo
# --------------------------------------------------------------------------------------------
def run(
    out_dir: Path = DEFAULT_OUT,
    *,
    progress: bool | None = None,
    compiled: bool = True,
    stream: TextIO | None = None,
) -> dict[str, StepResult]:
    """Run the three steps, write their files into ``out_dir`` and print a summary.

    Parameters
    ----------
    out_dir : Path, default ``micrograd_lr_demo``
        Created if missing; files already there with the demo's names are replaced.
    progress : bool or None, default None
        Show a progress bar while training; None shows it only when stderr is a terminal.
    compiled : bool, default True
        Train on the traced-and-replayed cost graph (False: the plain engine every step).
    stream : text file, default sys.stdout
        Where the report is printed.

    Returns
    -------
    dict
        The `StepResult` of each step, keyed ``"j"``, ``"logistic"``, ``"vectorization"``.

    Raises
    ------
    UsageError
        Before any step, when ``out_dir`` is a file or cannot be created or written to, or
        when one of the `FILES` it writes is a folder there.
    Interrupted
        On Ctrl-C (a `KeyboardInterrupt`), saying which step was running and which files
        were written.
    """
    stream = sys.stdout if stream is None else stream
    say = functools.partial(print, file=stream)
    if progress is None:
        progress = sys.stderr.isatty()
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--out {out_dir} is a file, not a folder; give a folder to write to")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        check_writable(out_dir)  # before any step: fail with one line, not half a demo
    except OSError as error:
        raise UsageError(
            f"--out {out_dir}: cannot write there ({error.strerror}); give a folder you can "
            "write to"
        ) from None
    in_the_way = [name for name in FILES if (out_dir / name).is_dir()]
    if in_the_way:
        raise UsageError(
            f"--out {out_dir}: {', '.join(in_the_way)} "
            f"{'is a folder' if len(in_the_way) == 1 else 'are folders'} where the demo writes "
            "a file; remove it or give another --out"
        )
    start = time.perf_counter()
    results: dict[str, StepResult] = {}
    steps: list[tuple[str, str, Callable[[], StepResult]]] = [
        ("j", "1. Backpropagation on a small graph", lambda: j_step(out_dir, stream=stream)),
        (
            "logistic",
            "2. Logistic regression trained with the Value engine",
            lambda: logistic_step(out_dir, progress=progress, compiled=compiled, stream=stream),
        ),
        ("vectorization", "3. Vectorization", lambda: vectorization_step(stream=stream)),
    ]
    for key, title, step in steps:
        say(("\n" if results else "") + title)
        try:
            results[key] = step()
        except KeyboardInterrupt:
            files = [f.name for r in results.values() for f in r.files]
            written = ", ".join(files) if files else "none"
            raise Interrupted(
                f"during step {title.split('.')[0]} of {len(steps)}; files written to "
                f"{out_dir}: {written}"
            ) from None
    _summary(results, out_dir, time.perf_counter() - start, stream)
    return results


GRADIENT_TOLERANCE = 1e-10
"""Largest difference allowed between the engine's and the closed-form gradients."""


def checks_passed(results: dict[str, StepResult]) -> bool:
    """Whether every gradient the demo checked agreed with its closed form."""
    differences = [results["j"].numbers["max_diff"]]
    differences += results["logistic"].numbers.get("gradient_checks", [])
    return all(d <= GRADIENT_TOLERANCE for d in differences)


def _summary(results: dict[str, StepResult], out_dir: Path, seconds: float, stream: TextIO) -> None:
    say = functools.partial(print, file=stream)
    files = [f for r in results.values() for f in r.files]
    skipped = [s for r in results.values() for s in r.skipped]
    say(f"\nDone in {seconds:.1f} s. Files written to {out_dir}/:")
    for path in files:
        say(f"  {path.name}")
    if not files:
        say("  (none)")
    if skipped:
        say("Skipped:")
        for line in skipped:
            say(f"  {line}")
