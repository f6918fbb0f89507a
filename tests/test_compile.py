"""micrograd_lr.compile: replays bitwise equal to the engine over random graphs, every op,
fused nodes, errors with the engine's messages, the trace guard, depth and freeing."""

from __future__ import annotations

import gc
import math
import subprocess
import sys
import textwrap
import weakref
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
    negative_zero_shares,
    numbers,
    recipes,
)
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from micrograd_lr import DomainError, Value, fused
from micrograd_lr.compile import compile, compile_gradient, compile_hessian, logit_signs
from micrograd_lr.errors import MicrogradLRError, TraceMismatchError
from micrograd_lr.graph import nodes


# --------------------------------------------------------------------------------------------
# Bitwise equality
# --------------------------------------------------------------------------------------------
@settings(max_examples=700, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recipes(), st.data())
def test_replay_is_bitwise_the_engine_on_random_graphs(recipe: Any, data: Any) -> None:
    n_inputs, steps = recipe
    trace_at = data.draw(st.lists(numbers, min_size=n_inputs, max_size=n_inputs))
    traced = engine_or_error(steps, trace_at)
    assume(not isinstance(traced, Exception))
    # Small chunks too: gradient sums handed from one chunk to the next through S. And
    # lanes forced on (micrograd_lr.lanes): these graphs have a node or two per class, so
    # single-node steps, folds, and the share-order check falling back to chunks.
    chunk_edges = data.draw(st.sampled_from([1, 2, 5, 2000]))
    vectorize = data.draw(st.sampled_from([None, True]))
    c = compile(
        lambda *xs: build(steps, xs), trace_at, chunk_edges=chunk_edges, vectorize=vectorize
    )
    assert_bitwise(c(trace_at), traced)
    for _ in range(3):  # new points: the same numbers as the engine, or the same error
        xs = data.draw(st.lists(numbers, min_size=n_inputs, max_size=n_inputs))
        assert_like_the_engine(lambda xs=xs: c(np.array(xs)), engine_or_error(steps, xs))


@settings(max_examples=100, deadline=None)
@given(recipes(), st.data())
def test_root_form_and_named_gradients(recipe: Any, data: Any) -> None:
    n_inputs, steps = recipe
    xs = data.draw(st.lists(st.floats(0.1, 2), min_size=n_inputs, max_size=n_inputs))
    leaves = [Value(x, f"x{k}") for k, x in enumerate(xs)]
    try:
        root = build(steps, leaves)
    except (ArithmeticError, ValueError):
        assume(False)
    root.label = "root"
    c = compile(root, leaves, named=True, vectorize=data.draw(st.sampled_from([None, True])))
    root.backward()
    value, grad, named = c(xs)
    assert_bitwise((value, grad), (root.data, [leaf.grad for leaf in leaves]))
    assert named["root"] == 1.0
    assert {k: bits(v) for k, v in named.items() if k != "root"} == {
        leaf.label: bits(leaf.grad) for leaf in leaves if leaf.label in named
    }


def test_shared_subexpressions_same_operand_and_constant_folding() -> None:
    def f(a: Value, b: Value) -> Value:
        u = a * a  # the same node as both operands
        v = u + b
        return v * v - 3 / v + 2**a + (1 - u) ** 2 - abs(b) + b.relu()

    xs = [1.5, -0.5]
    c = compile(f, xs)
    for point in ([1.5, -0.5], [0.3, 2.0], [-1.2, 0.0], [2.0, -0.0]):
        leaves = [Value(x) for x in point]
        root = f(*leaves)
        root.backward()
        assert_bitwise(c(point), (root.data, [leaf.grad for leaf in leaves]))


@pytest.mark.parametrize(
    "f",
    [
        lambda x, y: x * y + x,  # a sum handed on to x, which then feeds x * y
        lambda x, y: x + x * y,
        lambda x, y: (x * y + x) + y,
        lambda x, y: (x + y) * (x + y) + x,
        lambda x, y: x + x,
        lambda x, y: x - x + y,
        lambda x, y: (x - y) + (y - x) * x,
        lambda x, y: fused.linear([x * y, y], x, [2.0, -1.0]) + y,
        lambda x, y: fused.linear([x, x], x, [1.0, 1.0]) + y,  # x three times, slope 1
        lambda x, y: fused.mean([x, y, x, x], [1.0, 1.0, 1.0, 1.0]),
    ],
)
@pytest.mark.parametrize("chunk_edges", [1, 2, 2000])
def test_sums_handed_on_to_operands(f: Any, chunk_edges: int) -> None:
    # Where a node's derivative is 1, its operand's gradient sum starts as the node's own;
    # each sum must stay apart from every other (two operands, chunk boundaries).
    c = compile(f, [1.5, -0.5], chunk_edges=chunk_edges)
    for point in ([1.5, -0.5], [0.3, 2.0], [-1.2, 0.0], [2.0, -0.0], [-0.0, 3.0]):
        leaves = [Value(x) for x in point]
        root = f(*leaves)
        root.backward()
        assert_bitwise(c(point), (root.data, [leaf.grad for leaf in leaves]))


