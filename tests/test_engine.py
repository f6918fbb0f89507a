"""The Value engine: every op against SymPy and finite differences, graph shapes, accumulation,
depth, determinism across processes, and every error case."""

from __future__ import annotations

import hashlib
import math
import random
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from op_cases import CASES, Case, away_from_zero, close, exact_gradient, exact_point, moderate

from micrograd_lr import DomainError, Value, grad
from micrograd_lr.engine import OPS
from micrograd_lr.fused import linear, log_loss, mean
from micrograd_lr.gradcheck import numerical_gradient
from micrograd_lr.graph import nodes


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_op_gradients_match_sympy(case: Case) -> None:
    @settings(max_examples=40, deadline=None)
    @given(st.tuples(*case.domains))
    def check(point: tuple[float, ...]) -> None:
        leaves = [Value(x) for x in point]
        try:
            out = case.build(*leaves)
        except OverflowError:
            assume(False)
        expected_value = float(case.symbolic.subs(exact_point(point)).evalf(30))
        assert close(out.data, expected_value, rel=1e-13, abs_=1e-300)
        out.backward()
        for leaf, expected in zip(leaves, exact_gradient(case, point), strict=True):
            # tanh's derivative is formed as 1 - t**2, exact to ~1e-16 absolute where t
            # rounds near 1: allow that beside 1e-12 relative.
            assert close(leaf.grad, expected, rel=1e-12, abs_=1e-15), (leaf.grad, expected)

    check()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_op_gradients_match_finite_differences(case: Case) -> None:
    @settings(max_examples=25, deadline=None)
    @given(st.tuples(*case.domains))
    def check(point: tuple[float, ...]) -> None:
        # Stay clear of kinks (abs, relu at 0) by more than the finite-difference step.
        assume(all(abs(x) > 1e-4 for x in point) or case.name not in ("abs", "relu"))
        leaves = [Value(x) for x in point]
        try:
            out = case.build(*leaves)
        except OverflowError:
            assume(False)
        assume(abs(out.data) < 1e12)
        out.backward()
        numerical = numerical_gradient(case.build, list(point))
        for leaf, approx in zip(leaves, numerical, strict=True):
            assert close(leaf.grad, approx, rel=1e-5, abs_=1e-7), (leaf.grad, approx)

    check()


def test_every_engine_op_has_a_case() -> None:
    covered = {case.build(*[Value(1.5) for _ in case.domains]).op for case in CASES}
    symbols = {op.symbol for op in covered}
    assert {op.symbol for op in OPS.values()} <= symbols


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_forward_locals_come_from_the_rule_table(case: Case) -> None:
    leaves = [Value(x) for x in (1.7, 0.6)[: len(case.domains)]]
    out = case.build(*leaves)
    operands = [x.data if isinstance(x, Value) else x for x in out.operands]
    values = [i for i, x in enumerate(out.operands) if isinstance(x, Value)]
    expected = tuple(out.op.local_derivative(i, out.data, *operands) for i in values)
    assert out.local_grads == expected


# --- forward values are Python's own float arithmetic, bit for bit -----------------------------
@given(moderate(), away_from_zero)
def test_forward_values_equal_float_arithmetic(x: float, y: float) -> None:
    a, b = Value(x), Value(y)
    assert (a + b).data == x + y
    assert (a - b).data == x - y
    assert (a * b).data == x * y
    assert (a / b).data == x / y
    assert (3 - a).data == 3 - x
    assert (3 / b).data == 3 / y
    assert a.tanh().data == math.tanh(x)
    assert abs(a).data == abs(x)


# --- graph shape ------------------------------------------------------------------------------
def test_numbers_are_folded_not_wrapped() -> None:
    x = Value(2.0, "x")
    y = x * 3 + 2
    assert len(nodes(y)) == 3
    assert y.constant == 2.0 and y.parents[0].constant == 3.0
    assert (3 - x).operands == (3.0, x)
    assert (x - 3).operands == (x, 3.0)
    assert (x * x).operands == (x, x)


def test_leaf_has_no_op_and_repr_shows_label_data_grad() -> None:
    a = Value(2, "a")
    assert a.op is None and a.parents == () and a.data == 2.0 and type(a.data) is float
    assert repr(a) == "Value(label='a', data=2.0, grad=0.0)"
    assert repr(Value(1.5)) == "Value(data=1.5, grad=0.0)"


def test_numpy_scalars_are_numbers_on_both_sides() -> None:
    x = Value(np.float32(2.0))
    assert type(x.data) is float
    y = np.float64(3.0) * x + np.int64(1)
    assert isinstance(y, Value) and y.data == 7.0
    y.backward()
    assert x.grad == 3.0


