"""Logistic regression checked three ways: closed form, Value graph, finite differences;
and against scikit-learn's optimum."""

import math
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from references import breast_cancer_error_features, unregularized_sklearn

from micrograd_lr import Value
from micrograd_lr.gradcheck import gradcheck
from micrograd_lr.logistic import (
    cost_graph,
    initialize_with_zeros,
    lipschitz_learning_rate,
    model,
    optimize,
    predict,
    propagate,
    train,
    value_propagate,
)

GRAPHS = [pytest.param(False, id="composed"), pytest.param(True, id="fused")]


def random_problem(seed, n_x=4, m=30, scale=1.0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_x, m)).astype(dtype)
    Y = (rng.random((1, m)) < 0.5).astype(dtype)
    w = (scale * rng.standard_normal((n_x, 1))).astype(dtype)
    b = float(rng.standard_normal())
    return w, b, X, Y


def reference_cost(w, b, X, Y):
    """The mean log-loss in exact rational-free form: log(1 + e^-z) for y=1, log(1 + e^z)
    for y=0, with math.log1p/exp per example (an independent scalar implementation)."""
    z = (w.T @ X + b).ravel().tolist()
    total = 0.0
    for zi, yi in zip(z, Y.ravel().tolist(), strict=True):
        s = -zi if yi == 1 else zi  # the loss is softplus(s)
        total += s + math.log1p(math.exp(-s)) if s > 0 else math.log1p(math.exp(s))
    return total / len(z)


def finite_difference_gradient(w, b, X, Y, h=1e-6):
    params = np.append(w.ravel(), b)

    def f(p):
        return reference_cost(p[:-1].reshape(-1, 1), p[-1], X, Y)

    grad = np.empty_like(params)
    for i in range(params.size):
        up, down = params.copy(), params.copy()
        up[i] += h
        down[i] -= h
        grad[i] = (f(up) - f(down)) / (up[i] - down[i])
    return grad[:-1].reshape(-1, 1), grad[-1]


# --- the course's closed form ---------------------------------------------------------------
COURSE_W, COURSE_B = np.array([[1.0], [2.0]]), 2.0
COURSE_X, COURSE_Y = np.array([[1.0, 2.0, -1.0], [3.0, 4.0, -3.2]]), np.array([[1, 0, 1]])


def test_initialize_with_zeros():
    w, b = initialize_with_zeros(3)
    assert w.shape == (3, 1) and not w.any() and w.dtype == np.float64
    assert b == 0.0 and type(b) is float
    for bad in (0, -1, 2.0, True):
        with pytest.raises(ValueError, match="positive int"):
            initialize_with_zeros(bad)


def test_propagate_course_values():
    grads, cost = propagate(COURSE_W, COURSE_B, COURSE_X, COURSE_Y)
    np.testing.assert_allclose(grads["dw"], [[0.99845601], [2.39507239]], rtol=1e-8)
    assert grads["db"] == pytest.approx(0.00145557813678, rel=1e-10, abs=0)
    assert cost == pytest.approx(5.801545319394553, rel=1e-12, abs=0)


def test_optimize_course_values():
    params, grads, costs = optimize(
        COURSE_W, COURSE_B, COURSE_X, COURSE_Y, num_iterations=100, learning_rate=0.009
    )
    np.testing.assert_allclose(params["w"], [[0.19033591], [0.12259159]], rtol=1e-7)
    assert params["b"] == pytest.approx(1.92535983008, rel=1e-10, abs=0)
    np.testing.assert_allclose(grads["dw"], [[0.67752042], [1.41625495]], rtol=1e-7)
    assert grads["db"] == pytest.approx(0.219194504541, rel=1e-10, abs=0)
    assert costs == [pytest.approx(5.80154532, rel=1e-8)]
    assert COURSE_W.tolist() == [[1.0], [2.0]]  # not modified


def test_optimize_records_every_100_iterations(capsys):
    _, _, costs = optimize(COURSE_W, COURSE_B, COURSE_X, COURSE_Y, 250, 0.009, True)
    assert len(costs) == 3
    assert capsys.readouterr().out.splitlines()[1].startswith("Cost after iteration 100: ")