@pytest.mark.parametrize("chunk_edges", [1, 3, 2000])
def test_sums_started_at_a_negative_zero_share_end_as_the_engines(chunk_edges: int) -> None:
    # A replay's sum starts at its first share, the engine's at 0.0 + share: they differ in
    # the sign of a zero only, and the outputs (inputs' and named gradients) settle it.
    root_leaves = [Value(1.0, "x"), Value(1.0, "y")]
    root = negative_zero_shares(*root_leaves)
    c = compile(root, root_leaves, named=True, chunk_edges=chunk_edges, vectorize=False)
    for point in ([-1.0, 2.0], [-1.0, -2.0], [-1.0, -0.0], [-1.0, math.inf], [-0.0, 2.0]):
        leaves = [Value(v, name) for v, name in zip(point, "xy", strict=True)]
        expected = negative_zero_shares(*leaves)
        expected.backward()
        value, grad, named = c(point)
        assert_bitwise((value, grad), (expected.data, [leaf.grad for leaf in leaves]))
        by_label = {n.label: n.grad for n in nodes(expected) if n.label}
        assert {k: bits(v) for k, v in named.items()} == {k: bits(by_label[k]) for k in named}


def test_relu_and_abs_derivatives_are_taken_at_replay() -> None:
    c = compile(lambda x: x.relu() + abs(x) * 2, [1.0])
    assert c(3.0)[1].tolist() == [3.0]
    assert c(-3.0)[1].tolist() == [-2.0]
    assert c(0.0)[1].tolist() == [0.0]


@pytest.mark.parametrize("vectorize", [False, True])
def test_forward_alone_raises_where_a_derivative_overflows(vectorize: bool) -> None:
    # The engine takes x ** -1.0's derivative with its value: at 1e-197 the value is finite,
    # the derivative overflows, and building the node raises. So does forward().
    c = compile(lambda x: x**-1.0 + x, [1.0], vectorize=vectorize)
    with pytest.raises(OverflowError, match="overflow in"):
        c.forward(6.7e-197)
    assert c.forward(0.5) == 2.5


def test_power_special_cases_follow_the_engine() -> None:
    c = compile(lambda x: x**0.5 + x**0 + x**2, [4.0])
    for x in (4.0, 0.0, 1e-300):
        leaf = Value(x)
        root = leaf**0.5 + leaf**0 + leaf**2
        root.backward()
        assert_bitwise(c(x), (root.data, [leaf.grad]))


def test_logistic_fused_and_composed_cost_graphs_replay_bitwise() -> None:
    from micrograd_lr import logistic

    rng = np.random.default_rng(0)
    X = rng.normal(size=(3, 12))
    Y = (rng.random((1, 12)) > 0.5).astype(float)
    for fused_nodes in (True, False):

        def cost(*wb: Value, fused_nodes: bool = fused_nodes) -> Value:
            return logistic.cost_graph(list(wb[:-1]), wb[-1], X, Y, fused=fused_nodes)

        key = None if fused_nodes else logit_signs(X)
        c = compile(cost, [0.0, 0.0, 0.0, 0.0], key=key, check_every=1, native=False)
        for point in ([1e-9, -2e-9, 3e-9, 1e-9], [0.5, -1.0, 0.25, 0.1], [0.5, -1.0, 0.2, 0.1]):
            leaves = [Value(x) for x in point]
            root = cost(*leaves)
            root.backward()
            assert_bitwise(c(point), (root.data, [leaf.grad for leaf in leaves]))
            grads, _ = logistic.propagate(np.array(point[:3]).reshape(3, 1), point[3], X, Y)
            np.testing.assert_allclose(c(point)[1][:3], grads["dw"].ravel(), rtol=1e-12)
        assert c.retraces >= (0 if fused_nodes else 2)