# --- accumulation, fan-out and reuse --------------------------------------------------------------
def test_node_used_as_both_operands() -> None:
    x = Value(3.0)
    (x * x).backward()
    assert x.grad == 6.0
    y = Value(3.0)
    (y + y).backward()
    assert y.grad == 2.0


def test_shared_subexpression_gets_all_its_consumers() -> None:
    a, b = Value(2.0), Value(-3.0)
    u = a * b  # used three times
    J = u * u + u.tanh() + 2 * u
    J.backward()
    du = 2 * u.data + (1 - math.tanh(u.data) ** 2) + 2
    assert u.grad == pytest.approx(du, rel=1e-15)
    assert a.grad == pytest.approx(du * b.data, rel=1e-15)
    assert b.grad == pytest.approx(du * a.data, rel=1e-15)


def test_backward_twice_accumulates_exactly_double() -> None:
    a, b, c = Value(2.0), Value(3.0), Value(4.0)
    J = (a - 1) * (b + c) + (a * b).exp() + a * a
    J.backward()
    first = [n.grad for n in nodes(J)]
    J.backward()
    assert [n.grad for n in nodes(J)] == [2 * g for g in first]
    J.zero_grad()
    assert all(n.grad == 0.0 for n in nodes(J))
    J.backward()
    assert [n.grad for n in nodes(J)] == first


def test_backward_of_an_intermediate_node_covers_only_its_subgraph() -> None:
    a, b = Value(2.0), Value(3.0)
    u = a * b
    J = u + a
    u.backward()
    assert (a.grad, b.grad, J.grad) == (3.0, 2.0, 0.0)


def test_two_roots_sharing_leaves_accumulate_into_the_leaves() -> None:
    x = Value(2.0)
    (x * 3).backward()
    (x * x).backward()
    assert x.grad == 3.0 + 4.0


def test_the_teaching_case_both_forms() -> None:
    for a0, b0, c0 in [(5.0, 3.0, 2.0), (-1.5, 0.25, 8.0)]:
        for build in (lambda a, b, c: a * (b + c) - (b + c), lambda a, b, c: (a - 1) * (b + c)):
            a, b, c = Value(a0), Value(b0), Value(c0)
            J = build(a, b, c)
            J.backward()
            assert (a.grad, b.grad, c.grad) == (b0 + c0, a0 - 1, a0 - 1)


# --- algebra, as properties -----------------------------------------------------------------------
@given(moderate(), moderate(), moderate())
def test_gradient_of_a_sum_is_the_sum_of_gradients(x: float, y: float, z: float) -> None:
    def f(a: Value, b: Value, c: Value) -> Value:
        return a * b + (b * c).tanh()

    def g(a: Value, b: Value, c: Value) -> Value:
        return (a - c) * (a + 0.5)

    separate = []
    for h in (f, g):
        leaves = [Value(x), Value(y), Value(z)]
        h(*leaves).backward()
        separate.append([v.grad for v in leaves])
    leaves = [Value(x), Value(y), Value(z)]
    (f(*leaves) + g(*leaves)).backward()
    for got, one, two in zip([v.grad for v in leaves], *separate, strict=True):
        assert close(got, one + two, rel=1e-12, abs_=1e-12)


@given(moderate(), moderate())
def test_commuted_operands_give_identical_gradients(x: float, y: float) -> None:
    for build in (lambda a, b: a + b, lambda a, b: a * b):
        a1, b1, a2, b2 = Value(x), Value(y), Value(x), Value(y)
        build(a1, b1).backward()
        build(b2, a2).backward()
        assert (a1.grad, b1.grad) == (a2.grad, b2.grad)


@given(away_from_zero)
def test_expressions_that_cancel_have_zero_gradient(x: float) -> None:
    a = Value(x)
    (a - a + a / a).backward()
    assert a.grad == 0.0


@given(moderate(-30, 30))
def test_chain_rule_through_a_composition(x: float) -> None:
    a = Value(x)
    (a.sigmoid() * 2 - 1).backward()  # = tanh(x/2), whose derivative is (1 - tanh**2) / 2
    assert close(a.grad, 0.5 / math.cosh(x / 2) ** 2, rel=1e-12, abs_=1e-300)


# --- numerics -------------------------------------------------------------------------------------
@pytest.mark.parametrize("z", [-1000.0, -745.0, -40.0, 0.0, 40.0, 1000.0, 1e300, -1e300])
def test_sigmoid_is_stable_for_every_float(z: float) -> None:
    x = Value(z)
    s = x.sigmoid()
    assert 0.0 <= s.data <= 1.0
    s.backward()
    # s(1 - s) = e / (1 + e)**2 with e = exp(-|z|): no overflow, no cancellation.
    e = math.exp(-abs(z))
    assert x.grad == pytest.approx(e / (1 + e) ** 2, rel=1e-15, abs=0)


