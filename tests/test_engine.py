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
    "fused_leaves": [
        "-0x1.d1b9a7f228a21p-3",
        "0x1.e2a889bb9640ap-1",
        "-0x1.53d8d4e29a79ap-1",
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