def test_predict_course_values():
    w, b = np.array([[0.1124579], [0.23106775]]), -0.3
    X = np.array([[1.0, -1.1, -3.2], [1.2, 2.0, 0.1]])
    assert predict(w, b, X).tolist() == [[1.0, 1.0, 0.0]]


def test_model_trains_and_reports_accuracy():
    _, _, X, Y = random_problem(3, m=60)
    Y = (np.array([[1.0, -2.0, 0.5, 0.0]]) @ X > 0).astype(float)  # separable by a line
    d = model(X[:, :40], Y[:, :40], X[:, 40:], Y[:, 40:], num_iterations=300, learning_rate=0.5)
    assert d["Y_prediction_train"].shape == (1, 40) and d["Y_prediction_test"].shape == (1, 20)
    assert len(d["costs"]) == 3 and d["costs"][0] == pytest.approx(math.log(2))
    assert d["train_accuracy"] > 0.9 and d["test_accuracy"] > 0.8
    assert d["w"].shape == (4, 1) and isinstance(d["b"], float)


@pytest.mark.parametrize("seed", range(5))
def test_propagate_matches_finite_differences_of_an_independent_cost(seed):
    w, b, X, Y = random_problem(seed)
    grads, cost = propagate(w, b, X, Y)
    assert cost == pytest.approx(reference_cost(w, b, X, Y), rel=1e-14, abs=0)
    dw, db = finite_difference_gradient(w, b, X, Y)
    np.testing.assert_allclose(grads["dw"], dw, rtol=1e-7, atol=1e-10)
    assert grads["db"] == pytest.approx(db, rel=1e-7, abs=1e-10)