def test_composed_logistic_without_a_key_is_caught_by_check_every() -> None:
    from micrograd_lr import logistic

    X = np.array([[1.0, -1.0]])
    Y = np.array([[1.0, 0.0]])
    c = compile(lambda w, b: logistic.cost_graph([w], b, X, Y), [0.0, 0.0], check_every=1)
    c(0.0, 0.0)
    with pytest.raises(TraceMismatchError, match=r"first difference at node #\d+"):
        c(0.5, 0.0)  # the logit -0.5 takes the other branch than at the trace


# --------------------------------------------------------------------------------------------
# Errors: the engine's type and message
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("f", "trace_at", "bad", "error"),
    [
        (lambda x: (x + 1).log(), [1.0], [-3.0], DomainError),
        (lambda x: 1.0 / (x - 2), [1.0], [2.0], ZeroDivisionError),
        (lambda x: x.exp() * 2, [1.0], [800.0], OverflowError),
        (lambda x: x**0.5, [4.0], [-4.0], DomainError),
        (lambda x, y: x**y, [2.0, 0.5], [-2.0, 0.5], DomainError),
        (lambda x: x**-1.0, [2.0], [0.0], ZeroDivisionError),
        (lambda x: 10.0**x, [2.0], [400.0], OverflowError),
        (lambda x: x**-1.0, [2.0], [1e-320], OverflowError),  # the derivative overflows
    ],
)
def test_errors_match_the_engine(
    f: Any, trace_at: list[float], bad: list[float], error: type
) -> None:
    c = compile(f, trace_at, labels=[f"v{k}" for k in range(len(trace_at))])
    with pytest.raises(error) as expected:
        f(*[Value(x, f"v{k}") for k, x in enumerate(bad)])
    with pytest.raises(error) as raised:
        c(bad)
    assert str(raised.value) == str(expected.value)
    assert any("compiled replay" in note for note in raised.value.__notes__)


def test_a_folded_int_shows_as_written_only_from_the_function() -> None:
    # The graph keeps folded numbers as floats: compiled from a root, the replay cannot know
    # `1` was written; compiled from the function, it runs the function to report an error.
    x = Value(1.0, "x0")
    with pytest.raises(ZeroDivisionError, match=r"in 1.0 / Value 'x0' \(data=0.0\)") as raised:
        compile(1 / x, [x])(0.0)
    assert raised.value.__context__ is None
    with pytest.raises(ZeroDivisionError, match=r"in 1 / Value 'x0' \(data=0.0\)"):
        compile(lambda x: 1 / x, [1.0])(0.0)


def test_an_error_names_a_labelled_node() -> None:
    a = Value(2.0, "a")
    z = a - 3.0
    z.label = "z"
    J = z.log() if False else (a + 0.0).log()
    c = compile(J, [a])
    with pytest.raises(DomainError, match=r"log\(Value\(data=-1.0\)\)"):
        c(-1.0)
    y = a * 1.0
    y.label = "y"
    c = compile(y.log(), [a])
    with pytest.raises(DomainError, match=r"log\(Value 'y' \(data=-1.0\)\)") as raised:
        c(-1.0)
    assert raised.value.__notes__ == ["(raised by compiled node #2 of 3, unlabelled, op 'log')"]


def test_bad_calls_are_refused() -> None:
    c = compile(lambda a, b: a * b, [1.0, 2.0])
    with pytest.raises(ValueError, match="expected 2 inputs, got 3"):
        c(1.0, 2.0, 3.0)
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        c(np.zeros((2, 1)))
    with pytest.raises(TypeError, match="input 1 must be a number"):
        c(1.0, "2")
    with pytest.raises(TypeError, match="example inputs"):
        compile(lambda a: a, 1)
    with pytest.raises(TypeError, match="must return a Value"):
        compile(lambda a: 3.0, [1.0])
    a = Value(1.0)
    with pytest.raises(ValueError, match="inputs must be leaves"):
        compile(a * 2, [a * 1])
    with pytest.raises(ValueError, match="check_every"):
        compile(lambda a: a, [1.0], check_every=0)


# --------------------------------------------------------------------------------------------
# The trace guard
# --------------------------------------------------------------------------------------------
def branchy(x: Value) -> Value:
    return x * 2 if x.data > 0 else x.exp()


def test_check_every_raises_when_control_flow_depends_on_the_data() -> None:
    c = compile(branchy, [1.0], check_every=2)
    c(2.0)
    c(3.0)  # the second call re-traces: same branch, fine
    c(-1.0)  # not a checked call: the trace's branch, silently
    with pytest.raises(TraceMismatchError, match="different graph at call 4") as raised:
        c(-2.0)
    assert isinstance(raised.value, MicrogradLRError)
    assert c.retraces == 2


