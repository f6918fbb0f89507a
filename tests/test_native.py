"""micrograd_lr.native: the compiled loop replays bitwise as the engine (random graphs,
named gradients, signed zeros), declines to the engine wherever it would raise or leave the
finite numbers, and is chosen only where it applies."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
from graph_cases import (
    assert_bitwise,
    assert_like_the_engine,
    bits,
    build,
    engine_at,
    engine_or_error,
    logistic_cost,
    mlp_loss,
    negative_zero_shares,
    numbers,
    recipes,
)
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from micrograd_lr import DomainError, Value, fused, native
from micrograd_lr.compile import NATIVE_MIN_NODES, compile
from micrograd_lr.errors import TraceMismatchError
from micrograd_lr.graph import nodes

pytest.importorskip("numba", reason="the native loop needs Numba (the fast extra)")


def test_the_loop_agrees_with_the_engine_here() -> None:
    # Every operation and derivative rule at every sample point (what `available` checks).
    assert native._verify() is None
    assert native.available()


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recipes(plain=True) | recipes(), st.data())
def test_native_replay_is_bitwise_the_engine_on_random_graphs(recipe: Any, data: Any) -> None:
    # The engine's operations, and fused linear, mean and log-loss nodes.
    n_inputs, steps = recipe
    trace_at = data.draw(st.lists(numbers, min_size=n_inputs, max_size=n_inputs))
    traced = engine_or_error(steps, trace_at)
    assume(not isinstance(traced, Exception))
    c = compile(lambda *xs: build(steps, xs), trace_at, native=True, vectorize=False)
    assert c.native
    assert_bitwise(c(trace_at), traced)
    for _ in range(3):  # new points: the same numbers as the engine, or the same error
        xs = data.draw(st.lists(numbers, min_size=n_inputs, max_size=n_inputs))
        expected = engine_or_error(steps, xs)
        assert_like_the_engine(lambda xs=xs: c(np.array(xs)), expected)
        # The forward pass alone (no backward to notice a bad derivative) refuses as well.
        value_only = expected if isinstance(expected, Exception) else (expected[0], [])
        assert_like_the_engine(lambda xs=xs: (c.forward(xs), np.array([])), value_only)


@settings(max_examples=100, deadline=None)
@given(recipes(plain=True) | recipes(), st.data())
def test_root_form_and_named_gradients(recipe: Any, data: Any) -> None:
    n_inputs, steps = recipe
    xs = data.draw(st.lists(st.floats(-2, 2), min_size=n_inputs, max_size=n_inputs))
    leaves = [Value(x, f"x{k}") for k, x in enumerate(xs)]
    try:
        root = build(steps, leaves)
    except (ArithmeticError, ValueError):
        assume(False)
    root.label = "root"
    c = compile(root, leaves, named=True, native=True)
    root.backward()
    value, grad, named = c(xs)
    assert_bitwise((value, grad), (root.data, [leaf.grad for leaf in leaves]))
    assert {k: bits(v) for k, v in named.items()} == {
        n.label: bits(n.grad) for n in nodes(root) if n.label in named
    }


def test_signed_zeros_named_gradients_and_constant_leaves_are_the_engines() -> None:
    k = Value(-0.0, "k")  # a labelled constant leaf: its gradient is named too
    x, y, unused = Value(1.0, "x"), Value(1.0, "y"), Value(1.0, "unused")
    root = negative_zero_shares(x, y) * k + k
    c = compile(root, [x, unused, y], named=True, native=True)
    for point in ([-1.0, 5.0, 2.0], [-1.0, 5.0, -2.0], [-0.0, 5.0, 2.0], [3.0, 5.0, -0.0]):
        a, b = Value(point[0], "x"), Value(point[2], "y")
        kk = Value(-0.0, "k")
        expected = negative_zero_shares(a, b) * kk + kk
        expected.backward()
        value, grad, named = c(point)
        assert_bitwise((value, grad), (expected.data, [a.grad, 0.0, b.grad]))
        want = {n.label: bits(n.grad) for n in nodes(expected) if n.label}
        assert {label: bits(g) for label, g in named.items()} == want


@pytest.mark.parametrize(
    ("f", "point"),
    [
        (lambda x, y: x * y * 1e300, [1e10, 1e10]),  # * overflows to inf, no error
        (lambda x, y: (x - y).relu() + x, [math.inf, 1.0]),  # an infinite input
        (lambda x, y: x * y + x, [math.nan, 2.0]),  # NaN propagates
        (lambda x, y: (x * 0.0 + 1.0) ** 0.5 * y, [0.0, 2.0]),  # a finite case beside them
        (lambda x, y: (x * y) ** 0.5 + y, [0.0, 2.0]),  # an infinite derivative at 0
    ],
)
def test_outside_the_finite_numbers_the_engine_answers(f: Any, point: list[float]) -> None:
    c = compile(f, [1.0, 1.0], native=True)
    assert c.native
    assert_bitwise(c(point), engine_at(f, point))


def test_errors_are_the_engines_with_the_function_and_from_a_root() -> None:
    f = lambda x, y: (x * y).log() + (x / y).tanh()  # noqa: E731
    c = compile(f, [1.0, 2.0], native=True)
    with pytest.raises(DomainError, match="log of a non-positive number"):
        c(-1.0, 2.0)
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        compile(lambda x, y: (x / y).tanh() + x, [1.0, 2.0], native=True)(1.0, 0.0)
    with pytest.raises(OverflowError, match="overflow"):
        compile(lambda x: x.exp() * 2.0, [1.0], native=True)(800.0)
    x, y = Value(1.0, "x"), Value(2.0, "y")
    r = compile(f(x, y), [x, y], native=True)
    with pytest.raises(DomainError) as raised:
        r(-1.0, 2.0)
    assert any("compiled node" in note for note in raised.value.__notes__)


def test_a_branch_the_trace_did_not_take_is_a_trace_mismatch() -> None:
    # Where the loop declines and the function runs without error at these inputs (it takes
    # another branch), the replay is not valid there: as for the Python replays.
    def f(x: Value) -> Value:
        return x.log() if x.data > 0 else x * 2.0

    c = compile(f, [1.0], native=True)
    with pytest.raises(TraceMismatchError):
        c(-1.0)


def _branchy(x: Value, y: Value) -> Value:
    # Data-dependent control flow: the trace holds one branch.
    z = x * y
    return (z.tanh() if z.data > 0 else (z * 0.5).exp()) + x


def test_check_every_and_key_guard_native_replays_too() -> None:
    checked = compile(_branchy, [1.0, 2.0], native=True, check_every=1)
    assert_bitwise(checked(0.5, 3.0), engine_at(_branchy, [0.5, 3.0]))
    with pytest.raises(TraceMismatchError):
        checked(-1.0, 2.0)  # the other branch: the structure differs
    keyed = compile(_branchy, [1.0, 2.0], native=True, key=lambda xs: xs[0] * xs[1] > 0)
    for point in ([1.0, 2.0], [-1.0, 2.0], [0.5, -4.0], [3.0, 3.0]):
        assert keyed.native
        assert_bitwise(keyed(point), engine_at(_branchy, point))
    assert keyed.retraces == 1


def test_chosen_by_default_from_the_threshold_on_and_only_for_engine_ops() -> None:
    def chain(n: int) -> Any:
        def f(x: Value) -> Value:
            for _ in range(n):
                x = (x * 0.9 + 0.1).tanh()
            return x

        return f

    small = NATIVE_MIN_NODES // 3 - 2
    assert not compile(chain(small), [0.5]).native
    big = compile(chain(NATIVE_MIN_NODES // 3 + 1), [0.5])
    assert big.native and "native" in repr(big)
    assert_bitwise(big(0.3), engine_at(chain(NATIVE_MIN_NODES // 3 + 1), [0.3]))
    assert not compile(chain(400), [0.5], native=False).native
    assert not compile(chain(400), [0.5], vectorize=True).native  # lanes asked for by name
    assert "def chunk" in big.source()  # the same computation, readable

    def weighted(a: Value, b: Value) -> Value:  # a weighted mean is a user's op here
        return fused.mean([(a * b).tanh()] * 300, [1 / 300] * 300)

    assert not compile(weighted, [1.0, 2.0], native=True).native


@pytest.mark.parametrize("composed", [False, True])
def test_micrograds_mlp_loss_replays_bitwise(composed: bool) -> None:
    # One-node neurons (or micrograd's composed sums), relu, a hinge loss and an L2 term.
    loss, theta = mlp_loss(composed)
    c = compile(loss, theta)
    assert c.native  # by default: the engine's ops and neurons, well over 200 nodes
    for point in (theta, [t * 1.5 - 0.1 for t in theta]):
        assert_bitwise(c(point), engine_at(loss, point))


@pytest.mark.parametrize("fused_nodes", [True, False])
def test_logistic_cost_graphs_replay_bitwise(fused_nodes: bool) -> None:
    cost, key, _, _ = logistic_cost(4, 120, seed=3, fused_nodes=fused_nodes)
    c = compile(cost, [0.0] * 5, key=key)
    assert c.native
    for point in ([0.0] * 5, [0.5, -1.0, 0.25, 2.0, 0.1], [40.0, -30.0, 9.0, 1.0, 0.0]):
        assert_bitwise(c(point), engine_at(cost, point))


@pytest.mark.parametrize("fused_nodes", [True, False])
def test_hessian_rows_replay_bitwise(fused_nodes: bool) -> None:
    # Each gradient entry's graph (create_graph) is a graph of the engine's operations.
    from micrograd_lr.autodiff import hessian
    from micrograd_lr.compile import compile_hessian

    cost, key, _, _ = logistic_cost(3, 150, seed=4, fused_nodes=fused_nodes)
    h = compile_hessian(cost, [0.1, -0.2, 0.3, 0.05], key=key)
    assert all(row.native is not None for row in next(iter(h._traces.values())).rows)
    for point in ([0.1, -0.2, 0.3, 0.05], [1.0, 0.5, -2.0, 0.2], [30.0, -20.0, 5.0, 0.0]):
        value, gradient, H = h(point)
        assert_bitwise((value, gradient), engine_at(cost, point))
        assert H.tobytes() == hessian(cost, point).tobytes()


def test_a_million_nodes_compile_and_replay() -> None:
    def f(x: Value) -> Value:
        for _ in range(500_000):
            x = x * 0.999999 + 0.001
        return x

    c = compile(f, [0.5], native=True)
    assert c.n_nodes == 1_000_001 and c.native
    assert_bitwise(c(0.25), engine_at(f, [0.25]))  # the engine's walk is iterative too


@pytest.mark.parametrize(
    ("error", "reported"),
    [
        (
            ModuleNotFoundError("No module named 'numba'", name="numba"),
            "Numba is not installed (pip install 'micrograd_lr[fast]')",
        ),
        (
            RuntimeError("cannot cache function 'replay': no locator available"),
            "the loop could not be loaded (RuntimeError: cannot cache function 'replay': "
            "no locator available)",
        ),
    ],
)
def test_a_loop_that_cannot_load_is_reported_not_raised(
    monkeypatch: Any, error: Exception, reported: str
) -> None:
    def broken() -> Any:
        raise error

    native._loaded.cache_clear()
    native.problem.cache_clear()
    monkeypatch.setattr(native, "_load", broken)
    try:
        assert native.problem() == reported
        assert not compile(lambda x: x * 2.0, [1.0]).native  # the Python replay instead
        with pytest.raises(ImportError, match=reported[:20]):
            compile(lambda x: x * 2.0, [1.0], native=True)
    finally:
        monkeypatch.undo()
        native._loaded.cache_clear()
        native.problem.cache_clear()
    assert native.available()


def test_a_disagreeing_loop_is_turned_off_with_a_warning(monkeypatch: Any) -> None:
    native.problem.cache_clear()
    monkeypatch.setattr(native, "_verify", lambda: "exp(1.0,) gives 2.0, the engine 2.7")
    try:
        with pytest.warns(RuntimeWarning, match="native is off"):
            assert not native.available()
    finally:
        monkeypatch.undo()
        native.problem.cache_clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert native.available()
