"""micrograd_lr.lanes: a replay in lanes is bitwise the engine's, over random graphs made of
lanes (one copy of a little graph per example, joined by a sum or a mean) and over every
random graph; it is chosen where it pays, raises the engine's errors, and refuses an order
of gradient shares it cannot follow."""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from graph_cases import (
    BINARY,
    UNARY,
    assert_bitwise,
    assert_like_the_engine,
    bits,
    engine_at,
    logistic_cost,
    numbers,
)
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from micrograd_lr import DomainError, Value, fused, native
from micrograd_lr.compile import _Graph, compile
from micrograd_lr.graph import nodes as _nodes
from micrograd_lr.lanes import LanePlan, NoLanes

BINARY_OPS = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "pow": operator.pow,
}
lane_numbers = st.floats(-3, 3, allow_nan=False) | st.sampled_from([0.0, -0.0, 1.0, 2.0, 0.5])


# --------------------------------------------------------------------------------------------
# Random graphs made of lanes
# --------------------------------------------------------------------------------------------
@st.composite
def lane_recipes(draw: Any) -> dict[str, Any]:
    """A little graph repeated once per lane: its leaves are the shared inputs and the lane's
    own constant leaf; its steps take earlier nodes (by index) and folded numbers that
    differ between lanes. The lanes are joined by a Python sum, a fused mean or a product."""
    n_inputs = draw(st.integers(1, 3))
    n_lanes = draw(st.integers(2, 7))
    steps: list[tuple[Any, ...]] = []
    for _ in range(draw(st.integers(1, 6))):
        pick = st.integers(0, n_inputs + len(steps))  # the inputs, the lane's leaf, nodes
        kind = draw(st.sampled_from(("unary", "binary", "right", "left", "linear", "ll")))
        per_lane = st.lists(lane_numbers, min_size=n_lanes, max_size=n_lanes)
        if kind == "unary":
            steps.append(("unary", draw(st.sampled_from(UNARY)), draw(pick)))
        elif kind == "binary":
            steps.append(("binary", draw(st.sampled_from(BINARY)), draw(pick), draw(pick)))
        elif kind in ("right", "left"):
            op = draw(st.sampled_from(BINARY))
            steps.append((kind, op, draw(pick), draw(per_lane)))
        elif kind == "linear":
            k = draw(st.integers(1, 3))
            rows = [[draw(lane_numbers) for _ in range(k)] for _ in range(n_lanes)]
            steps.append(("linear", [draw(pick) for _ in range(k)], draw(pick), rows))
        else:
            labels = st.lists(st.sampled_from([0.0, 1.0]), min_size=n_lanes, max_size=n_lanes)
            steps.append(("ll", draw(pick), draw(labels)))
    return {
        "n_inputs": n_inputs,
        "steps": steps,
        "leaves": draw(st.lists(lane_numbers, min_size=n_lanes, max_size=n_lanes)),
        "join": draw(st.sampled_from(("sum", "mean", "product", "sum of squares"))),
    }


def build_lanes(recipe: dict[str, Any], inputs: Sequence[Value]) -> Value:
    outs = []
    for lane, leaf in enumerate(recipe["leaves"]):
        nodes: list[Any] = [*inputs, Value(leaf)]
        for step in recipe["steps"]:
            kind = step[0]
            if kind == "unary":
                x, name = nodes[step[2]], step[1]
                nodes.append(
                    -x if name == "neg" else abs(x) if name == "abs" else getattr(x, name)()
                )
            elif kind == "binary":
                nodes.append(BINARY_OPS[step[1]](nodes[step[2]], nodes[step[3]]))
            elif kind == "right":
                nodes.append(BINARY_OPS[step[1]](nodes[step[2]], step[3][lane]))
            elif kind == "left":
                nodes.append(BINARY_OPS[step[1]](step[3][lane], nodes[step[2]]))
            elif kind == "linear":
                ws = [nodes[i] for i in step[1]]
                nodes.append(fused.linear(ws, nodes[step[2]], step[3][lane]))
            else:
                nodes.append(fused.log_loss(nodes[step[1]], step[2][lane]))
        made = nodes[len(inputs) + 1 :]
        out = made[0]
        for node in made[1:]:  # every node reaches the root
            out = out + node
        outs.append(out)
    join = recipe["join"]
    if join == "sum":
        return sum(outs)  # type: ignore[return-value]
    if join == "mean":
        return fused.mean(outs)
    if join == "sum of squares":
        return sum(out * out for out in outs)  # type: ignore[return-value]
    total = outs[0]
    for out in outs[1:]:
        total = total * out
    return total