def test_key_retraces_per_branch() -> None:
    c = compile(branchy, [1.0], key=lambda xs: xs[0] > 0)
    assert c(2.0) == (4.0, pytest.approx([2.0]))
    value, grad = c(-1.0)
    assert (value, grad.tolist()) == (math.exp(-1.0), [math.exp(-1.0)])
    assert c.retraces == 1
    c(5.0)
    assert c.retraces == 1  # the first trace is kept


def test_check_compares_the_numbers_too() -> None:
    c = compile(lambda a, b: a * b + b.tanh(), [1.0, 2.0], check_every=1)
    for x in np.linspace(-3, 3, 7):
        c(x, -x)
    c.check(0.5, 0.25)


# --------------------------------------------------------------------------------------------
# Gradient helper, determinism, depth, freeing
# --------------------------------------------------------------------------------------------
def test_compile_gradient_helper() -> None:
    gradient = compile_gradient(lambda w, b: ((w * 3.0 + b) - 1.0) ** 2, np.zeros(2))
    cost, g = gradient(np.array([1.0, 1.0]))
    assert cost == 9.0 and g.tolist() == [18.0, 6.0]


DETERMINISM = textwrap.dedent(
    """
    import random
    from micrograd_lr import Value
    from micrograd_lr.compile import compile
    rng = random.Random(0)
    def f(*p):
        w, b = p[:-1], p[-1]
        cost = 0
        r = random.Random(1)
        for _ in range(40):
            x = [r.uniform(-2, 2) for _ in range(8)]
            z = sum((wi * xi for wi, xi in zip(w, x)), b)
            a = z.sigmoid()
            cost = cost + (-(a.log() if r.random() > 0.5 else (1 - a).log()))
        return cost / 40
    trace_at, point = [rng.uniform(-1, 1) for _ in range(9)], [rng.uniform(-1, 1) for _ in range(9)]
    for vectorize, native in ((False, False), (True, False), (None, None)):  # lines, lanes, loop
        c = compile(f, trace_at, vectorize=vectorize, native=native)
        value, grad = c(point)
        print(value.hex(), *(g.hex() for g in grad.tolist()))
    """
)