@pytest.mark.parametrize("z", [37.0, 40.0, 100.0, 700.0])
def test_sigmoid_derivative_keeps_its_precision_where_one_minus_s_rounds_to_zero(z) -> None:
    x = Value(z)
    x.sigmoid().backward()
    assert x.grad > 0  # s * (1 - s) would give exactly 0 here
    assert x.grad == pytest.approx(math.exp(-z), rel=1e-12, abs=0)


def test_nan_and_inf_data_propagate_without_error() -> None:
    x, y = Value(float("nan")), Value(float("inf"))
    z = x * 2 + y
    assert math.isnan(z.data)
    z.backward()
    assert x.grad == 2.0 and y.grad == 1.0
    w = Value(float("inf")).tanh()
    assert w.data == 1.0


# --- errors: each names the op and the operand ----------------------------------------------------
@pytest.mark.parametrize(
    ("build", "error", "words"),
    [
        (lambda: Value(-2.0, "x").log(), DomainError, ["log", "non-positive", "'x'", "-2.0"]),
        (lambda: Value(0.0).log(), DomainError, ["log", "0.0"]),
        (lambda: Value(1.0, "n") / 0, ZeroDivisionError, ["division by zero", "'n'"]),
        (lambda: 1 / Value(0.0, "d"), ZeroDivisionError, ["division by zero", "'d'"]),
        (lambda: Value(1.0) / Value(0.0, "d"), ZeroDivisionError, ["'d'"]),
        (lambda: Value(0.0, "z") ** -1, ZeroDivisionError, ["negative power", "'z'"]),
        (lambda: Value(-8.0, "x") ** (1 / 3), DomainError, ["fractional", "complex", "'x'"]),
        (lambda: Value(-2.0) ** Value(2.0), DomainError, ["positive base", "log"]),
        (lambda: Value(710.0, "t").exp(), OverflowError, ["exp", "'t'", "709.78"]),
        (lambda: Value(10.0) ** 400, OverflowError, ["overflow", "**"]),
        (lambda: Value(1.0) + 10**400, OverflowError, ["beside a Value", "too large"]),
        (lambda: 10.0 ** Value(400.0), OverflowError, ["overflow"]),
    ],
)
def test_bad_math_is_a_clear_error(build, error, words) -> None:
    with pytest.raises(error) as info:
        build()
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize("bad", ["2.0", None, [1.0], True, 1j, np.array([1.0, 2.0])])
def test_data_must_be_a_real_number(bad) -> None:
    with pytest.raises(TypeError, match="Value data must be an int or a float, got"):
        Value(bad)


def test_an_int_too_large_for_a_float_is_named() -> None:
    with pytest.raises(OverflowError, match=r"Value data int of 1329 bits is too large"):
        Value(10**400)


def test_a_value_is_not_data_and_label_must_be_text() -> None:
    with pytest.raises(TypeError, match="already a Value"):
        Value(Value(1.0))
    with pytest.raises(TypeError, match="label must be a str"):
        Value(1.0, label=3)


@pytest.mark.parametrize("bad", ["a", None, True, [1]])
def test_operands_must_be_values_or_numbers(bad) -> None:
    x = Value(1.0)
    for op in (
        lambda: x + bad,
        lambda: bad + x,
        lambda: x * bad,
        lambda: x - bad,
        lambda: x / bad,
        lambda: x**bad,
    ):
        with pytest.raises(TypeError):
            op()


def test_root_at_zero_has_an_infinite_derivative_not_an_error() -> None:
    x = Value(0.0)
    y = x**0.5
    y.backward()
    assert (y.data, x.grad) == (0.0, math.inf)


def test_power_at_zero_differentiates_twice_like_the_fast_path() -> None:
    # x**1.5 at 0: the first derivative 1.5 * x**0.5 is 0 on both paths; the second,
    # 0.75 / sqrt(x), is +inf.
    from micrograd_lr import grad

    x = Value(0.0)
    y = x**1.5
    (fast,) = grad(y, [x])
    (built,) = grad(y, [x], create_graph=True)
    assert fast == built.data == 0.0
    assert grad(built, [x]) == [math.inf]


def test_power_edge_cases_that_are_fine() -> None:
    x = Value(0.0)
    y = x**0
    y.backward()
    assert (y.data, x.grad) == (1.0, 0.0)
    z = Value(-2.0)
    w = z**3
    w.backward()
    assert (w.data, z.grad) == (-8.0, 12.0)