def lanes_or_error(recipe: dict[str, Any], xs: Sequence[float]) -> Any:
    try:
        leaves = [Value(x, f"x{k}") for k, x in enumerate(xs)]
        root = build_lanes(recipe, leaves)
        root.backward()
        return root.data, [leaf.grad for leaf in leaves]
    except (ArithmeticError, ValueError) as exc:
        return exc


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lane_recipes(), st.data())
def test_lanes_are_bitwise_the_engine_on_random_lane_graphs(recipe: Any, data: Any) -> None:
    n = recipe["n_inputs"]
    trace_at = data.draw(st.lists(numbers, min_size=n, max_size=n))
    traced = lanes_or_error(recipe, trace_at)
    assume(not isinstance(traced, Exception))
    c = compile(lambda *xs: build_lanes(recipe, xs), trace_at, vectorize=True)
    if not c.vectorized:
        # Only for an order of shares that the steps cannot follow (where one lane's
        # nodes share classes in another order than the next lane's).
        leaves = [Value(x) for x in trace_at]
        with pytest.raises(NoLanes, match="another order than the engine"):
            LanePlan(_Graph(build_lanes(recipe, leaves), leaves))
    event("in lanes" if c.vectorized else "refused")
    assert_bitwise(c(trace_at), traced)
    for _ in range(3):  # new points: the same numbers as the engine, or the same error
        xs = data.draw(st.lists(numbers, min_size=n, max_size=n))
        expected = lanes_or_error(recipe, xs)
        assert_like_the_engine(lambda xs=xs: c(np.array(xs)), expected)
        if not isinstance(expected, Exception):
            assert bits(c.forward(xs)) == bits(expected[0])


# --------------------------------------------------------------------------------------------
# Logistic regression, the case lanes are for
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fused_nodes", [True, False])
def test_logistic_cost_graphs_replay_in_lanes_by_default_bitwise(fused_nodes: bool) -> None:
    from micrograd_lr import logistic

    cost, key, X, Y = logistic_cost(4, 200, seed=1, fused_nodes=fused_nodes)
    c = compile(cost, [0.0] * 5, key=key, native=False)
    plain = compile(cost, [0.0] * 5, key=key, vectorize=False, native=False)
    assert c.vectorized and not plain.vectorized
    assert "in lanes" in repr(c)
    # By default, both graphs go to the native loop first where Numba is installed.
    default = compile(cost, [0.0] * 5, key=key)
    assert default.native == native.available()
    assert default.vectorized == (not default.native)
    for point in ([0.0] * 5, [1e-9, -2e-9, 3e-9, 0.0, 1e-9], [0.5, -1.0, 0.25, 2.0, 0.1]):
        leaves = [Value(x) for x in point]
        root = cost(*leaves)
        root.backward()
        expected = (root.data, [leaf.grad for leaf in leaves])
        assert_bitwise(c(point), expected)
        assert_bitwise(plain(point), expected)
        assert_bitwise(default(point), expected)
        grads, _ = logistic.propagate(np.array(point[:4]).reshape(4, 1), point[4], X, Y)
        np.testing.assert_allclose(c(point)[1][:4], grads["dw"].ravel(), rtol=1e-12)


