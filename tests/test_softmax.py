"""Softmax regression: the closed form, the Value graph and MultinomialObjective, each checked
against an independent oracle (plain-Python sums, finite differences, numpy_basics.softmax,
scikit-learn's multinomial optimum)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_lr import Value, numpy_basics
from micrograd_lr.logistic import MultinomialObjective, softmax_cost_graph, softmax_propagate
from micrograd_lr.logistic.solvers import minimize


def problem(seed, m=12, n=3, K=4):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, n))
    y = rng.integers(0, K, m)
    y[:K] = np.arange(K)  # every class present
    return X, y, rng


def scalar_primal(X, y, theta, *, K, C, l1_ratio, s, fit_intercept):
    """scikit-learn's multinomial primal with Python floats and loops, no NumPy algebra."""
    m, n = X.shape
    rows = n + int(fit_intercept)
    T = [[float(theta[j * K + k]) for k in range(K)] for j in range(rows)]
    data = 0.0
    for i in range(m):
        z = [
            sum(float(X[i, j]) * T[j][k] for j in range(n)) + (T[n][k] if fit_intercept else 0.0)
            for k in range(K)
        ]
        top = max(z)
        lse = top + math.log(math.fsum(math.exp(v - top) for v in z))
        data += float(s[i]) * (lse - z[int(y[i])])
    if math.isinf(C):
        return data
    l2 = math.fsum(T[j][k] ** 2 for j in range(n) for k in range(K))
    l1 = math.fsum(abs(T[j][k]) for j in range(n) for k in range(K))
    return C * data + (1 - l1_ratio) / 2 * l2 + l1_ratio * l1


def central_differences(f, theta, eps=1e-6):
    return np.array(
        [(f(theta + eps * e) - f(theta - eps * e)) / (2 * eps) for e in np.eye(theta.size)]
    )


OPTIONS = [
    {"C": 1.0, "l1_ratio": 0.0, "fit_intercept": True},
    {"C": 0.3, "l1_ratio": 0.4, "fit_intercept": True},
    {"C": math.inf, "l1_ratio": 0.0, "fit_intercept": True},
    {"C": 2.0, "l1_ratio": 0.0, "fit_intercept": False},
    {"C": math.inf, "l1_ratio": 0.0, "fit_intercept": False},
]


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_primal_matches_a_plain_python_sum(options, weighted):
    X, y, rng = problem(0)
    s = rng.uniform(0.1, 3.0, X.shape[0]) if weighted else np.ones(X.shape[0])
    f = MultinomialObjective(X, y, sample_weight=s if weighted else None, **options)
    theta = rng.normal(size=f.n_params)
    # The centering term is 0 where the intercepts (and, unpenalized, the weights) sum to 0.
    T = theta.reshape(f.shape)
    T -= T.mean(axis=1, keepdims=True)
    expected = scalar_primal(X, y, theta, K=4, s=s, **options)
    assert f.primal(theta) == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize("options", OPTIONS)
