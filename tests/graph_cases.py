"""Random Value graphs as recipes that the engine and a compiled replay both evaluate, and the
bitwise comparison of their results (shared by test_compile and test_lanes)."""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from micrograd_lr import Value, fused

# --------------------------------------------------------------------------------------------
# Random graphs, as recipes that the engine and the compiled replay both evaluate
# --------------------------------------------------------------------------------------------
UNARY = ("neg", "abs", "exp", "log", "tanh", "sigmoid", "relu")
BINARY = ("add", "sub", "mul", "div", "pow")
SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 3.0, 1e-320, 700.0, -800.0, math.inf, math.nan]

numbers = st.floats(-4, 4, allow_nan=False) | st.sampled_from(SPECIAL)
constants = st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 3, -2.5, 0.999, 1e-3])


@st.composite
def recipes(draw: Any, plain: bool = False) -> tuple[int, list[tuple[Any, ...]]]:
    """``(n_inputs, steps)``: each step makes one node from earlier nodes (by index; the
    same index twice is the same node as both operands) and folded numbers. ``plain``: the
    engine's own operations only (no fused nodes), the nodes summed into the root by
    Python's ``sum``."""
    n_inputs = draw(st.integers(1, 4))
    steps: list[tuple[Any, ...]] = []
    kinds = ("unary", "binary", "left", "right")
    if not plain:
        kinds += ("linear", "mean", "ll")
    for _ in range(draw(st.integers(1, 14))):
        available = n_inputs + len(steps)
        pick = st.integers(0, available - 1)
        kind = draw(st.sampled_from(kinds))
        if kind == "unary":
            steps.append(("unary", draw(st.sampled_from(UNARY)), draw(pick)))
        elif kind == "binary":
            steps.append(("binary", draw(st.sampled_from(BINARY)), draw(pick), draw(pick)))
        elif kind in ("left", "right"):  # a folded number on the left or the right
            steps.append((kind, draw(st.sampled_from(BINARY)), draw(pick), draw(constants)))
        elif kind == "linear":
            k = draw(st.integers(1, 3))
            ws = [draw(pick) for _ in range(k)]
            row = [draw(st.floats(-2, 2, allow_nan=False)) for _ in range(k)]
            steps.append(("linear", ws, draw(pick), row))
        elif kind == "mean":
            steps.append(("mean", [draw(pick) for _ in range(draw(st.integers(1, 4)))]))
        else:
            steps.append(("ll", draw(pick), draw(st.sampled_from([0.0, 1.0]))))
    if plain:
        steps.append(("sum",))
    return n_inputs, steps


def build(steps: Sequence[tuple[Any, ...]], leaves: Sequence[Value]) -> Value:
    import operator

    nodes = list(leaves)
    binary = {"add": operator.add, "sub": operator.sub, "mul": operator.mul}
    binary.update(div=operator.truediv, pow=operator.pow)
    for step in steps:
        kind = step[0]
        if kind == "unary":
            x = nodes[step[2]]
            name = step[1]
            nodes.append(-x if name == "neg" else abs(x) if name == "abs" else getattr(x, name)())
        elif kind == "binary":
            nodes.append(binary[step[1]](nodes[step[2]], nodes[step[3]]))
        elif kind == "left":
            nodes.append(binary[step[1]](step[3], nodes[step[2]]))
        elif kind == "right":
            nodes.append(binary[step[1]](nodes[step[2]], step[3]))
        elif kind == "linear":
            nodes.append(fused.linear([nodes[i] for i in step[1]], nodes[step[2]], step[3]))
        elif kind == "mean":
            nodes.append(fused.mean([nodes[i] for i in step[1]]))
        elif kind == "ll":
            nodes.append(fused.log_loss(nodes[step[1]], step[2]))
    # Every node reaches the root: a replay computes only what reaches the root, so a node
    # off to the side would raise in the engine and not in the replay.
    made = nodes[len(leaves) :]
    if len(made) == 1:
        return made[0]
    return sum(made) if steps[-1] == ("sum",) else fused.mean(made)