# --- depth: no recursion anywhere -----------------------------------------------------------------
@pytest.mark.slow
def test_million_node_chain_backward_and_free_in_a_subprocess() -> None:
    program = textwrap.dedent(
        """
        import sys
        from micrograd_lr import Value
        from micrograd_lr.graph import depth, size, nodes
        assert sys.getrecursionlimit() <= 1000
        x = Value(1.0)
        y = x
        for _ in range(1_000_000):
            y = y * 1.0000001
        y.backward()
        print(x.grad)
        y.zero_grad()
        print(x.grad, size(y), depth(y))
        del y  # freeing a million-deep chain must not overflow the C stack
        print("freed")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    grad, rest, freed = done.stdout.split("\n")[:3]
    assert float(grad) == pytest.approx(1.0000001**1_000_000, rel=1e-9)
    assert rest == "0.0 1000001 1000001"
    assert freed == "freed"


# --- determinism across processes -----------------------------------------------------------------
DETERMINISM_PROGRAM = textwrap.dedent(
    """
    import random
    from micrograd_lr import Value
    rng = random.Random(0)
    w = [Value(rng.uniform(-1, 1)) for _ in range(8)]
    b = Value(0.1)
    cost = 0
    for _ in range(40):
        x = [rng.uniform(-2, 2) for _ in range(8)]
        y = rng.random() > 0.5
        z = sum((wi * xi for wi, xi in zip(w, x)), b)
        a = z.sigmoid()
        cost = cost + (-(a.log() if y else (1 - a).log()))
    cost = cost / 40
    cost.backward()
    print(cost.data.hex(), *(v.grad.hex() for v in w + [b]))
    """
)


def test_gradients_are_bitwise_identical_across_processes_and_hash_seeds() -> None:
    outputs = set()
    for seed in ("0", "1", "2", "12345", "random"):
        done = subprocess.run(
            [sys.executable, "-c", DETERMINISM_PROGRAM],
            capture_output=True,
            text=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        outputs.add(done.stdout)
    assert len(outputs) == 1


def test_an_interrupted_backward_leaves_no_stale_state(monkeypatch) -> None:
    import micrograd_lr.engine as engine

    a, b = Value(2.0), Value(3.0)
    J = (a * b + a) * b
    real_count = engine._count_consumers

    def interrupted(root):
        real_count(root)  # counts set on every node...
        raise KeyboardInterrupt  # ...then the user presses Ctrl-C

    monkeypatch.setattr(engine, "_count_consumers", interrupted)
    with pytest.raises(KeyboardInterrupt):
        J.backward()
    monkeypatch.undo()
    assert all(n._pending == 0 for n in nodes(J))
    J.zero_grad()
    J.backward()
    assert (a.grad, b.grad) == (b.data * b.data + b.data, 2 * a.data * b.data + a.data)


# --- bitwise pins: gradients computed by the engine before its slot layout ------------------------
# The node layout changed (parents in slots instead of a tuple of edges) with the rule that
# backward's visiting order and its float operations stay exactly as they were. These bits
# were computed on main before the change; any change in order or arithmetic shows here.
def _pin_mixed():
    a, b, c = Value(0.1, "a"), Value(0.7, "b"), Value(-1.3, "c")
    u = a * b + c
    J = (
        u.tanh() * a
        + (b / c).exp()
        - a**3
        + abs(c) * a.sigmoid()
        + (b * b).log() * c
        + (a - b).relu()
        + (2 - a) * (3 / b)
        + 2**a
        - (-u) * u
        + b ** (a + 1.0)
        + (c * 0.3).relu()
    )
    return J, [a, b, c]


def _pin_random(seed=7, n=400):
    rng = random.Random(seed)
    leaves = [Value(rng.uniform(-1, 1)) for _ in range(6)]
    pool = list(leaves)
    for _ in range(n):
        x = pool[rng.randrange(len(pool))]
        y = pool[-1 - rng.randrange(min(8, len(pool)))]
        k = rng.randrange(9)
        if k == 0:
            z = x + y
        elif k == 1:
            z = x * y
        elif k == 2:
            z = (x - y).tanh()
        elif k == 3:
            z = x.sigmoid() * 1.7
        elif k == 4:
            z = 0.3 * x + y * 0.9
        elif k == 5:
            z = (x * 0.5).exp() - 1.0
        elif k == 6:
            z = x / (1.5 + y.sigmoid())
        elif k == 7:
            z = abs(x) * y
        else:
            z = (x * x + 0.1).log()
        pool.append(z)
    J = pool[-1]
    for z in pool[-40:-1]:
        J = J + z
    return J, leaves


def _pin_fused(seed=3):
    rng = random.Random(seed)
    w = [Value(rng.uniform(-1, 1)) for _ in range(4)]
    b = Value(0.1)
    losses = []
    for _ in range(30):
        x = [rng.gauss(0, 2) for _ in range(4)]
        y = float(rng.random() > 0.5)
        losses.append(log_loss(linear(w, b, x), y))
    return mean(losses), [*w, b]


def _digest(values):
    return hashlib.sha256(" ".join(v.hex() for v in values).encode()).hexdigest()[:16]


def _all_grads(J):
    return [n.grad for n in nodes(J)]


PINNED = {
    "mixed_leaves": ["-0x1.822a3cf62646ap+2", "-0x1.df47ffeea73a4p+3", "-0x1.f49deeb36389bp+1"],
    "mixed_all": "cedab7c3d065673d",
    "mixed_twice": "b932715640459e07",
    "random_leaves": [
        "0x1.1c0a29d8a671ep-2",
        "-0x1.0260d262ad696p+1",
        "-0x1.6ea52f63aa504p+1",
        "0x1.dad08ce3a77a7p-1",
        "0x1.ebfc4b26381a2p-4",
        "0x1.304ffbdf1b876p+1",
    ],
    "random_all": "3579bb6152d5ccb0",
    # The fused log-loss's slope for label 1 is -sigmoid(-z) since the solvers branch (not
    # 1 - sigmoid(z), which cancels): w[2] moved by one ulp, to the correctly rounded value
    # (checked with 50-digit mpmath).
    "fused_leaves": [
        "-0x1.d1b9a7f228a21p-3",
        "0x1.e2a889bb9640ap-1",
        "-0x1.53d8d4e29a79bp-1",
        "0x1.022215db6c7c1p-2",
        "0x1.838306e48e02cp-5",
    ],
    "second": [
        "0x1.650b8f7bb67a5p+0",
        "0x1.1cd0df02e0974p+2",
        "0x1.79930951e455cp+0",
        "0x1.1cd0df02e0974p+2",
        "0x1.387a5f3a98205p+5",
        "0x1.73899f9cebedfp+1",
        "0x1.79930951e455cp+0",
        "0x1.73899f9cebedfp+1",
        "0x1.c6ef9a654e024p+0",
    ],
    "second_random": "2ae0bf3c639cb2ea",
}


def test_first_derivatives_are_bitwise_as_pinned() -> None:
    J, leaves = _pin_mixed()
    J.backward()
    assert [v.grad.hex() for v in leaves] == PINNED["mixed_leaves"]
    assert _digest(_all_grads(J)) == PINNED["mixed_all"]
    J.backward()  # accumulated onto the first pass's gradients
    assert _digest(_all_grads(J)) == PINNED["mixed_twice"]
    J, leaves = _pin_random()
    J.backward()
    assert [v.grad.hex() for v in leaves] == PINNED["random_leaves"]
    assert _digest(_all_grads(J)) == PINNED["random_all"]
    J, leaves = _pin_fused()
    J.backward()
    assert [v.grad.hex() for v in leaves] == PINNED["fused_leaves"]


def test_second_derivatives_are_bitwise_as_pinned() -> None:
    J, leaves = _pin_mixed()
    first = grad(J, leaves, create_graph=True)
    assert [h.hex() for d in first for h in grad(d, leaves)] == PINNED["second"]
    J, leaves = _pin_random(seed=11, n=120)
    first = grad(J, leaves, create_graph=True)
    assert _digest([h for d in first for h in grad(d, leaves)]) == PINNED["second_random"]


# --- micrograd's attributes: _op, _prev, and its draw_dot -----------------------------------------
def test_op_is_micrograds_string() -> None:
    x, y = Value(2.0, "x"), Value(3.0, "y")
    assert x._op == "" and isinstance(x._op, str)
    # micrograd 0.1.0 stores '+', '*', f'**{other}' and 'ReLU'.
    assert (x + y)._op == "+" and (x + 1)._op == "+" and (1 + x)._op == "+"
    assert (x * y)._op == "*" and (2 * x)._op == "*"
    assert (x**2)._op == "**2" and (x**-1)._op == "**-1" and (x**0.5)._op == "**0.5"
    assert x.relu()._op == "ReLU"
    # Operations micrograd composes from others, or lacks, keep this engine's symbol.
    assert [(x - y)._op, (x / y)._op, (-x)._op, x.exp()._op, x.tanh()._op] == [
        "-",
        "/",
        "neg",
        "exp",
        "tanh",
    ]
    assert (2**x)._op == "**" and (x**y)._op == "**"
    assert x.op is None and (x * y).op is OPS["mul"]  # .op keeps the Op object


@given(st.integers(0, 39))
def test_prev_is_the_set_of_parents(seed: int) -> None:
    from test_graph import random_graph

    root, _ = random_graph(seed)
    for node in nodes(root):
        assert isinstance(node._prev, set)
        assert node._prev == set(node.parents)
    assert Value(1.0)._prev == set()
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    assert mean([a, b, c])._prev == {a, b, c}


# micrograd's trace_graph.ipynb, verbatim apart from the import.
def _trace(root):
    nodes, edges = set(), set()

    def build(v):
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)

    build(root)
    return nodes, edges


def _draw_dot(root, format="svg", rankdir="LR"):
    from graphviz import Digraph

    assert rankdir in ["LR", "TB"]
    nodes, edges = _trace(root)
    dot = Digraph(format=format, graph_attr={"rankdir": rankdir})
    for n in nodes:
        dot.node(
            name=str(id(n)),
            label="{ data %.4f | grad %.4f }" % (n.data, n.grad),  # noqa: UP031 (verbatim)
            shape="record",
        )
        if n._op:
            dot.node(name=str(id(n)) + n._op, label=n._op)
            dot.edge(str(id(n)) + n._op, str(id(n)))
    for n1, n2 in edges:
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)
    return dot


def _dot_shape(dot) -> tuple[list[str], list[str], int]:
    """The drawing without ids: record labels, operation labels, and the number of edges."""
    import re

    source = dot.source
    records = sorted(re.findall(r'label="(\{ data [^"]*\})"', source))
    ops = sorted(re.findall(r'\[label="?([^{"\]][^"\]]*)"?\]', source))
    return records, ops, len(re.findall(r" -> ", source))


def test_micrograds_draw_dot_draws_our_graph_as_it_draws_its_own() -> None:
    from micrograd.engine import Value as MicrogradValue

    def neuron(V):  # micrograd's README example: no constants, so both graphs have one shape
        x1, x2, w1, w2, b = V(2.0), V(0.0), V(-3.0), V(1.0), V(6.8813735870195432)
        n = x1 * w1 + x2 * w2 + b
        return (n * n).relu()

    ours, theirs = neuron(Value), neuron(MicrogradValue)
    ours.backward()
    theirs.backward()
    assert _dot_shape(_draw_dot(ours)) == _dot_shape(_draw_dot(theirs))
    records, ops, _ = _dot_shape(_draw_dot(ours))
    assert ops == ["*", "*", "*", "+", "+", "ReLU"] and len(records) == 11


@pytest.mark.graphviz
def test_micrograds_draw_dot_renders_our_graph() -> None:
    a, b = Value(2.0), Value(-3.0)
    J = (a * b + 1).tanh() ** 2 + a.exp() / b
    J.backward()
    svg = _draw_dot(J).pipe(format="svg").decode()
    assert svg.count('<g id="node') == 2 * len(nodes(J)) - 2  # a record per node, an op per result


# --- PyTorch's conveniences: item, float, detach, is_leaf -----------------------------------------
@given(moderate())
def test_item_and_float_are_the_data(x: float) -> None:
    v = Value(x) * 3 + 1
    assert v.item() == float(v) == v.data and type(v.item()) is float and type(float(v)) is float


def test_detach_is_a_new_leaf_that_cuts_the_gradient() -> None:
    x = Value(2.0, "x")
    y = x * x
    d = y.detach()
    assert d is not y and d.is_leaf and d.parents == () and (d.data, d.label) == (4.0, "")
    assert x.detach().label == "x"
    J = y * d  # d is a constant to backward: dJ/dx = d * 2x = 16, not 3x**2 = 12
    J.backward()
    assert x.grad == 16.0 and d.grad == 4.0


def test_is_leaf() -> None:
    x = Value(1.0)
    assert x.is_leaf and not (x + 1).is_leaf and not x.exp().is_leaf
    assert not mean([x, x, x]).is_leaf


def test_identity_equality_and_hash_are_kept() -> None:
    a, b = Value(1.0), Value(1.0)
    assert a != b and a == a and len({a, b}) == 2 and hash(a) != hash(b)


# --- no_grad --------------------------------------------------------------------------------------
def test_no_grad_records_nothing_and_computes_the_same_numbers() -> None:
    from micrograd_lr import no_grad
    from micrograd_lr.engine import is_grad_enabled

    a, b = Value(0.3, "a"), Value(-1.7, "b")
    recorded = _pin_mixed()[0].data
    build = [
        lambda: a + b, lambda: a - b, lambda: a * b, lambda: a / b, lambda: a**2,
        lambda: 2**a, lambda: -a, lambda: abs(b), lambda: a.exp(), lambda: a.log(),
        lambda: a.tanh(), lambda: b.sigmoid(), lambda: b.relu(), lambda: a + 1.5,
        lambda: 1.5 - a, lambda: a * 2, lambda: linear([a], b, [2.0]), lambda: log_loss(a, 1),
        lambda: mean([a, b, a]),
    ]  # fmt: skip
    expected = [f().data for f in build]
    assert is_grad_enabled()
    with no_grad():
        assert not is_grad_enabled()
        got = [f() for f in build]
        assert _pin_mixed()[0].data == recorded
    assert is_grad_enabled()
    assert [v.data for v in got] == expected
    assert all(v.is_leaf and v.parents == () and v.op is None and v._op == "" for v in got)


def test_no_grad_still_checks_the_domain_and_restores_on_error() -> None:
    from micrograd_lr import no_grad

    with pytest.raises(DomainError), no_grad():
        Value(-1.0).log()
    assert not Value(1.0).exp().is_leaf


def test_no_grad_nests_and_decorates() -> None:
    from micrograd_lr import no_grad

    x = Value(2.0)

    @no_grad()
    def step(v: Value) -> Value:
        return v * 3

    with no_grad():
        with no_grad():
            assert (x * x).is_leaf
        assert (x * x).is_leaf  # still inside the outer block
    assert not (x * x).is_leaf
    assert step(x).is_leaf and not (x * 3).is_leaf


def test_no_grad_is_per_thread() -> None:
    import threading

    from micrograd_lr import no_grad

    inside, recorded = threading.Event(), []
    release = threading.Event()

    def other_thread() -> None:
        inside.wait(10)
        recorded.append(not (Value(1.0) * 2).is_leaf)  # while the main thread is in no_grad
        release.set()

    worker = threading.Thread(target=other_thread)
    worker.start()
    with no_grad():
        inside.set()
        release.wait(10)
        assert (Value(1.0) * 2).is_leaf
    worker.join(10)
    assert recorded == [True]


def test_parameter_updates_in_both_styles_leave_no_graph() -> None:
    from micrograd_lr import no_grad

    w = Value(0.5, "w")
    for _ in range(3):
        loss = (w * 2.0 - 3.0) ** 2
        w.grad = 0.0
        loss.backward()
        with no_grad():
            w.data -= 0.1 * w.grad  # micrograd's style
    v = Value(0.5, "v")
    for _ in range(3):
        loss = (v * 2.0 - 3.0) ** 2
        (g,) = grad(loss, [v])
        with no_grad():
            v = v - 0.1 * g  # a new leaf each step: the graphs do not chain up
        assert v.is_leaf
    assert v.data == w.data and nodes(v) == [v]


# --- Jupyter --------------------------------------------------------------------------------------
@pytest.mark.graphviz
def test_a_value_shows_as_its_graph_in_jupyter() -> None:
    a = Value(2.0, "a")
    bundle = (a * 3 + 1)._repr_mimebundle_()
    assert bundle["text/plain"] == repr(a * 3 + 1).replace("7.0", "7.0")
    assert "<svg" in bundle["image/svg+xml"] and ">a<" in bundle["image/svg+xml"]


def test_jupyter_display_falls_back_to_text_and_never_raises(monkeypatch) -> None:
    import micrograd_lr.render as render

    x = Value(1.0, "x")
    y = x
    for _ in range(600):  # over the drawing's node limit
        y = y * 1.0001
    assert y._repr_mimebundle_() == {"text/plain": repr(y)}

    def broken(*args, **kwargs):
        raise RuntimeError("dot crashed")

    monkeypatch.setattr(render, "draw", broken)
    assert x._repr_mimebundle_() == {"text/plain": repr(x)}
    assert repr(x) == "Value(label='x', data=1.0, grad=0.0)"  # __repr__ unchanged


# --- NaN propagates through values and gradients --------------------------------------------------
@pytest.mark.parametrize("build", [lambda v: v.relu(), abs, lambda v: v.tanh(), lambda v: v * v])
def test_nan_propagates_through_value_and_gradient(build) -> None:
    x = Value(math.nan)
    y = build(x)
    y.backward()
    assert math.isnan(y.data) and math.isnan(x.grad)


def test_relu_and_abs_at_the_kink_and_beside_it() -> None:
    for x0, relu_grad, abs_grad in [
        (0.0, 0.0, 0.0),
        (-0.0, 0.0, 0.0),
        (2.0, 1.0, 1.0),
        (-2.0, 0.0, -1.0),
    ]:
        x = Value(x0)
        x.relu().backward()
        assert x.grad == relu_grad
        x = Value(x0)
        abs(x).backward()
        assert x.grad == abs_grad
    assert Value(-3.0).relu().data == 0.0 and Value(math.inf).relu().data == math.inf


def test_a_derivative_of_an_infinite_first_derivative_is_nan() -> None:
    # sqrt at 0: f'(0) = inf. By definition f''(0) = lim (f'(h) - f'(0)) / h, which has no
    # finite value (f'(0) is not a number to subtract), and there is no left side at all.
    x = Value(0.0, "x")
    (first,) = grad(x**0.5, [x], create_graph=True)
    assert first.data == math.inf
    h = 1e-8
    assert not math.isfinite((0.5 * h**-0.5 - first.data) / h)
    (second,) = grad(first, [x], create_graph=True)
    assert math.isnan(second.data) and math.isnan(grad(second, [x])[0])
    x.zero_grad()
    (x**0.5).backward(create_graph=True)
    assert x.grad.data == math.inf and math.isnan(grad(x.grad, [x])[0])


@pytest.mark.parametrize("build", [abs, lambda v: v.relu()])
def test_a_derivative_of_a_nan_first_derivative_is_nan(build) -> None:
    x = Value(math.nan)
    (first,) = grad(build(x), [x], create_graph=True)
    assert math.isnan(first.data) and math.isnan(grad(first, [x])[0])


def test_finite_limits_still_differentiate_to_numbers() -> None:
    x = Value(0.0)
    (first,) = grad(x**0, [x], create_graph=True)  # d/dx x**0 = 0 everywhere
    assert grad(first, [x]) == [0.0]
    y = Value(3.0)
    (first,) = grad(abs(y) * y, [y], create_graph=True)  # 2|y|
    assert grad(first, [y]) == [2.0]


@pytest.mark.parametrize(
    ("formula", "x0", "words"),
    [
        (lambda x: x**-2, 1e-100, ["derivative of", "(data=1e-100) ** -2.0", "** -3.0"]),
        (lambda x: x**0.5, 1e-320, ["derivative of", "(data=1e-320) ** 0.5", "overflow"]),
    ],
)
def test_overflow_in_a_higher_derivative_names_the_operation(formula, x0, words) -> None:
    x = Value(x0, "x")
    with pytest.raises(OverflowError) as info:
        (first,) = grad(formula(x), [x], create_graph=True)
        grad(first, [x])
    for word in words:
        assert word in str(info.value)


@given(moderate(), away_from_zero)
def test_no_grad_values_are_bitwise_the_recorded_ones(x: float, y: float) -> None:
    from micrograd_lr import no_grad

    a, b = Value(x), Value(y)
    build = [
        lambda: (a + b) * a - b, lambda: a / b + 2.5, lambda: (a * 0.5).tanh() - 1.0,
        lambda: b.sigmoid() * a, lambda: (a * b).relu() + abs(b), lambda: (b * 0.01).exp(),
    ]  # fmt: skip
    recorded = [f() for f in build]
    with no_grad():
        unrecorded = [f() for f in build]
    assert [v.data for v in unrecorded] == [v.data for v in recorded]
    assert all(v.is_leaf for v in unrecorded) and not any(v.is_leaf for v in recorded)


def test_no_grad_leaves_the_fast_methods_in_place_after_any_exit() -> None:
    import micrograd_lr.engine as engine
    from micrograd_lr import no_grad

    fast = dict(engine._RECORDING_METHODS)
    with pytest.raises(ZeroDivisionError), no_grad():
        assert Value.__add__ is not fast["__add__"]  # checking versions while inside
        Value(1.0) / 0
    assert all(getattr(Value, name) is method for name, method in fast.items())
    assert engine.is_grad_enabled() and engine._no_grad_depth == {}


def _slots(v: Value) -> tuple:
    return (v.data.hex(), v.op, v.parents, [d.hex() for d in v.local_grads], v.constant, v.label)


@given(st.floats(-50, 50) | st.sampled_from([0.0, -0.0, math.nan, math.inf]), moderate())
def test_inline_hot_paths_build_the_node_the_general_path_builds(x: float, y: float) -> None:
    """+, -, * and exp/tanh/sigmoid/relu build their nodes inline for speed; each must equal
    the node that the table-driven path (_binary, _unary) builds, slot for slot."""
    from micrograd_lr.engine import _binary, _unary

    a, b = Value(x), Value(y)
    for name, inline in [("add", a + b), ("sub", a - b), ("mul", a * b)]:
        assert _slots(inline) == _slots(_binary(OPS[name], a, b))
    for name, inline in [("add", a + y), ("sub", a - y), ("mul", a * y)]:
        assert _slots(inline) == _slots(_binary(OPS[name], a, y))
    inlined = {"tanh": a.tanh(), "sigmoid": a.sigmoid(), "relu": a.relu()}
    if x < 700:
        inlined["exp"] = a.exp()
    for name, inline in inlined.items():
        general = _unary(OPS[name], a)
        if math.isnan(x):  # NaN's bits may differ; NaN-ness must not
            assert math.isnan(inline.data) and math.isnan(general.data)
            assert all(math.isnan(d) for d in inline.local_grads + general.local_grads)
        else:
            assert _slots(inline) == _slots(general)
