"""Replay a traced graph in machine code: a flat-array interpreter compiled by Numba (the
``fast`` extra, ``pip install micrograd_lr[fast]``), bit for bit as the engine computes it.

Straight-line Python (`micrograd_lr.compile`'s generated code) spends about 50-90 ns a node,
most of it in the interpreter's calls and float objects; a chain of ``tanh`` and ``exp``
cannot go faster in Python. Here the graph is a few flat arrays (each node's operation code,
where its operands start in the operand arrays, and for each operand its position or folded
number and its constant coefficient), and one loop, compiled once per machine and cached on
disk, walks them forward and then backward: 20-35 ns a node on a chain of ``tanh``, mostly
the C library's ``tanh`` itself.

Exactness holds because the loop does what the engine does, in the same order:

- ``+ - * /``, negation and ``abs`` are IEEE 754 operations, rounded as Python's floats are;
  ``exp``, ``log``, ``log1p``, ``tanh`` and ``**`` call the same C library functions that
  Python's ``math`` module and float power call; the sigmoid, the fused nodes' sums and
  every derivative rule are the engine's own formulas written out in its order (`_verify`
  checks each operation against the engine's Python function on `SAMPLE_POINTS` before the
  first replay, and turns the loop off if one differs);
- gradients are summed from 0.0, node by node in the engine's backward order (reverse forward
  position), each node's operands in written order, as ``Value.backward`` does;
- wherever Python would raise (a division by zero, ``log`` of a non-positive number, an
  overflow, a negative base to a fractional power) or a number leaves the finite floats, the
  loop stops and says so: the caller then asks the engine, which gives its numbers or raises
  its error. A replay never returns a number the engine would not.

Supported: the engine's operations (`OPS`, folded numbers on either side) and
`micrograd_lr.fused`'s ``linear``, unweighted ``mean`` and ``log_loss``, and
`micrograd_lr.nn`'s neuron. A graph with a user's operation (or a weighted mean) stays with
the Python replays.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from functools import cache
from itertools import chain, repeat
from typing import Any

import numpy as np

from . import fused, nn
from .engine import OPS, Op, Value

__all__ = ["CODES", "NativePlan", "available", "problem"]

CODES: dict[str, int] = {
    name: code
    for code, name in enumerate(
        (
            *("add", "sub", "mul", "div", "pow", "neg", "abs", "exp", "log", "tanh"),
            *("sigmoid", "relu", "logloss", "linear", "mean", "neuron"),
        ),
        start=1,
    )
}
"""Operation codes of the compiled loop (0 is a leaf: an input or a constant). From
``linear`` on, a node has any number of operands."""


def _mean_op(k: int) -> Op:
    op = fused.mean([Value(0.0)] * k).op
    assert op is not None
    return op


_COEFFICIENTS = (CODES["linear"], CODES["mean"])  # their rules are the node's numbers


def _engine_code(op: Op) -> int | None:
    """The loop's code for one of the supported operations, else None."""
    for name, engine_op in (*OPS.items(), ("logloss", fused.LOG_LOSS)):
        if op.forward is engine_op.forward and op.derivatives is engine_op.derivatives:
            return CODES[name]
    code = getattr(op.forward, "__code__", None)
    if code is fused.LINEAR_FORWARD_CODE:
        return CODES["linear"]
    if code is fused.MEAN_FORWARD_CODE:
        return CODES["mean"]
    if code is nn.NEURON_FORWARD_CODE:
        return CODES["neuron"]
    return None


def _codes(ops: Sequence[Op | None]) -> dict[Op, int | None]:
    """The loop's code of each distinct operation in ``ops`` (None: not supported)."""
    distinct = {op: None for op in ops if op is not None}  # a graph has a few kinds
    return {op: _engine_code(op) for op in distinct}


def _load() -> Callable[..., int]:
    from . import _native_loop

    return _native_loop.replay