def test_gradient_and_hessian_match_central_differences(options):
    X, y, rng = problem(1)
    f = MultinomialObjective(X, y, sample_weight=rng.uniform(0.5, 2, X.shape[0]), **options)
    theta = rng.normal(size=f.n_params)
    _, gradient = f.smooth_value_and_gradient(theta)
    fd = central_differences(lambda t: f.smooth_value_and_gradient(t)[0], theta)
    np.testing.assert_allclose(gradient, fd, rtol=1e-7, atol=1e-9)
    H = f.smooth_hessian(theta)
    fdH = central_differences(lambda t: f.smooth_value_and_gradient(t)[1], theta)
    np.testing.assert_allclose(H, fdH, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(H, H.T, rtol=0, atol=1e-15)
    assert np.linalg.eigvalsh(H).min() > 0  # the centering term makes it definite


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("fused", [True, False])
def test_value_engine_agrees_with_the_closed_form_to_1e12(options, fused):
    X, y, rng = problem(2)
    s = rng.uniform(0.0, 2, X.shape[0])
    s[3] = 0.0  # a zero weight: the example is left out of the graph
    f = MultinomialObjective(X, y, sample_weight=s, **options)
    g = MultinomialObjective(X, y, sample_weight=s, engine="value", fused=fused, **options)
    theta = rng.normal(size=f.n_params) * 3
    value, gradient = f.smooth_value_and_gradient(theta)
    value_v, gradient_v = g.smooth_value_and_gradient(theta)
    assert value_v == pytest.approx(value, rel=1e-12)
    np.testing.assert_allclose(gradient_v, gradient, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(g.smooth_hessian(theta), f.smooth_hessian(theta), atol=1e-14)
    assert g.value(theta) == pytest.approx(f.value(theta), rel=1e-12)


@pytest.mark.parametrize("engine", ["numpy", "value"])
@pytest.mark.parametrize("z", [1e4, 1e300])
def test_extreme_logits_are_finite_and_exact(engine, z):
    X = np.array([[1.0], [1.0], [1.0]])
    f = MultinomialObjective(X, np.array([0, 1, 2]), C=math.inf, fit_intercept=False, engine=engine)
    theta = np.array([z, -z, 0.0])  # logits (z, -z, 0) for every example
    value, gradient = f.smooth_value_and_gradient(theta)
    # CE: ~0 for class 0, 2z for class 1, z for class 2; mean over the three examples.
    assert value == pytest.approx((0.0 + 2 * z + z) / 3, rel=1e-15)
    # p = (1, 0, 0) to the last bit: gradient = mean(p - y) = (1 - 1/3, -1/3, -1/3)
    np.testing.assert_allclose(gradient, [2 / 3, -1 / 3, -1 / 3], rtol=1e-15)
    assert np.isfinite(f.smooth_hessian(theta)).all()


def test_softmax_propagate_matches_numpy_basics_and_finite_differences():
    rng = np.random.default_rng(3)
    n_x, m, K = 3, 7, 4
    X, W, b = rng.normal(size=(n_x, m)), rng.normal(size=(n_x, K)), rng.normal(size=(K, 1))
    Y = np.eye(K)[:, rng.integers(0, K, m)]
    grads, cost = softmax_propagate(W, b, X, Y)
    A = numpy_basics.softmax((W.T @ X + b).T).T  # the row-wise softmax, independently
    assert cost == pytest.approx(-np.sum(Y * np.log(A)) / m, rel=1e-14)
    np.testing.assert_allclose(grads["dW"], X @ (A - Y).T / m, rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(grads["db"], (A - Y).mean(axis=1, keepdims=True), atol=1e-16)

    def J(params):
        return softmax_propagate(params[:-K].reshape(n_x, K), params[-K:], X, Y)[1]

    params = np.concatenate([W.ravel(), b.ravel()])
    fd = central_differences(J, params)
    np.testing.assert_allclose(
        np.concatenate([grads["dW"].ravel(), grads["db"].ravel()]), fd, rtol=1e-7, atol=1e-10
    )


@pytest.mark.parametrize("fused", [True, False])
def test_softmax_cost_graph_matches_softmax_propagate(fused):
    rng = np.random.default_rng(4)
    n_x, m, K = 2, 5, 3
    X, W, b = rng.normal(size=(n_x, m)), rng.normal(size=(n_x, K)), rng.normal(size=(K, 1))
    Y = np.eye(K)[:, rng.integers(0, K, m)]
    Wv = [[Value(float(W[j, k])) for k in range(K)] for j in range(n_x)]
    bv = [Value(float(b[k, 0])) for k in range(K)]
    J = softmax_cost_graph(Wv, bv, X, Y, fused=fused)
    J.backward()
    grads, cost = softmax_propagate(W, b, X, Y)
    assert J.data == pytest.approx(cost, rel=1e-13)
    np.testing.assert_allclose([[v.grad for v in row] for row in Wv], grads["dW"], rtol=1e-12)
    np.testing.assert_allclose([[v.grad] for v in bv], grads["db"], rtol=1e-12, atol=1e-16)


def test_soft_labels_are_accepted_and_bad_labels_named():
    X = np.array([[1.0, 2.0]])
    Y = np.array([[0.5, 1.0], [0.5, 0.0]])
    _, cost = softmax_propagate(np.zeros((1, 2)), np.zeros(2), X, Y)
    assert cost == pytest.approx(math.log(2))
    with pytest.raises(ValueError, match="column 1"):
        softmax_propagate(np.zeros((1, 2)), np.zeros(2), X, np.array([[1.0, 0.7], [0.0, 0.0]]))
    with pytest.raises(ValueError, match=r"Y must be one-hot of shape \(K, m\) = \(2, 2\)"):
        softmax_propagate(np.zeros((1, 2)), np.zeros(2), X, np.ones((2, 3)))
    with pytest.raises(ValueError, match="at least 2 classes"):
        softmax_propagate(np.zeros((1, 1)), np.zeros(1), X, np.ones((1, 2)))
    with pytest.raises(TypeError, match="must be a Value"):
        softmax_cost_graph([[1.0, Value(0.0)]], [Value(0.0), Value(0.0)], X, Y)


@settings(max_examples=40, deadline=None)
@given(
    shift=st.floats(-50, 50),
    seed=st.integers(0, 10_000),
)
def test_probabilities_ignore_a_common_intercept_shift_and_gradients_sum_to_zero(shift, seed):
    X, y, rng = problem(seed, m=6, n=2, K=3)
    f = MultinomialObjective(X, y, C=math.inf)
    theta = rng.normal(size=f.n_params)
    shifted = theta.reshape(f.shape).copy()
    shifted[-1] += shift
    np.testing.assert_allclose(
        f.probabilities(shifted.ravel()), f.probabilities(theta), rtol=1e-12, atol=1e-300
    )
    np.testing.assert_allclose(f.probabilities(theta).sum(axis=1), 1.0, rtol=1e-15)
    # At a centered point every row of the gradient sums to 0 over the classes.
    T = theta.reshape(f.shape)
    T -= T.mean(axis=1, keepdims=True)
    G = f.smooth_value_and_gradient(theta)[1].reshape(f.shape)
    np.testing.assert_allclose(G.sum(axis=1), 0.0, atol=1e-14)


def test_prox_soft_thresholds_the_weights_only():
    X, y, _ = problem(5)
    f = MultinomialObjective(X, y, C=0.5, l1_ratio=1.0)
    theta = np.linspace(-1, 1, f.n_params)
    out = f.prox_l1(theta, 0.3 * f.scale)
    beta = 1.0 / f.scale
    expected = np.sign(theta) * np.maximum(np.abs(theta) - 0.3, 0)
    expected[-4:] = theta[-4:]  # the intercepts
    np.testing.assert_allclose(out, expected)
    assert f.l1_weights is not None and f.l1_weights[0] == beta and f.l1_weights[-1] == 0


def test_lipschitz_bounds_the_hessian():
    X, y, rng = problem(6)
    for options in OPTIONS:
        f = MultinomialObjective(X, y, **options)
        theta = rng.normal(size=f.n_params)
        assert np.linalg.eigvalsh(f.smooth_hessian(theta))[-1] <= f.lipschitz() * (1 + 1e-12)


@pytest.mark.parametrize("solver", ["newton", "lbfgs", "fista"])
def test_solvers_reach_one_centered_optimum(solver):
    X, y, _ = problem(7, m=40)
    f = MultinomialObjective(X, y, C=1.0)
    result = minimize(f, solver=solver, tol=1e-10, max_iter=5000)
    assert result.converged
    coef, intercept = f.coefficients(result.theta)
    assert abs(intercept.sum()) < 1e-9 and np.abs(coef.sum(axis=0)).max() < 1e-9
    newton = minimize(f, solver="newton", tol=1e-12)
    np.testing.assert_allclose(result.theta, newton.theta, atol=1e-8)


def test_bad_arguments_are_named():
    X, y, _ = problem(8)
    with pytest.raises(ValueError, match="C must be a positive number"):
        MultinomialObjective(X, y, C=0)
    with pytest.raises(ValueError, match="l1_ratio"):
        MultinomialObjective(X, y, l1_ratio=2)
    with pytest.raises(ValueError, match="engine"):
        MultinomialObjective(X, y, engine="torch")
    with pytest.raises(ValueError, match="class indices"):
        MultinomialObjective(X, y.astype(float))
    with pytest.raises(ValueError, match="theta must have shape"):
        MultinomialObjective(X, y).value(np.zeros(3))


@pytest.mark.slow
def test_digits_ten_classes_match_sklearns_multinomial_optimum():
    """C=1.0 on the ten digits: the primal within 1e-6 of scikit-learn's optimum (its
    newton-cholesky solver run to tol=1e-12; lbfgs needs thousands of iterations there)."""
    pytest.importorskip("sklearn")
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression

    X, y = load_digits(return_X_y=True)
    reference = LogisticRegression(solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(X, y)
    f = MultinomialObjective(X, y)
    theta_sk = np.vstack([reference.coef_.T, reference.intercept_]).ravel()
    result = minimize(f, solver="newton", tol=1e-10, max_iter=100)
    assert result.converged
    assert abs(f.primal(result.theta) - f.primal(theta_sk)) < 1e-6
    assert (f.probabilities(result.theta).argmax(1) == reference.predict(X)).mean() == 1.0
