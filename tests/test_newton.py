"""Newton's method: the Hessian from the Value engine against the closed form, and the
optimum against scikit-learn's."""

import itertools

import numpy as np
import pytest
from references import breast_cancer_error_features, unregularized_sklearn

from micrograd_lr.logistic import predict, propagate, train
from micrograd_lr.newton import closed_form_hessian, newton, value_derivatives


def random_problem(seed, n=4, m=30):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, m))
    Y = (rng.random((1, m)) < 0.5).astype(float)
    w = rng.normal(scale=0.7, size=(n, 1))
    return w, float(rng.normal()), X, Y


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "composed"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_value_engine_hessian_and_gradient_equal_the_closed_form(seed, fused):
    w, b, X, Y = random_problem(seed)
    cost, gradient, H = value_derivatives(w, b, X, Y, fused=fused)
    grads, closed_cost = propagate(w, b, X, Y)
    assert cost == pytest.approx(closed_cost, rel=1e-13, abs=0)
    assert np.allclose(gradient, np.append(grads["dw"].ravel(), grads["db"]), rtol=1e-12, atol=0)
    assert np.allclose(H, closed_form_hessian(w, b, X), rtol=1e-10, atol=0)


def test_closed_form_hessian_against_finite_differences_of_the_gradient():
    w, b, X, Y = random_problem(3)
    theta = np.append(w.ravel(), b)
    n = w.shape[0]

    def gradient(t):
        grads, _ = propagate(t[:n].reshape(n, 1), t[n], X, Y)
        return np.append(grads["dw"].ravel(), grads["db"])

    h = 1e-5
    columns = [(gradient(theta + h * e) - gradient(theta - h * e)) / (2 * h) for e in np.eye(n + 1)]
    assert np.allclose(closed_form_hessian(w, b, X), np.array(columns).T, rtol=1e-8, atol=1e-12)


def test_closed_form_hessian_is_finite_for_huge_logits():
    H = closed_form_hessian([1e4], 0.0, [[1.0, -1.0, 0.5]])
    assert np.all(np.isfinite(H)) and np.all(H >= 0)


def test_both_engines_take_the_same_steps():
    _, _, X, Y = random_problem(4, n=3, m=40)
    numpy_run = newton(X, Y, engine="numpy")
    value_run = newton(X, Y, engine="value")
    assert numpy_run.converged and value_run.converged
    assert numpy_run.iterations == value_run.iterations
    assert np.allclose(numpy_run.costs, value_run.costs, rtol=1e-12, atol=0)
    assert np.allclose(numpy_run.w, value_run.w, rtol=1e-9, atol=1e-12)


def test_newton_reaches_sklearns_optimum_in_a_handful_of_steps():
    X, y = breast_cancer_error_features()
    reference = unregularized_sklearn(X, y)
    _, optimum = propagate(reference.coef_.T, float(reference.intercept_[0]), X.T, y)

    for engine in ("numpy", "value"):
        result = newton(X.T, y, engine=engine)
        assert result.converged and result.iterations <= 12, (engine, result.iterations)
        assert abs(result.cost - optimum) < 1e-10
        accuracy = np.mean(predict(result.w, result.b, X.T).ravel() == y)
        assert accuracy == reference.score(X, y)
    # Gradient descent needs thousands of steps for the same data.
    descent = train(X.T, y, num_iterations=200_000, tol=1e-7, progress=False)
    assert descent.iterations > 100 * result.iterations


def test_costs_decrease_monotonically_to_the_optimum():
    _, _, X, Y = random_problem(5, n=3, m=60)
    costs = newton(X, Y).costs
    assert all(later <= earlier + 1e-15 for earlier, later in itertools.pairwise(costs))


def test_duplicated_feature_makes_the_hessian_singular():
    _, _, X, Y = random_problem(6, n=2, m=20)
    X = np.vstack([X, X[:1]])
    with pytest.raises(ValueError, match="Hessian is singular"):
        newton(X, Y)


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"engine": "torch"}, ValueError, "engine must be one of numpy, value"),
        ({"max_iterations": -1}, ValueError, "max_iterations must be >= 0"),
        ({"max_iterations": 2.5}, TypeError, "max_iterations must be an int"),
        ({"tol": -1.0}, ValueError, "tol must be >= 0"),
    ],
)
def test_bad_arguments(options, error, match):
    _, _, X, Y = random_problem(7)
    with pytest.raises(error, match=match):
        newton(X, Y, **options)


def test_closed_form_hessian_shape_errors():
    with pytest.raises(ValueError, match=r"X must have shape \(n_x, m\)"):
        closed_form_hessian([0.0], 0.0, [1.0, 2.0])
    with pytest.raises(ValueError, match="w must have 2 entries"):
        closed_form_hessian([0.0], 0.0, [[1.0], [2.0]])


def test_separable_classes_drive_the_cost_to_zero_with_growing_weights():
    """The docstring used to promise a singular-Hessian error here; what happens is that the
    cost falls towards 0 while the weights grow, and the gradient eventually meets tol."""
    X = np.array([[-2.0, -1.0, 1.0, 2.0]])
    result = newton(X, np.array([0, 0, 1, 1]))
    assert result.converged and result.cost < 1e-9
    assert abs(result.w[0, 0]) > 10
    assert all(later < earlier for earlier, later in itertools.pairwise(result.costs))


def test_bad_data_is_refused():
    _, _, X, Y = random_problem(8)
    X[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"X\[1, 2\] .* is nan"):
        newton(X, Y)
    X[1, 2] = 0.0
    Y[0, 0] = 2.0
    with pytest.raises(ValueError, match="labels 0 and 1 only"):
        newton(X, Y)


def test_huge_features_give_the_reason_instead_of_fifty_silent_steps():
    """Features near 1e200: the Hessian (their squares) overflows float64. Newton used to run
    its 50 steps, leave w at 0 and say nothing."""
    _, _, X, Y = random_problem(9)
    with pytest.raises(ValueError, match=r"features too large: the largest \|x\| is .*e\+200"):
        newton(X * 1e200, Y)


def test_features_near_1e100_are_solved_in_the_same_steps():
    """Newton's steps do not depend on the features' units: X * 1e100 has the optimum at
    w / 1e100, reached in the same number of steps."""
    _, _, X, Y = random_problem(10)
    plain, scaled = newton(X, Y), newton(X * 1e100, Y, tol=1e-10 * 1e100)
    assert scaled.converged and scaled.iterations <= plain.iterations + 1
    assert np.allclose(scaled.w * 1e100, plain.w, rtol=1e-6)


def test_stopping_at_max_iterations_warns_with_the_reason():
    from micrograd_lr.errors import ConvergenceWarning

    _, _, X, Y = random_problem(11)
    with pytest.warns(ConvergenceWarning, match="newton stopped at max_iter=1 with the"):
        result = newton(X, Y, max_iterations=1)
    assert not result.converged and result.iterations == 1 and len(result.costs) == 2