@cache
def _loaded() -> tuple[Callable[..., int] | None, str | None]:
    """The replay loop (`micrograd_lr._native_loop`, compiled by Numba on first use and
    cached on disk), or None and why not."""
    try:
        return _load(), None
    except ModuleNotFoundError as exc:
        if exc.name != "numba":
            raise
        return None, "Numba is not installed (pip install 'micrograd_lr[fast]')"
    except Exception as exc:  # a broken Numba, no writable cache location, ...
        return None, f"the loop could not be loaded ({type(exc).__name__}: {exc})"


def _kernel() -> Callable[..., int] | None:
    return _loaded()[0]


class NativePlan:
    """A traced graph as the compiled loop's arrays.

    Parameters
    ----------
    ops, args, data : sequences indexed by forward position
        As `micrograd_lr.compile`'s traced graph holds them: each node's operation (None for
        a leaf), its operands in written order (an int a position, a float a folded number),
        and each leaf's value (0.0 for a computed node). The last node is the root.
    inputs : sequence of int
        The forward position of each input, in input order (-1 for one the root does not
        use).
    outputs : sequence of int
        The positions whose gradients `run` returns (-1: a gradient of 0.0).

    Raises
    ------
    ValueError
        If an operation is not one of the engine's own (`supports` tells beforehand).
    """

    __slots__ = ("_arrays", "_grads0", "_inputs", "_outputs", "_values0")

    def __init__(
        self,
        ops: Sequence[Op | None],
        args: Sequence[tuple[int | float, ...]],
        data: Sequence[float],
        inputs: Sequence[int],
        outputs: Sequence[int],
    ) -> None:
        n = len(ops)
        codes = _codes(ops)
        if None in codes.values():
            unsupported = next(op for op in codes if codes[op] is None)
            raise ValueError(
                f"{unsupported!r} is not an operation the native loop computes "
                "(NativePlan.supports tells beforehand)"
            )
        code = np.array([0 if op is None else codes[op] for op in ops], np.int8)
        start = np.zeros(n + 1, np.int64)
        np.cumsum([len(a) for a in args], out=start[1:])
        # Each operand: a position (int) or a folded number (float); and a coefficient, the
        # constant rule of a linear or mean node's operand (0.0 elsewhere).
        flat = list(chain.from_iterable(args))
        operand = np.array([a if type(a) is int else -1 for a in flat], np.int64)
        number = np.array([0.0 if type(a) is int else a for a in flat], np.float64)
        rules = (
            op.derivatives if op is not None and codes[op] in _COEFFICIENTS else repeat(0.0, len(a))
            for op, a in zip(ops, args, strict=True)
        )
        coefficient = np.fromiter(chain.from_iterable(rules), np.float64, len(flat))
        self._arrays = (code, start, operand, number, coefficient)
        # One slot past the graph stands for "no node": an unused input is written there and
        # an output of -1 reads its gradient, which stays 0.0.
        self._values0 = np.array([*data, 0.0], np.float64)
        self._grads0 = np.zeros(n + 1)
        self._inputs = np.array([i if i >= 0 else n for i in inputs], np.int64)
        self._outputs = np.array([i if i >= 0 else n for i in outputs], np.int64)

    @staticmethod
    def supports(ops: Sequence[Op | None]) -> bool:
        """Whether every operation of a traced graph is one the loop computes."""
        return None not in _codes(ops).values()

    def _replay(self, xs: Sequence[float], backward: bool) -> tuple[Any, Any] | None:
        replay = _kernel()
        assert replay is not None, "NativePlan needs Numba: check available() first"
        values = self._values0.copy()
        values[self._inputs] = xs
        grads = self._grads0.copy()
        failed = replay(*self._arrays, values, grads, backward)
        return None if failed >= 0 else (values, grads)

    def run(self, xs: Sequence[float]) -> list[float] | None:
        """``[value, *gradients of the outputs]`` at the inputs ``xs``, or None where the
        engine would raise or leave the finite numbers: the engine's numbers are then for the
        caller to get (`micrograd_lr.compile` rebuilds the graph on the engine)."""
        result = self._replay(xs, True)
        if result is None:
            return None
        values, grads = result
        return [float(values[-2]), *grads[self._outputs].tolist()]

    def value(self, xs: Sequence[float]) -> float | None:
        """The root's value alone (forward only), or None as for `run`."""
        result = self._replay(xs, False)
        return None if result is None else float(result[0][-2])