def test_replays_are_bitwise_identical_across_processes_and_hash_seeds() -> None:
    outputs = set()
    for seed in ("0", "1", "12345", "random"):
        done = subprocess.run(
            [sys.executable, "-c", DETERMINISM],
            capture_output=True,
            text=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert len(set(done.stdout.splitlines())) == 1  # every kind of replay alike
        outputs.add(done.stdout)
    assert len(outputs) == 1


@pytest.mark.slow
def test_million_node_graph_compiles_and_replays_in_a_subprocess() -> None:
    program = textwrap.dedent(
        """
        import resource, sys
        from micrograd_lr import Value
        from micrograd_lr.compile import compile
        assert sys.getrecursionlimit() <= 1000
        x, w = Value(1.0), Value(0.5)
        y = x
        for _ in range(333_333):  # three nodes a step
            y = (y * 1.0000001 + w * 1e-7)
        y.backward()
        expected = (y.data, x.grad, w.grad)
        c = compile(y, [x, w], native=False)  # straight-line code (test_native: the loop)
        del y
        value, grad = c(1.0, 0.5)
        assert (value, *grad.tolist()) == expected, ((value, *grad.tolist()), expected)
        value, grad = c(2.0, 0.5)
        print(c.n_nodes, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    n_nodes, peak_mib = map(int, done.stdout.split())
    assert n_nodes == 1_000_001
    assert peak_mib < 2000


def test_compiled_objects_are_freed() -> None:
    c = compile(lambda a, b: (a * b).tanh() + a, [1.0, 2.0])
    c(1.0, 2.0)
    ref = weakref.ref(c)
    program = weakref.ref(next(iter(c._programs.values())).chunks[0][0])
    del c
    gc.collect()
    assert ref() is None and program() is None


def test_compiling_keeps_no_reference_to_the_graph() -> None:
    a = Value(1.0)
    u = a * 2
    root = u.exp()
    counts = sys.getrefcount(a), sys.getrefcount(u), sys.getrefcount(root)
    c = compile(root, [a])
    assert (sys.getrefcount(a), sys.getrefcount(u), sys.getrefcount(root)) == counts
    assert c(1.0)[0] == math.exp(2.0)


# --------------------------------------------------------------------------------------------
# Second derivatives: the gradient graph compiled too
# --------------------------------------------------------------------------------------------
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recipes(), st.data())
def test_compiled_hessian_is_bitwise_the_engines(recipe: Any, data: Any) -> None:
    from micrograd_lr.autodiff import grad, hessian

    n_inputs, steps = recipe
    finite = st.floats(-3, 3, allow_nan=False) | st.sampled_from([0.0, 1.0, -1.0, 0.5])

    def f(*xs: Value) -> Value:
        return build(steps, xs)

    def engine(xs: list[float]) -> Any:
        try:
            leaves = [Value(x) for x in xs]
            first = grad(f(*leaves), leaves, create_graph=True)
            return f(*leaves).data, [d.data for d in first], hessian(f, xs)
        except (ArithmeticError, ValueError) as exc:
            return exc

    trace_at = data.draw(st.lists(finite, min_size=n_inputs, max_size=n_inputs))
    assume(not isinstance(engine(trace_at), Exception))
    # The rows (each gradient entry's graph) in lanes too, forced on.
    h = compile_hessian(f, trace_at, vectorize=data.draw(st.sampled_from([None, True])))
    for _ in range(3):
        xs = data.draw(st.lists(finite, min_size=n_inputs, max_size=n_inputs))
        expected = engine(xs)
        if isinstance(expected, Exception):
            with pytest.raises(type(expected)):
                h(xs)
            continue
        value, g, H = h(np.array(xs))
        assert bits(value) == bits(expected[0])
        assert [bits(v) for v in g.tolist()] == [bits(v) for v in expected[1]]
        assert [bits(v) for v in H.ravel().tolist()] == [bits(v) for v in expected[2].ravel()]


def test_compiled_hessian_retraces_when_a_slope_changes() -> None:
    from micrograd_lr.autodiff import hessian

    def f(a: Value, b: Value) -> Value:
        return (a * b).relu() * a + abs(a - b) * b + (a * a) ** 0.5

    h = compile_hessian(f, [2.0, 3.0])
    for point in ([2.0, 3.0], [1.0, -2.0], [-1.0, 0.5], [0.0, 1.0], [2.5, 3.5]):
        got, expected = h(point)[2].ravel().tolist(), hessian(f, point).ravel().tolist()
        assert [bits(x) for x in got] == [bits(x) for x in expected]
    assert h.retraces == 3  # [2.5, 3.5] reuses the first trace


def test_compiled_hessian_picks_its_trace_by_key_before_running() -> None:
    # A trace of the other branch would take log of a negative number here; the function
    # itself does not. (It raised TraceMismatchError: Newton on the composed logistic graph
    # once its logits grew.)
    from micrograd_lr.autodiff import hessian

    def f(x: Value) -> Value:
        return (x * x).log() * x if x.data > 0 else (-x).log() * x * x

    h = compile_hessian(f, [2.0], key=lambda xs: xs[0] > 0)
    for point in ([2.0], [-3.0], [0.5], [-0.25]):
        value, gradient, H = h(point)
        assert_bitwise((value, gradient), engine_at(f, point))
        assert H.tobytes() == hessian(f, point).tobytes()
    assert h.retraces == 1


def test_compiled_hessian_of_logistic_matches_closed_form() -> None:
    from micrograd_lr import logistic
    from micrograd_lr.newton import closed_form_hessian

    rng = np.random.default_rng(1)
    X = rng.normal(size=(2, 15))
    Y = (rng.random((1, 15)) > 0.5).astype(float)
    h = compile_hessian(
        lambda w0, w1, b: logistic.cost_graph([w0, w1], b, X, Y, fused=True), [0.0] * 3
    )
    theta = np.array([0.3, -0.7, 0.2])
    H = h(theta)[2]
    np.testing.assert_allclose(
        H, closed_form_hessian(theta[:2], theta[2], X), rtol=1e-12, atol=1e-15
    )


def test_create_graph_form() -> None:
    h = compile(lambda a, b: a * a * b, [2.0, 3.0], create_graph=True)
    value, g, H = h(1.0, 2.0)
    assert (value, g.tolist(), H.tolist()) == (2.0, [4.0, 1.0], [[4.0, 2.0], [2.0, 0.0]])
    with pytest.raises(TypeError, match="create_graph"):
        compile(Value(1.0), [], create_graph=True)


def test_a_replay_that_fails_where_the_function_runs_is_a_trace_mismatch() -> None:
    def f(x: Value) -> Value:
        return x * 0.0 if x.data == 0 else 1.0 / x  # the branch avoids the division

    c = compile(f, [2.0])
    with pytest.raises(TraceMismatchError, match=r"replay failed .*ZeroDivisionError"):
        c(0.0)