def test_a_running_sum_becomes_one_step() -> None:
    xs = [0.5, -1.0]

    def f(a: Value, b: Value) -> Value:
        return sum((a * t + b).tanh() for t in np.linspace(-1, 1, 50))  # type: ignore[return-value]

    c = compile(f, xs, vectorize=True)
    plan = next(iter(c._programs.values())).lanes
    assert plan is not None
    # a * t, + b, tanh: three lane steps; the 50 additions of sum(): one fold.
    assert [step.kind for step in plan.steps] == ["lanes", "lanes", "lanes", "fold"]
    assert "running sum of 51 terms" in c.source()
    for point in (xs, [2.0, 0.25], [-0.0, 0.0]):
        assert_bitwise(c(point), engine_at(f, point))


def test_repeated_terms_and_shared_operands_add_in_the_engines_order() -> None:
    # The same lane node twice in a sum and in one product; a shared input broadcast to
    # every lane at two operand positions; shares that cancel to the last bit.
    def f(a: Value, b: Value) -> Value:
        terms = [(a * t) * (a * t) + b * b for t in (1e16, 1.0, -1e16, 3.0, 1e-3)]
        return sum([*terms, terms[1], terms[3]])  # type: ignore[return-value]

    c = compile(f, [1.0, 2.0], vectorize=True)
    for point in ([1.0, 2.0], [0.1, -0.3], [3.0, 1e8]):
        assert_bitwise(c(point), engine_at(f, point))


def test_named_gradients_in_lanes() -> None:
    def f(a: Value, b: Value) -> Value:
        out = []
        for k, t in enumerate((1.0, 2.0, 3.0)):
            z = a * t + b
            z.label = f"z{k}"
            out.append(z.sigmoid())
        return fused.mean(out)

    c = compile(f, [0.5, -1.0], vectorize=True, named=True)
    assert c.vectorized
    value, grad, named = c(0.5, -1.0)
    leaves = [Value(0.5, "x0"), Value(-1.0, "x1")]
    root = f(*leaves)
    root.backward()
    assert_bitwise((value, grad), (root.data, [leaf.grad for leaf in leaves]))
    assert set(named) == {"x0", "x1", "z0", "z1", "z2"}
    assert named["x0"] == leaves[0].grad

    def g(a: Value) -> Value:  # a labelled partial sum is not folded away
        total = a * 1.0
        for k in range(2, 8):
            total = total + a * float(k)
            total.label = f"s{k}"
        return total

    c = compile(g, [0.5], vectorize=True, named=True)
    assert c.vectorized
    _, _, named = c(0.5)
    assert named == {"x0": 28.0, **{f"s{k}": 1.0 for k in range(2, 8)}}

    def h(w: Value) -> Value:  # labelled constant leaves: straight-line code gives theirs
        return sum(w * Value(float(t), f"c{t}") for t in range(100))  # type: ignore[return-value]

    c = compile(h, [0.5], vectorize=True, named=True)
    assert not c.vectorized and c(0.5)[2]["c3"] == 0.5
    assert compile(h, [0.5], vectorize=True).vectorized


# --------------------------------------------------------------------------------------------
# Errors and refusals
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("f", "bad", "error"),
    [
        (lambda x: sum((x + t).log() for t in (1.0, 2.0, 3.0)), [-2.5], DomainError),
        (lambda x: sum(t / (x - t) for t in (1.0, 2.0, 3.0)), [2.0], ZeroDivisionError),
        (lambda x: sum((x * t).exp() for t in (1.0, 2.0, 3.0)), [300.0], OverflowError),
        (lambda x: sum((x - t) ** 0.5 for t in (1.0, 2.0, 3.0)), [2.5], DomainError),
        (lambda x: sum((x - t) ** x for t in (1.0, 2.0, 3.0)), [2.5], DomainError),
    ],
)
def test_errors_in_lanes_are_the_engines(f: Any, bad: list[float], error: type) -> None:
    c = compile(f, [10.0], labels=["v"], vectorize=True)
    assert c.vectorized
    with pytest.raises(error) as expected:
        f(Value(bad[0], "v"))
    with pytest.raises(error) as raised:
        c(bad)
    assert str(raised.value) == str(expected.value)
    with pytest.raises(error):
        c.forward(bad)