@cache
def problem() -> str | None:
    """Why the compiled loop cannot run here, or None where it can: Numba is missing, the loop
    cannot be loaded (a broken Numba, no writable cache location), or it disagrees with the
    engine on an operation at a sample point (`_verify`; then a RuntimeWarning says so
    once). Found once per process: the first call imports Numba and loads the loop."""
    kernel, why_not = _loaded()
    if kernel is None:
        return why_not
    disagreement = _verify()
    if disagreement is not None:
        message = f"the compiled loop disagrees with the engine: {disagreement}"
        warnings.warn(
            f"micrograd_lr.native is off, {message}; the Python replays are used instead",
            RuntimeWarning,
            stacklevel=2,
        )
        return message
    return None


def available() -> bool:
    """Whether the compiled loop can run here (see `problem`)."""
    return problem() is None


def _verify() -> str | None:
    """The first operation where the compiled loop and the engine's Python functions differ
    on a sample point, or None."""
    from .lanes import SAMPLE_POINTS

    one = [(x,) for x in SAMPLE_POINTS]
    two = [(x, y) for x in SAMPLE_POINTS for y in SAMPLE_POINTS]
    three = [(x, y, z) for x in SAMPLE_POINTS[:9] for y in SAMPLE_POINTS for z in SAMPLE_POINTS]
    cases: list[tuple[str, Op, Any, Sequence[float]]] = []
    for name, op in OPS.items():
        cases.append((name, op, two if len(op.derivatives) == 2 else one, ()))
    cases.append(("logloss", fused.LOG_LOSS, one, (0.0,)))  # the label is a folded number
    cases.append(("logloss", fused.LOG_LOSS, one, (1.0,)))
    cases.append(("linear", fused.linear_op([0.5, -2.5]), three, ()))
    cases.append(("mean", _mean_op(3), three, ()))
    cases.append(("neuron", nn._neuron_op(1), three, ()))
    for name, op, points, folded in cases:
        plan = _one_node(op, len(points[0]), folded)
        for point in points:
            expected = _engine_numbers(op, point, folded)
            result = plan.run(point)
            got = None if result is None else [_bits(x) for x in result]
            if got is not None and got != expected:
                return f"{name}{(*point, *folded)} gives {got}, the engine {expected}"
    return None


def _bits(x: float) -> Any:
    return "nan" if math.isnan(x) else np.float64(x).tobytes()


def _engine_numbers(op: Op, point: tuple[float, ...], folded: Sequence[float]) -> Any:
    try:
        out = op.forward(*point, *folded)
        if type(out) is not float:
            return None
        rules = [d if type(d) is float else d(out, *point, *folded) for d in op.derivatives]
    except (ArithmeticError, ValueError):
        return None
    # A gradient is summed from 0.0: 0.0 + d is what a seed of 1.0 gives an operand.
    return [_bits(out), *(_bits(0.0 + d) for d in rules[: len(point)])]


def _one_node(op: Op, n: int, folded: Sequence[float]) -> NativePlan:
    """A graph of ``n`` inputs and one node ``op(inputs..., folded...)``: its gradients with
    a seed of 1.0 are the node's local derivatives."""
    leaves: list[Op | None] = [None] * n
    args: list[tuple[int | float, ...]] = [()] * n + [(*range(n), *folded)]
    return NativePlan([*leaves, op], args, [0.0] * (n + 1), range(n), range(n))
