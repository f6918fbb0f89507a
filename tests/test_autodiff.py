"""Higher-order derivatives: create_graph, grad and hessian against SymPy, finite differences
and closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from op_cases import CASES, SYMBOLS, Case, close, exact_point, moderate

from micrograd_lr import Value, grad, hessian
from micrograd_lr.graph import nodes


def exact_hessian(case: Case, point: tuple[float, ...]) -> np.ndarray:
    subs = exact_point(point)
    symbols = SYMBOLS[: len(point)]
    return np.array(
        [
            [float(sp.diff(case.symbolic, s, t).subs(subs).evalf(30)) for t in symbols]
            for s in symbols
        ]
    )


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_second_derivatives_of_every_op_match_sympy(case: Case) -> None:
    @settings(max_examples=25, deadline=None)
    @given(st.tuples(*case.domains))
    def check(point: tuple[float, ...]) -> None:
        try:
            H = hessian(case.build, point)
        except OverflowError:
            assume(False)
        expected = exact_hessian(case, point)
        scale = np.abs(expected).max()
        assume(scale < 1e200)
        # Rounding in the rules' products is relative to the largest entry of the matrix;
        # sigmoid and tanh form 1 - s from s, exact to ~1e-16 absolute, not relative.
        assert np.allclose(H, expected, rtol=1e-11, atol=1e-12 * scale + 1e-15), (H, expected)

    check()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_second_derivatives_match_finite_differences_of_the_gradient(case: Case) -> None:
    @settings(max_examples=15, deadline=None)
    @given(st.tuples(*case.domains))
    def check(point: tuple[float, ...]) -> None:
        assume(case.name not in ("abs", "relu") or all(abs(x) > 1e-4 for x in point))
        try:
            H = hessian(case.build, point)
        except OverflowError:
            assume(False)
        assume(np.abs(H).max() < 1e8)

        def gradient_at(p: list[float]) -> np.ndarray:
            leaves = [Value(x) for x in p]
            return np.array(grad(case.build(*leaves), leaves))

        for j, x in enumerate(point):
            h = 1e-5 * max(1.0, abs(x))
            up, down = list(point), list(point)
            up[j], down[j] = x + h, x - h
            try:
                column = (gradient_at(up) - gradient_at(down)) / (up[j] - down[j])
            except (OverflowError, ValueError, ZeroDivisionError):
                assume(False)
            assert np.allclose(H[:, j], column, rtol=1e-4, atol=1e-6), (H[:, j], column)

    check()


@given(moderate(-30, 30))
def test_derivative_of_sigmoids_derivative(z: float) -> None:
    x = Value(z)
    (ds,) = grad(x.sigmoid(), [x], create_graph=True)
    (d2s,) = grad(ds, [x])
    s = 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))
    assert close(d2s, s * (1 - s) * (1 - 2 * s), rel=1e-12, abs_=1e-15)


def test_third_and_fourth_derivatives() -> None:
    x = Value(2.0)
    y = x**4
    (d1,) = grad(y, [x], create_graph=True)
    (d2,) = grad(d1, [x], create_graph=True)
    (d3,) = grad(d2, [x], create_graph=True)
    (d4,) = grad(d3, [x])
    assert (d1.data, d2.data, d3.data, d4) == (32.0, 48.0, 48.0, 24.0)


# --- first derivatives: create_graph agrees with the fast path bit for bit ----------------------
expressions = [
    lambda a, b: (a - 1) * (b + a),
    lambda a, b: (a * b).tanh() + a.sigmoid() * b - a / (b * b + 1),
    lambda a, b: (a * a + 0.5).log() * (b / 3).exp() - abs(a - b) + (a - b).relu(),
    lambda a, b: (2.0 ** (a / 4)) * (b * b + 1) ** 1.5 - 3 / (a * a + 1),
]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(expressions), moderate(-4, 4), moderate(-4, 4))
def test_create_graph_gives_the_fast_paths_first_derivatives_bit_for_bit(f, x, y) -> None:
    a, b = Value(x), Value(y)
    out = f(a, b)
    fast = grad(out, [a, b])
    built = grad(out, [a, b], create_graph=True)
    out.backward()
    assert [float(g).hex() for g in fast] == [a.grad.hex(), b.grad.hex()]
    assert [g.data for g in built] == fast


def test_grad_leaves_every_grad_untouched_and_gives_zero_for_unused_inputs() -> None:
    a, b, unused = Value(2.0), Value(3.0), Value(5.0)
    out = a * b
    assert grad(out, [a, b, unused]) == [3.0, 2.0, 0.0]
    assert all(n.grad == 0.0 for n in [*nodes(out), unused])
    (zero,) = grad(out, [unused], create_graph=True)
    assert isinstance(zero, Value) and zero.data == 0.0


def test_backward_with_create_graph_makes_grad_a_differentiable_value() -> None:
    x = Value(1.5)
    y = x**3
    y.backward(create_graph=True)
    first = x.grad
    assert isinstance(first, Value) and first.data == 3 * 1.5**2
    y.zero_grad()
    first.backward()
    assert x.grad == 6 * 1.5


def test_hessian_of_a_quadratic_form_is_its_matrix() -> None:
    Q = np.array([[2.0, -1.0, 0.5], [-1.0, 3.0, 0.0], [0.5, 0.0, 1.0]])

    def f(*x: Value) -> Value:
        return sum((Q[i, j] * x[i] * x[j] for i in range(3) for j in range(3)), Value(0.0)) / 2

    assert np.array_equal(hessian(f, [0.3, -1.2, 2.0]), Q)


@pytest.mark.parametrize(
    ("f", "values", "error", "match"),
    [
        (lambda a: a, [], ValueError, "values is empty"),
        (lambda a: a, ["x"], TypeError, r"values\[0\] must be a Value or a number"),
        (lambda a: 3.0, [1.0], TypeError, "f must return a Value"),
    ],
)
def test_hessian_bad_input(f, values, error, match) -> None:
    with pytest.raises(error, match=match):
        hessian(f, values)


def test_grad_bad_input() -> None:
    with pytest.raises(TypeError, match="output must be a Value"):
        grad(1.0, [Value(1.0)])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"inputs\[1\] must be a Value"):
        grad(Value(1.0), [Value(1.0), 2.0])  # type: ignore[list-item]


# --- the Hessian of logistic regression's cost ---------------------------------------------------
def logistic_cost(w: list[Value], b: Value, X: np.ndarray, Y: np.ndarray) -> Value:
    """Mean cross-entropy of sigmoid(w.x + b), composed from the engine's ops."""
    n, m = X.shape
    total = Value(0.0)
    for i in range(m):
        z = sum((w[k] * float(X[k, i]) for k in range(n)), b)
        a = z.sigmoid()
        total = total - (a.log() if Y[0, i] == 1 else (1 - a).log())
    return total / m