def test_a_weight_read_twice_per_lane_gets_its_shares_in_the_engines_order() -> None:
    # The engine adds the shared input's shares lane by lane (operand 0, operand 1, the next
    # lane); the lanes hand them out operand by operand, and the sum puts them in order.
    def f(a: Value, b: Value) -> Value:
        return sum(((a * a) * t + a * b).tanh() * a for t in (1e16, 1.0, -1e16, 3.0))  # type: ignore[return-value]

    c = compile(f, [1.5, 0.5], vectorize=True)
    assert c.vectorized
    for point in ([1.5, 0.5], [0.1, -0.3], [1e-8, 1e8]):
        assert_bitwise(c(point), engine_at(f, point))


def build_swapped(a: Value) -> Value:
    # Lane 0 makes exp before tanh, lane 1 tanh before exp: their product node gets the
    # two shares in opposite orders, which one NumPy operation per step cannot follow.
    u0, u1 = a * 1.0, a * 2.0
    p0 = u0.exp()
    q0 = u0.tanh()
    q1 = u1.tanh()
    p1 = u1.exp()
    return p0 + q0 + q1 + p1


def test_an_order_the_lanes_cannot_follow_is_refused() -> None:
    a = Value(0.5)
    with pytest.raises(NoLanes, match="another order than the engine"):
        LanePlan(_Graph(build_swapped(a), [a]))
    c = compile(build_swapped, [0.5], vectorize=True)
    assert not c.vectorized
    leaf = Value(0.7)
    root = build_swapped(leaf)
    root.backward()
    assert_bitwise(c(0.7), (root.data, [leaf.grad]))


def test_auto_keeps_straight_line_code_for_a_chain() -> None:
    def f(x: Value) -> Value:
        for _ in range(200):
            x = (x * 0.5).tanh()
        return x

    assert not compile(f, [1.0]).vectorized
    assert compile(f, [1.0], vectorize=True).vectorized  # possible, one step per node
    with pytest.raises(NoLanes, match="too few nodes per step"):
        leaf = Value(1.0)
        LanePlan(_Graph(f(leaf), [leaf]), min_nodes_per_step=16)


def test_a_single_leaf_has_no_lanes() -> None:
    x = Value(2.0)
    with pytest.raises(NoLanes):
        LanePlan(_Graph(x, [x]))
    assert compile(lambda x: x, [2.0], vectorize=True)(3.0)[1].tolist() == [1.0]


@pytest.mark.parametrize("fused_nodes", [True, False])
def test_hessian_rows_replay_in_lanes_bitwise(fused_nodes: bool) -> None:
    from micrograd_lr.autodiff import hessian
    from micrograd_lr.compile import compile_hessian

    cost, key, _, _ = logistic_cost(3, 150, seed=2, fused_nodes=fused_nodes)
    h = compile_hessian(cost, [0.1, -0.2, 0.3, 0.05], key=key, native=False)
    rows = next(iter(h._traces.values())).rows
    assert all(row.lanes is not None for row in rows)
    for point in ([0.1, -0.2, 0.3, 0.05], [1.0, 0.5, -2.0, 0.2]):
        value, gradient, H = h(point)
        expected_value, expected_gradient = engine_at(cost, point)
        assert bits(value) == bits(expected_value)
        assert [bits(g) for g in gradient.tolist()] == [bits(g) for g in expected_gradient]
        assert H.tobytes() == hessian(cost, point).tobytes()


def test_numpy_forms_agree_with_the_engines_functions() -> None:
    # Every NumPy form was checked at import against the engine's function; none was
    # dropped (a drop would only make replays slower, not wrong).
    from micrograd_lr import lanes

    assert len(lanes._VECTOR_FORWARD) == 9
    assert len(lanes._VECTOR_RULES) == 10
    z = np.array([-800.0, -1.0, -0.0, 0.0, 1e-300, 2.0, 40.0, math.inf])
    for y in (0.0, 1.0):
        with np.errstate(all="ignore"):
            got = lanes._log_loss(z, np.full(len(z), y))
        assert [bits(v) for v in got.tolist()] == [
            bits(fused.log_loss_float(v, y)) for v in z.tolist()
        ]