def bits(x: float) -> bytes:
    """The float's bits; every NaN alike. Which NaN an operation on two NaNs returns is not
    fixed even by the engine: CPython's specialized float addition may return either
    operand's (so its sign can differ between two runs of the same code)."""
    return b"nan" if math.isnan(x) else struct.pack("<d", x)


def engine_result(steps: Any, xs: Sequence[float]) -> tuple[float, list[float]]:
    leaves = [Value(x, f"x{k}") for k, x in enumerate(xs)]
    root = build(steps, leaves)
    root.backward()
    return root.data, [leaf.grad for leaf in leaves]


def assert_bitwise(got: tuple[float, Any], expected: tuple[float, list[float]]) -> None:
    value, grad = got
    assert bits(value) == bits(expected[0]), (value, expected[0])
    assert [bits(g) for g in grad.tolist()] == [bits(g) for g in expected[1]], (grad, expected[1])


def engine_or_error(steps: Any, xs: Sequence[float]) -> Any:
    try:
        return engine_result(steps, xs)
    except (ArithmeticError, ValueError) as exc:
        return exc


def engine_at(f: Any, point: Sequence[float]) -> tuple[float, list[float]]:
    """``f``'s value and gradient at ``point`` by the engine."""
    leaves = [Value(x) for x in point]
    root = f(*leaves)
    root.backward()
    return root.data, [leaf.grad for leaf in leaves]


def assert_like_the_engine(replay: Any, expected: Any) -> None:
    """``replay()`` gives ``expected``, the engine's ``(value, gradient)`` bit for bit, or
    raises the engine's error (``expected`` an exception) with the same message."""
    import pytest

    if isinstance(expected, Exception):
        with pytest.raises(type(expected)) as raised:
            replay()
        assert str(raised.value) == str(expected)
    else:
        assert_bitwise(replay(), expected)


def mlp_loss(composed: bool) -> tuple[Any, list[float]]:
    """micrograd's demo loss (max-margin, L2) on 30 moons, as a function of the MLP's
    parameters, the model written as micrograd's demo writes it."""
    import random

    import numpy as np

    from micrograd_lr.nn import MLP

    random.seed(1337)
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 2))
    y = np.where(X[:, 0] * X[:, 1] > 0, 1.0, -1.0)
    model = MLP(2, [8, 8, 1], composed=composed)

    def loss(*ps: Value) -> Value:
        k = 0
        for layer in model.layers:
            for neuron in layer.neurons:
                neuron.w = list(ps[k : k + len(neuron.w)])
                neuron.b = ps[k + len(neuron.w)]
                k += len(neuron.w) + 1
        scores = [model([Value(float(a)) for a in x]) for x in X]
        losses = [(1 + -yi * s).relu() for yi, s in zip(y, scores, strict=True)]
        return sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in ps)

    return loss, [p.data for p in model.parameters()]


def logistic_cost(n: int, m: int, *, seed: int, fused_nodes: bool) -> tuple[Any, Any, Any, Any]:
    """``(cost(*w, b), its key, X, Y)``: logistic regression's cost graph on ``m`` random
    examples of ``n`` features; the key tells the composed graph's branches apart."""
    import numpy as np

    from micrograd_lr import logistic
    from micrograd_lr.compile import logit_signs

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, m))
    Y = (rng.random((1, m)) > 0.5).astype(float)

    def cost(*wb: Value) -> Value:
        return logistic.cost_graph(list(wb[:-1]), wb[-1], X, Y, fused=fused_nodes)

    return cost, None if fused_nodes else logit_signs(X), X, Y


def negative_zero_shares(x: Value, y: Value) -> Value:
    """At x < 0 < y every share x and m receive is -0.0 (0.0 times a negative gradient); at
    y = inf a share to x is 0 * inf, a NaN. ``r`` and ``m`` are labelled."""
    r = x.relu()
    r.label = "r"
    m = x * y
    m.label = "m"
    return r * -2.0 + m.relu() * -1.0 + (x * -0.0) * 3.0
