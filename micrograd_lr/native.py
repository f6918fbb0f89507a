"""Replay a traced graph in machine code: a flat-array interpreter compiled by Numba (the
``fast`` extra, ``pip install micrograd_lr[fast]``), bit for bit as the engine computes it.

Straight-line Python (`micrograd_lr.compile`'s default) spends about 60-90 ns a node, most of
it in the interpreter's calls and float objects; a chain of ``tanh`` and ``exp`` cannot go
faster in Python. Here the graph is four flat arrays (each node's operation code, its two
operands' positions, and the numbers folded into it), and one loop, compiled once per
machine and cached on disk, walks them forward and then backward: a few nanoseconds a node.

Exactness holds because the loop does what the engine does, in the same order:

- ``+ - * /``, negation and ``abs`` are IEEE 754 operations, rounded as Python's floats are;
  ``exp``, ``log``, ``tanh`` and ``**`` call the same C library functions that Python's
  ``math`` module and float power call; the sigmoid and every derivative rule are the engine's
  own formulas written out (`_verify` checks each against the engine's Python function on
  `SAMPLE_POINTS` before the first replay, and refuses the backend if one differs);
- gradients are summed from 0.0, node by node in the engine's backward order (reverse forward
  position), each node's operands in written order, as ``Value.backward`` does;
- wherever Python would raise (a division by zero, ``log`` of a non-positive number, an
  overflow, a negative base to a fractional power) or the engine's rules leave the finite
  numbers, the loop stops and reports failure: the caller then replays in Python, which
  gives the engine's numbers or raises its error. A replay never returns a number the engine
  would not.

Only the engine's own operations are supported (`OPS`, folded numbers on either side); a
graph with a fused node, a neuron or a user's operation stays with the Python replays.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

import numpy as np

from .engine import OPS, Op

__all__ = ["NativePlan", "available", "problem"]

# Operation codes of the compiled loop (0 is a leaf: an input or a constant).
CODES: dict[str, int] = {
    name: code
    for code, name in enumerate(
        ("add", "sub", "mul", "div", "pow", "neg", "abs", "exp", "log", "tanh", "sigmoid", "relu"),
        start=1,
    )
}


def _engine_code(op: Op) -> int | None:
    """The loop's code for one of the engine's operations (plain or reflected), else None."""
    for name, engine_op in OPS.items():
        if op.forward is engine_op.forward and op.derivatives is engine_op.derivatives:
            return CODES[name]
    return None


def _codes(ops: Sequence[Op | None]) -> dict[Op, int | None]:
    """The loop's code of each distinct operation in ``ops`` (None: not the engine's)."""
    distinct = {op: None for op in ops if op is not None}  # a graph has a few kinds
    return {op: _engine_code(op) for op in distinct}


def _split(operands: list[int | float]) -> tuple[Any, Any]:
    """Positions (-1 for a folded number) and folded numbers (0.0 for a position)."""
    is_position = [type(a) is int for a in operands]
    positions = np.array([a if p else -1 for a, p in zip(operands, is_position, strict=True)])
    numbers = np.array([0.0 if p else a for a, p in zip(operands, is_position, strict=True)])
    return positions.astype(np.int64), numbers.astype(np.float64)


@cache
def _kernel() -> Callable[..., int] | None:
    """The replay loop (`micrograd_lr._native_loop`), compiled by Numba on first use and
    cached on disk; None without Numba."""
    try:
        from . import _native_loop
    except ImportError:
        return None
    return _native_loop.replay


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
            raise ValueError(
                f"{next(op for op in codes if codes[op] is None)!r} is not one of the engine's "
                "operations (NativePlan.supports tells beforehand)"
            )
        code = np.array([0 if op is None else codes[op] for op in ops], np.int8)
        # Each node's operands: a position (int) or a folded number (float), left and right.
        left_any = [a[0] if a else -1 for a in args]
        right_any = [a[1] if len(a) > 1 else -1 for a in args]
        left, left_k = _split(left_any)
        right, right_k = _split(right_any)
        self._arrays = (code, left, right, left_k, right_k)
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

    def nbytes(self) -> int:
        """Bytes the plan's arrays hold."""
        arrays = (*self._arrays, self._values0, self._grads0, self._inputs, self._outputs)
        return sum(a.nbytes for a in arrays)


@cache
def problem() -> str | None:
    """Why the compiled loop cannot run here, or None where it can: Numba is missing, or the
    loop disagrees with the engine on an operation at a sample point (`_verify`; then a
    RuntimeWarning says so once)."""
    if _kernel() is None:
        return "Numba is not installed (pip install 'micrograd_lr[fast]')"
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

    for name, op in OPS.items():
        arity = 1 if CODES[name] >= CODES["neg"] else 2
        pairs = [(x,) for x in SAMPLE_POINTS] if arity == 1 else [
            (x, y) for x in SAMPLE_POINTS for y in SAMPLE_POINTS
        ]  # fmt: skip
        for point in pairs:
            expected = _engine_numbers(op, point)
            got = _native_numbers(op, point)
            if got is not None and got != expected:
                return f"{name}{point} gives {got}, the engine {expected}"
    return None


def _bits(x: float) -> Any:
    return "nan" if math.isnan(x) else np.float64(x).tobytes()


def _engine_numbers(op: Op, point: tuple[float, ...]) -> Any:
    try:
        out = op.forward(*point)
        if type(out) is not float:
            return None
        rules = [d if type(d) is float else d(out, *point) for d in op.derivatives]
    except (ArithmeticError, ValueError):
        return None
    # A gradient is summed from 0.0: 0.0 + d is what a seed of 1.0 gives an operand.
    return [_bits(out), *(_bits(0.0 + d) for d in rules)]


def _native_numbers(op: Op, point: tuple[float, ...]) -> Any:
    """The loop's value and local derivatives at ``point`` (a graph of inputs and one node,
    whose gradients with a seed of 1.0 are the derivatives), or None where it declines."""
    n = len(point)
    leaves: list[Op | None] = [None] * n
    args: list[tuple[int, ...]] = [()] * n + [tuple(range(n))]
    plan = NativePlan([*leaves, op], args, [0.0] * (n + 1), range(n), range(n))
    result = plan.run(point)
    return None if result is None else [_bits(x) for x in result]