def test_check_every_guards_lanes_too() -> None:
    from micrograd_lr import logistic
    from micrograd_lr.errors import TraceMismatchError

    rng = np.random.default_rng(3)
    X = rng.normal(size=(2, 50))
    Y = (rng.random((1, 50)) > 0.5).astype(float)

    def cost(w0: Value, w1: Value, b: Value) -> Value:
        return logistic.cost_graph([w0, w1], b, X, Y)

    c = compile(cost, [0.0, 0.0, 0.0], check_every=1, vectorize=True)
    assert c.vectorized
    c(0.0, 0.0, 0.0)
    with pytest.raises(TraceMismatchError, match="different graph"):
        c(1.0, -1.0, 0.5)  # some logits change sign: the composed graph branches


def test_compiled_lanes_are_freed_and_keep_no_graph() -> None:
    import gc
    import sys
    import weakref

    a = Value(1.0)
    terms = [(a * t).tanh() for t in (1.0, 2.0, 3.0, 4.0)]
    root = sum(terms)
    counts = sys.getrefcount(a), sys.getrefcount(terms[0]), sys.getrefcount(root)
    c = compile(root, [a], vectorize=True)
    assert c.vectorized
    assert (sys.getrefcount(a), sys.getrefcount(terms[0]), sys.getrefcount(root)) == counts
    plan = weakref.ref(next(iter(c._programs.values())).lanes)
    ref = weakref.ref(c)
    del c
    gc.collect()
    assert ref() is None and plan() is None


def test_a_users_op_runs_elementwise_in_lanes() -> None:
    # An op the compiler does not know: its forward function and rule are called on each
    # element, exactly as the engine calls them on each node.
    from micrograd_lr.engine import Op, _node

    softplus = Op(
        "softplus",
        lambda z: math.log1p(math.exp(z)),
        (lambda out, z: 1.0 / (1.0 + math.exp(-z)),),
    )

    def apply(z: Value) -> Value:
        out = softplus.forward(z.data)
        return _node(out, softplus, (z, softplus.derivatives[0](out, z.data)))

    def f(w: Value, b: Value) -> Value:
        return sum(apply(w * t + b) * t for t in np.linspace(-2.0, 2.0, 30))  # type: ignore[return-value]

    c = compile(f, [0.3, -0.1], vectorize=True)
    assert c.vectorized and "softplus(v" in c.source()
    for point in ([0.3, -0.1], [2.0, 1.5], [-0.0, 0.0]):
        assert_bitwise(c(point), engine_at(f, point))
    with pytest.raises(OverflowError):  # math.exp overflows in the rule, as in the engine
        c(500.0, 0.0)


def test_a_zero_gradient_through_a_subtraction_keeps_its_sign() -> None:
    # The engine's share of the subtrahend is 0.0 + (-1.0 * g): for g == 0.0 that is +0.0,
    # where a lane step that handed -g on as the subtrahend's whole gradient would give
    # -0.0. Read through named gradients (the inputs' sums would lose the sign).
    def f(w: Value) -> Value:
        total: Any = 0
        for k, t in enumerate((1.0, 2.0, 3.0, 4.0)):
            b = w * t * 2.0
            b.label = f"b{k}"
            total = total + (w * t - b).relu()
        return total

    c = compile(f, [1.0], vectorize=True, named=True)
    assert c.vectorized
    _, _, named = c(1.0)  # w t - 2 w t < 0: relu passes 0.0 back
    leaf = Value(1.0, "x0")
    root = f(leaf)
    root.backward()
    engine = {node.label: node.grad for node in _nodes(root) if node.label}
    assert {k: bits(v) for k, v in named.items()} == {k: bits(v) for k, v in engine.items()}