# --- the Value graph against the closed form --------------------------------------------------
@pytest.mark.parametrize("fused", GRAPHS)
@pytest.mark.parametrize("seed", range(5))
def test_value_graph_matches_closed_form_to_1e12(seed, fused):
    w, b, X, Y = random_problem(seed, n_x=6, m=50)
    grads, cost = propagate(w, b, X, Y)
    vgrads, vcost = value_propagate(w, b, X, Y, fused=fused)
    np.testing.assert_allclose(vgrads["dw"], grads["dw"], rtol=1e-12, atol=0)
    assert vgrads["db"] == pytest.approx(grads["db"], rel=1e-12, abs=0)
    assert vcost == pytest.approx(cost, rel=1e-12, abs=0)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_x=st.integers(1, 5),
    m=st.integers(1, 12),
    scale=st.sampled_from([0.1, 1.0, 10.0, 1000.0]),
)
def test_three_paths_agree_on_random_problems(seed, n_x, m, scale):
    w, b, X, Y = random_problem(seed, n_x, m, scale)
    grads, cost = propagate(w, b, X, Y)
    size = np.abs(np.append(grads["dw"], grads["db"])).max()
    # Relative to the gradient's size (single components may cancel to ~0), plus the
    # rounding floor of a probability: sigmoid(z) - y is only known to ~1e-16 absolute
    # (sigmoid(40) rounds to 1.0 in the closed form, while the graph keeps -e^-40), and
    # the composed log(1 + e^-z) rounds a loss below 1e-16 to 0 (log1p would keep it).
    floor = 1e-15 * max(1.0, np.abs(X).max())
    for fused in (False, True):
        vgrads, vcost = value_propagate(w, b, X, Y, fused=fused)
        assert np.abs(vgrads["dw"] - grads["dw"]).max() <= 1e-12 * size + floor
        assert abs(vgrads["db"] - grads["db"]) <= 1e-12 * size + floor
        assert vcost == pytest.approx(cost, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("fused", GRAPHS)
def test_value_graph_matches_central_differences_with_gradcheck(fused):
    _, _, X, Y = random_problem(7, n_x=3, m=8)

    def J(w0, w1, w2, b):
        return cost_graph([w0, w1, w2], b, X, Y, fused=fused)

    result = gradcheck(
        J, [Value(0.3, "w[0]"), Value(-1.1, "w[1]"), Value(0.8, "w[2]"), Value(0.2, "b")]
    )
    worst = result.worst_by_parameter()
    assert list(worst) == ["w", "b"]
    assert max(worst.values()) < 1e-8


@pytest.mark.parametrize("fused", GRAPHS)
def test_gradient_at_zero_weights_is_exact(fused):
    # Every logit is exactly 0 at the usual starting point, where max(z, 0) and |z| have
    # kinks: the gradient must still be X (1/2 - Y)^T / m.
    _, _, X, Y = random_problem(2)
    w, b = initialize_with_zeros(X.shape[0])
    vgrads, vcost = value_propagate(w, b, X, Y, fused=fused)
    np.testing.assert_allclose(vgrads["dw"], X @ (0.5 - Y).T / X.shape[1], rtol=1e-14)
    assert vgrads["db"] == pytest.approx(np.mean(0.5 - Y), rel=1e-14, abs=1e-16)
    assert vcost == pytest.approx(math.log(2), rel=1e-15, abs=0)


@pytest.mark.filterwarnings("error")  # no overflow, not even a warned-about one
@pytest.mark.parametrize("path", ["numpy", "composed", "fused"])
@pytest.mark.parametrize("z", [1e4, -1e4, 800.0, -800.0, 40.0])
def test_extreme_logits_are_finite_and_exact(path, z):
    # X = [[1, 1]], Y = [[1, 0]], w = [[z]], b = 0: both examples have logit z.
    X, Y, w = np.array([[1.0, 1.0]]), np.array([[1.0, 0.0]]), np.array([[z]])
    if path == "numpy":
        grads, cost = propagate(w, 0.0, X, Y)
    else:
        grads, cost = value_propagate(w, 0.0, X, Y, fused=path == "fused")
    p = 1.0 if z > 0 else 0.0  # sigmoid(z) rounds to exactly this for |z| >= 40
    # Mean of softplus(-z) and softplus(z): |z| / 2 up to e^-|z| / 2.
    assert cost == pytest.approx(abs(z) / 2, rel=1e-15, abs=0)
    assert grads["dw"][0, 0] == pytest.approx(((p - 1) + p) / 2, abs=1e-17)
    assert grads["db"] == pytest.approx(((p - 1) + p) / 2, abs=1e-17)


@pytest.mark.parametrize("path", ["numpy", "composed", "fused"])
@pytest.mark.parametrize(("z", "y"), [(40.0, 1.0), (-40.0, 0.0), (700.0, 1.0), (36.0, 1.0)])
def test_confidently_right_loss_keeps_its_tiny_tail(path, z, y):
    """softplus(-|z|) = log1p(e^-|z|) ~ e^-|z|: log(1 + e) would round it to 0 at |z| = 40
    and be 4% off at 36; the closed form and the fused node use log1p, the composed graph
    Kahan's log1p from primitives."""
    X, Y, w = np.array([[1.0]]), np.array([[y]]), np.array([[z]])
    if path == "numpy":
        _, cost = propagate(w, 0.0, X, Y)
    else:
        _, cost = value_propagate(w, 0.0, X, Y, fused=path == "fused")
    assert cost == pytest.approx(math.log1p(math.exp(-abs(z))), rel=1e-15, abs=0)
    assert cost > 0


LOGITS = [0.0, 1.0, -1.0, 1e-9, -1e-9, 0.3, 2.5, -7.0, 36.0, -36.0, 37.5, 40.0, -40.0]
LOGITS += [700.0, -700.0, 745.0, 1e4, -1e4]


def loss_derivatives_by_graph(z, y, fused):
    """The one-example cost and its first two derivatives by the logit, by the Value engine."""
    from micrograd_lr.autodiff import grad

    w, b = Value(z, "w"), Value(0.0, "b")
    J = cost_graph([w], b, [[1.0]], [[y]], fused=fused)
    (dJ,) = grad(J, [w], create_graph=True)
    (d2J,) = grad(dJ, [w])
    return J.data, dJ.data, d2J


@settings(max_examples=200, deadline=None)
@given(
    z=st.one_of(
        st.floats(-750, 750, allow_nan=False),
        st.floats(-1e6, 1e6, allow_nan=False),
        st.floats(-1e-6, 1e-6, allow_nan=False),
    ),
    y=st.sampled_from([0.0, 1.0]),
)
def test_composed_loss_equals_the_closed_form_at_any_logit(z, y):
    """Property: the composed graph's loss and slope equal the closed form's (log1p, the
    sign-split sigmoid) to ~1e-15 relative, for any logit."""
    loss, slope, _ = loss_derivatives_by_graph(z, y, fused=False)
    s = -z if y == 1 else z
    expected = s + math.log1p(math.exp(-s)) if s > 0 else math.log1p(math.exp(s))
    assert loss == pytest.approx(expected, rel=4e-16, abs=0)
    e = math.exp(-abs(z))
    expected_slope = (-(e if z >= 0 else 1.0) if y == 1 else (1.0 if z >= 0 else e)) / (1 + e)
    assert slope == pytest.approx(expected_slope, rel=2e-15, abs=0)


@pytest.mark.parametrize("fused", [False, True], ids=["composed", "fused"])
@pytest.mark.parametrize("y", [0.0, 1.0])
@pytest.mark.parametrize("z", LOGITS)
def test_graph_loss_and_its_derivatives_equal_the_closed_form_everywhere(z, y, fused):
    """The composed graph computes what the closed form does, to ~1e-15 relative, at every
    logit: loss, slope sigmoid(z) - y and curvature sigmoid(z) sigmoid(-z)."""
    loss, slope, curvature = loss_derivatives_by_graph(z, y, fused)
    s = -z if y == 1 else z  # the loss is softplus(s), computed independently here
    expected = s + math.log1p(math.exp(-s)) if s > 0 else math.log1p(math.exp(s))
    assert loss == pytest.approx(expected, rel=2e-16, abs=0)
    e = math.exp(-abs(z))
    sigmoid = 1 / (1 + e) if z >= 0 else e / (1 + e)
    minus = e / (1 + e) if z >= 0 else 1 / (1 + e)  # sigmoid(-z), with no cancellation
    expected_slope = -minus if y == 1 else sigmoid
    assert slope == pytest.approx(expected_slope, rel=1e-15, abs=0)
    assert curvature == pytest.approx(sigmoid * minus, rel=1e-14, abs=0)


def test_predict_at_probability_one_half_is_zero():
    """sigmoid(0) = 0.5 is not > 0.5: zero weights predict label 0 everywhere."""
    X = np.array([[1.0, -2.0, 0.0]])
    assert predict(np.zeros((1, 1)), 0.0, X).tolist() == [[0.0, 0.0, 0.0]]
    assert predict(np.array([[1.0]]), 0.0, X).tolist() == [[1.0, 0.0, 0.0]]


def test_value_propagate_returns_propagate_shapes_and_dtypes():
    w, b, X, Y = random_problem(4, dtype=np.float32)
    g32, _ = propagate(w, b, X, Y)
    v32, _ = value_propagate(w.ravel(), b, X, Y.ravel())
    assert g32["dw"].dtype == np.float32 and g32["dw"].shape == (4, 1)
    assert v32["dw"].dtype == np.float32 and v32["dw"].shape == (4,)
    assert type(g32["db"]) is float and type(v32["db"]) is float


# --- shapes and dtypes ------------------------------------------------------------------------
def test_vector_shapes_are_accepted():
    w, b, X, Y = random_problem(5)
    grads, cost = propagate(w, b, X, Y)
    grads1, cost1 = propagate(w.ravel(), b, X, Y.ravel())
    assert grads1["dw"].shape == (4,)
    np.testing.assert_array_equal(grads1["dw"], grads["dw"].ravel())
    assert cost1 == cost


def test_float32_is_computed_in_float32_close_to_float64():
    w, b, X, Y = random_problem(6)
    g64, c64 = propagate(w, b, X, Y)
    g32, c32 = propagate(w, b, X.astype(np.float32), Y.astype(np.float32))
    assert g32["dw"].dtype == np.float32
    np.testing.assert_allclose(g32["dw"], g64["dw"], rtol=1e-5, atol=1e-6)
    assert c32 == pytest.approx(c64, rel=1e-5)


def test_integer_inputs_are_converted_to_float64():
    grads, _ = propagate([[0], [0]], 0, [[1, 2], [3, 4]], [[1, 0]])
    assert grads["dw"].dtype == np.float64
    np.testing.assert_allclose(grads["dw"], [[0.25], [0.25]], rtol=1e-15)


@pytest.mark.parametrize(
    ("w", "X", "Y", "message"),
    [
        (np.zeros((2, 1)), np.zeros(3), np.zeros((1, 3)), r"2-D array of shape \(n_x, m\)"),
        (np.zeros((2, 1)), np.zeros((2, 3)), np.zeros((1, 4)), r"Y must have shape \(1, m\)"),
        (np.zeros((2, 1)), np.zeros((2, 3)), np.zeros((3, 1)), r"\(1, 3\).*got shape \(3, 1\)"),
        (np.zeros((3, 1)), np.zeros((2, 3)), np.zeros((1, 3)), r"w must have shape \(n_x, 1\)"),
        (np.zeros((1, 2)), np.zeros((2, 3)), np.zeros((1, 3)), r"got shape \(1, 2\)"),
        (np.zeros((2, 1)), np.zeros((5, 2)), np.zeros((1, 5)), r"pass X\.T"),
        (np.zeros((2, 1)), np.zeros((2, 0)), np.zeros((1, 0)), "empty"),
    ],
)
def test_bad_shapes_say_what_is_expected(w, X, Y, message):
    with pytest.raises(ValueError, match=message):
        propagate(w, 0.0, X, Y)
    with pytest.raises(ValueError, match=message):
        value_propagate(w, 0.0, X, Y)


def test_bad_types_are_refused():
    with pytest.raises(TypeError, match="b must be a number"):
        propagate(np.zeros((1, 1)), "0", np.zeros((1, 2)), np.zeros((1, 2)))
    with pytest.raises(TypeError, match="X must hold numbers"):
        propagate(np.zeros((1, 1)), 0.0, np.array([["a", "b"]]), np.zeros((1, 2)))


# --- training ---------------------------------------------------------------------------------
def test_lipschitz_learning_rate_is_4m_over_largest_eigenvalue():
    _, _, X, _ = random_problem(8, n_x=3, m=20)
    X1 = np.vstack([X, np.ones((1, 20))])
    expected = 4 * 20 / np.linalg.eigvalsh(X1 @ X1.T)[-1]
    assert lipschitz_learning_rate(X) == pytest.approx(expected, rel=1e-12, abs=0)
    # More features than examples: the other Gram matrix, the same eigenvalue.
    _, _, Xw, _ = random_problem(8, n_x=30, m=5)
    X1w = np.vstack([Xw, np.ones((1, 5))])
    expected = 4 * 5 / np.linalg.eigvalsh(X1w @ X1w.T)[-1]
    assert lipschitz_learning_rate(Xw) == pytest.approx(expected, rel=1e-12, abs=0)


def test_lipschitz_learning_rate_with_a_penalty_adds_lambda_over_m():
    """J + lambda/(2m) ||w||^2 has curvature lambda/m more: the same L as BinaryObjective."""
    from micrograd_lr.logistic import BinaryObjective

    _, _, X, Y = random_problem(8, n_x=3, m=20)
    X1 = np.vstack([X, np.ones((1, 20))])
    L = np.linalg.eigvalsh(X1 @ X1.T)[-1] / (4 * 20) + (1 / 0.5) / 20
    assert lipschitz_learning_rate(X, C=0.5) == pytest.approx(1 / L, rel=1e-12)
    objective = BinaryObjective(X.T, Y.ravel(), C=0.5)
    assert 1 / objective.lipschitz() == pytest.approx(1 / L, rel=1e-12)
    with pytest.raises(ValueError, match="C must be a positive number"):
        lipschitz_learning_rate(X, C=0.0)


@pytest.mark.parametrize("scale", [1e-300, 1e-150, 1e100, 1e150])
def test_lipschitz_learning_rate_is_scale_safe(scale):
    """X scaled by s: L grows by s**2 (the ones row for b aside), computed without forming
    squares that overflow or underflow first."""
    _, _, X, _ = random_problem(8, n_x=3, m=20)
    rate = lipschitz_learning_rate(X * scale)
    if scale < 1:  # small features: the ones row dominates, as it should
        X1 = np.vstack([X * scale, np.ones((1, 20))])
        assert rate == pytest.approx(4 * 20 / np.linalg.eigvalsh(X1 @ X1.T)[-1], rel=1e-12)
    else:  # large ones: the ones row is negligible, L = s**2 lambda_max(X X^T) / (4m)
        expected = 4 * 20 / np.linalg.eigvalsh(X @ X.T)[-1]
        assert rate * scale * scale == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("scale", [1e200, 1e308])
def test_lipschitz_learning_rate_on_features_too_large_says_to_standardize(scale):
    _, _, X, _ = random_problem(8, n_x=3, m=20)
    X = np.clip(X, -1.7, 1.7)
    with pytest.raises(ValueError, match=r"features too large: the largest \|x\| is .*standardize"):
        lipschitz_learning_rate(X * scale)


def test_lipschitz_learning_rate_in_float32_is_formed_in_float64():
    """float32 X * 1e19: the float32 Gram matrix (entries near 1e40) would overflow."""
    _, _, X, _ = random_problem(9, n_x=4, m=50)
    big = (X * 1e19).astype(np.float32)
    expected = lipschitz_learning_rate(big.astype(np.float64))
    assert np.isfinite(expected)
    assert lipschitz_learning_rate(big) == pytest.approx(expected, rel=1e-12)


def test_lipschitz_learning_rate_in_blocks_equals_one_gram(monkeypatch):
    from micrograd_lr.logistic import course

    _, _, X, _ = random_problem(10, n_x=5, m=300)
    whole = lipschitz_learning_rate(X)
    monkeypatch.setattr(course, "_BLOCK", 7)
    assert lipschitz_learning_rate(X) == pytest.approx(whole, rel=1e-13)


def test_train_decreases_the_cost_monotonically_with_the_auto_rate():
    _, _, X, Y = random_problem(9, m=80)
    result = train(X, Y, num_iterations=300, progress=False)
    costs = np.array(result.costs)
    assert len(costs) == 301 and result.iterations == 300 and not result.converged
    assert np.all(np.diff(costs) <= 1e-15)
    _, final = propagate(result.w, result.b, X, Y)
    assert result.cost == final


@pytest.mark.parametrize("fused", GRAPHS)
def test_engines_train_the_same_model(fused):
    _, _, X, Y = random_problem(10, n_x=3, m=25)
    numpy_run = train(X, Y, engine="numpy", num_iterations=40, progress=False)
    value_run = train(X, Y, engine="value", fused=fused, num_iterations=40, progress=False)
    np.testing.assert_allclose(value_run.costs, numpy_run.costs, rtol=1e-12)
    np.testing.assert_allclose(value_run.w, numpy_run.w, rtol=1e-11)
    assert value_run.b == pytest.approx(numpy_run.b, rel=1e-11, abs=0)


def test_value_engine_is_bitwise_deterministic():
    _, _, X, Y = random_problem(11, n_x=3, m=25)
    first = train(X, Y, engine="value", fused=False, num_iterations=5, progress=False)
    second = train(X, Y, engine="value", fused=False, num_iterations=5, progress=False)
    assert first.costs == second.costs
    assert first.w.tobytes() == second.w.tobytes()


def test_train_stops_on_tolerance():
    _, _, X, Y = random_problem(12, n_x=2, m=40)
    result = train(X, Y, num_iterations=100_000, tol=1e-8, progress=False)
    assert result.converged and result.iterations < 100_000
    grads, _ = propagate(result.w, result.b, X, Y)
    assert np.abs(grads["dw"]).max() <= 1e-8 and abs(grads["db"]) <= 1e-8
    assert len(result.costs) == result.iterations + 1


def test_train_with_zero_iterations_reports_the_starting_cost():
    _, _, X, Y = random_problem(13)
    result = train(X, Y, num_iterations=0, progress=False)
    assert result.iterations == 0 and result.costs == [pytest.approx(math.log(2))]


def test_train_validates_its_options():
    _, _, X, Y = random_problem(14)
    with pytest.raises(ValueError, match="engine must be one of"):
        train(X, Y, engine="torch")
    with pytest.raises(ValueError, match="iterations must be an int >= 0, got -1"):
        train(X, Y, num_iterations=-1)
    with pytest.raises(ValueError, match="learning rate must be a positive finite number"):
        train(X, Y, learning_rate=0.0)
    with pytest.raises(ValueError, match="tol must be a number >= 0"):
        train(X, Y, tol=-1.0)


def test_progress_bar_shows_the_cost(capsys):
    pytest.importorskip("tqdm")
    _, _, X, Y = random_problem(15)
    train(X, Y, num_iterations=20, progress=True)
    err = capsys.readouterr().err
    assert "cost=" in err and "20/20" in err


def test_progress_is_off_when_stderr_is_not_a_terminal(capsys):
    _, _, X, Y = random_problem(15)
    train(X, Y, num_iterations=20)
    assert capsys.readouterr().err == ""


def test_progress_true_without_tqdm_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    _, _, X, Y = random_problem(15)
    with pytest.raises(ModuleNotFoundError, match=r"micrograd_lr\[progress\]"):
        train(X, Y, num_iterations=2, progress=True)
    assert train(X, Y, num_iterations=2).iterations == 2  # auto: silently no bar


# --- agreement with scikit-learn --------------------------------------------------------------
def test_breast_cancer_cost_and_accuracy_match_sklearn_optimum():
    """Standardized breast-cancer (the 10 "error" features, where a finite optimum exists:
    see references.breast_cancer_error_features)."""
    X, y = breast_cancer_error_features()
    reference = unregularized_sklearn(X, y)
    w_ref = reference.coef_.T
    b_ref = float(reference.intercept_[0])
    _, optimum = propagate(w_ref, b_ref, X.T, y)

    result = train(X.T, y, num_iterations=200_000, tol=1e-7, progress=False)
    assert result.converged
    assert abs(result.cost - optimum) < 1e-6
    ours = np.mean(predict(result.w, result.b, X.T).ravel() == y)
    assert ours == reference.score(X, y)


# --- bad data is named, not computed with ------------------------------------------------------
@pytest.mark.parametrize("label", [2, -1, 0.5, np.nan])
def test_labels_other_than_0_and_1_are_refused_by_every_path(label):
    """A label of 2 made the cost negative (train reported -22); now every entry point says
    which example is wrong."""
    w, b, X, Y = random_problem(30, n_x=2, m=6)
    Y[0, 3] = label
    message = r"labels 0 and 1 only, got .* for example 3"
    for call in (
        lambda: propagate(w, b, X, Y),
        lambda: value_propagate(w, b, X, Y),
        lambda: optimize(w, b, X, Y, num_iterations=1),
        lambda: model(X, Y, X, Y, num_iterations=1),
        lambda: train(X, Y, num_iterations=1, progress=False),
        lambda: cost_graph([Value(0.0), Value(0.0)], Value(0.0), X, Y),
    ):
        with pytest.raises(ValueError, match=message):
            call()
    with pytest.raises(TypeError, match="Y must hold the labels 0 and 1, got dtype <U1"):
        propagate(w, b, X, np.array([list("010101")]))


@pytest.mark.filterwarnings("error")  # the error comes alone, not after NumPy's
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_X_is_named_by_position(bad):
    """NaN in X crashed train with numpy's 'Eigenvalues did not converge' and made propagate
    return NaN silently."""
    w, b, X, Y = random_problem(31, n_x=3, m=7)
    X[2, 5] = bad
    message = rf"X\[2, 5\] \(feature 2 of example 5\) is {bad!r}: every entry must be finite"
    for call in (
        lambda: propagate(w, b, X, Y),
        lambda: value_propagate(w, b, X, Y),
        lambda: optimize(w, b, X, Y, num_iterations=1),
        lambda: predict(w, b, X),
        lambda: train(X, Y, num_iterations=1, progress=False),
        lambda: lipschitz_learning_rate(X),
    ):
        with pytest.raises(ValueError, match=message):
            call()


@pytest.mark.filterwarnings("error")  # the error comes alone, not after NumPy's
def test_non_finite_parameters_are_refused():
    w, _, X, Y = random_problem(32, n_x=2, m=5)
    with pytest.raises(ValueError, match="b must be a finite number, got nan"):
        propagate(w, math.nan, X, Y)
    with pytest.raises(ValueError, match="w must be finite"):
        propagate(np.array([[1.0], [np.inf]]), 0.0, X, Y)
    with pytest.raises(ValueError, match="w must be finite"):
        train(X, Y, w=np.array([np.nan, 0.0]), progress=False)


def test_cost_graph_needs_values_as_parameters():
    with pytest.raises(TypeError, match=r"w\[0\] must be a Value .*got float: 0\.0"):
        cost_graph([0.0], Value(0.0), [[1.0, 2.0]], [[1, 0]], fused=True)
    with pytest.raises(TypeError, match=r"b must be a Value .*got float"):
        cost_graph([Value(0.0)], 0.0, [[1.0, 2.0]], [[1, 0]])


# --- behaviours the earlier tests let a mutation through --------------------------------------
def test_model_accuracies_are_each_on_their_own_set():
    _, _, X, Y = random_problem(34, n_x=2, m=40)
    Y = (X[:1] > 0).astype(float)  # separable: training accuracy 1
    d = model(X, Y, X, 1 - Y, num_iterations=200)
    assert d["train_accuracy"] == 1.0 and d["test_accuracy"] == 0.0
    assert np.array_equal(d["Y_prediction_test"], d["Y_prediction_train"])
    with pytest.raises(ValueError, match="X_test has 3 features but X_train has 2"):
        model(X, Y, np.zeros((3, 5)), np.zeros((1, 5)))


def test_tolerance_counts_the_bias_gradient_too():
    # At w = 0, b = 0: dw = (-1 * -1/2 + 1 * -1/2) / 2 = 0 but db = -1/2.
    X, Y = np.array([[-1.0, 1.0]]), np.array([[1.0, 1.0]])
    result = train(X, Y, num_iterations=5, tol=1e-3, progress=False)
    assert not result.converged and result.iterations == 5


def test_value_engine_pauses_the_cycle_collector_and_restores_it(monkeypatch):
    import micrograd_lr.logistic.training as logistic

    states = []
    real = logistic._value_gradient

    def spy(*args, **kwargs):
        gradient = real(*args, **kwargs)

        def recording(w, b):
            states.append(logistic.gc.isenabled())
            return gradient(w, b)

        return recording

    monkeypatch.setattr(logistic, "_value_gradient", spy)
    _, _, X, Y = random_problem(35, n_x=2, m=5)
    assert logistic.gc.isenabled()
    train(X, Y, engine="value", num_iterations=3, progress=False, compiled=False)
    assert states == [False] * 4
    assert logistic.gc.isenabled()


def test_overflowing_logits_get_one_warning_that_says_why():
    X, Y = np.array([[1e200, -1e200]]), np.array([[1.0, 0.0]])
    with pytest.warns(RuntimeWarning, match="logits w\\^T X \\+ b overflow") as record:
        _, cost = propagate(np.array([[1e200]]), 0.0, X, Y)
    assert len(record) == 1 and not math.isfinite(cost)