def test_hessian_of_the_logistic_cost_equals_the_closed_form() -> None:
    rng = np.random.default_rng(7)
    n, m = 3, 25
    X = rng.normal(size=(n, m))
    Y = (rng.random((1, m)) > 0.5).astype(float)
    point = list(rng.normal(scale=0.5, size=n + 1))

    H = hessian(lambda *p: logistic_cost(list(p[:n]), p[n], X, Y), point)

    w, b = np.array(point[:n]).reshape(n, 1), point[n]
    a = 1 / (1 + np.exp(-(w.T @ X + b)))
    Xb = np.vstack([X, np.ones((1, m))])  # b folded in as a row of ones
    closed = Xb @ np.diag((a * (1 - a)).ravel()) @ Xb.T / m
    assert np.allclose(H, closed, rtol=1e-10, atol=0)


def test_grad_reads_a_generator_of_inputs_once() -> None:
    x, y = Value(2.0), Value(5.0)
    assert grad(x * y, (v for v in (x, y))) == [5.0, 2.0]


def test_hessian_takes_numpy_scalars_as_value_does() -> None:
    H = hessian(lambda a, b: a * a * b, [np.float32(2.0), np.int64(3)])
    assert H.tolist() == [[6.0, 4.0], [4.0, 0.0]]


@pytest.mark.slow
def test_user_code_type_checks_without_any(tmp_path) -> None:
    """mypy sees floats where a user expects floats and Values where create_graph=True."""
    import subprocess
    import sys
    import textwrap
    from pathlib import Path

    script = tmp_path / "user.py"
    script.write_text(
        textwrap.dedent(
            """
            from micrograd_lr import Value, grad, no_grad
            x = Value(2.0)
            y = x * x
            y.backward()
            x.data -= 0.1 * x.grad
            step: float = grad(y, [x])[0] * 0.5
            (dy,) = grad(y, [x], create_graph=True)
            dy.backward()
            with no_grad():
                z = x - 0.1 * x.grad
            reveal_type(x.grad)
            reveal_type(grad(y, [x]))
            reveal_type(grad(y, [x], create_graph=True))
            reveal_type(x.item())
            """
        )
    )
    repository = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", str(script)],
        capture_output=True,
        text=True,
        cwd=repository,
        timeout=300,
    )
    revealed = [
        line.split("Revealed type is ")[1]
        for line in done.stdout.splitlines()
        if "Revealed" in line
    ]
    assert revealed == [
        '"float"',
        '"list[float]"',
        '"list[micrograd_lr.engine.Value]"',
        '"float"',
    ], done.stdout
    assert "error" not in done.stdout.replace("Revealed", ""), done.stdout
