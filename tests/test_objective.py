"""BinaryObjective: its value against an independent scalar implementation and the course's
cost, its gradient and Hessian against finite differences, the Value engine against the
closed form, the proximal map, sample weights, and bad input."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_lr.logistic import propagate
from micrograd_lr.logistic.objective import BinaryObjective, Objective


def problem(seed, m=25, n=3, weighted=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, n))
    y = (rng.random(m) < 0.5).astype(float)
    weights = rng.uniform(0.2, 3.0, size=m) if weighted else None
    theta = rng.normal(scale=0.8, size=n + 1)
    return X, y, weights, theta


def reference_primal(X, y, theta, *, C, l1_ratio, weights, fit_intercept):
    """scikit-learn's primal, C * sum s_i loss_i + penalty, one example at a time with
    math.log1p (independent of the vectorized code)."""
    n = X.shape[1]
    w = theta[:n]
    b = theta[n] if fit_intercept else 0.0
    total = 0.0
    for i in range(X.shape[0]):
        z = math.fsum(float(w[j]) * float(X[i, j]) for j in range(n)) + b
        s = -z if y[i] == 1 else z  # the loss is softplus(s)
        loss = s + math.log1p(math.exp(-s)) if s > 0 else math.log1p(math.exp(s))
        total += (1.0 if weights is None else weights[i]) * loss
    if math.isinf(C):
        return total
    penalty = (1 - l1_ratio) / 2 * math.fsum(v * v for v in w) + l1_ratio * math.fsum(
        abs(v) for v in w
    )
    return C * total + penalty


OPTIONS = [
    pytest.param({"C": 1.0}, id="C=1"),
    pytest.param({"C": 0.3, "l1_ratio": 0.5}, id="elastic-net"),
    pytest.param({"C": 2.0, "l1_ratio": 1.0}, id="l1"),
    pytest.param({"C": math.inf}, id="C=inf"),
    pytest.param({"C": 0.7, "fit_intercept": False}, id="no-intercept"),
    pytest.param({"C": 0.7, "weighted": True}, id="weighted"),
]


def build(options, seed=0, engine="numpy", fused=True):
    options = dict(options)
    weighted = options.pop("weighted", False)
    X, y, weights, theta = problem(seed, weighted=weighted)
    f = BinaryObjective(X, y, sample_weight=weights, engine=engine, fused=fused, **options)
    return f, X, y, weights, theta[: f.n_params], options


@pytest.mark.parametrize("options", OPTIONS)
def test_value_is_the_primal_divided_by_C_times_the_weight_sum(options):
    f, X, y, weights, theta, opts = build(options)
    expected = reference_primal(
        X,
        y,
        theta,
        C=opts["C"],
        l1_ratio=opts.get("l1_ratio", 0.0),
        weights=weights,
        fit_intercept=opts.get("fit_intercept", True),
    )
    assert f.primal(theta) == pytest.approx(expected, rel=1e-13, abs=0)
    total = X.shape[0] if weights is None else weights.sum()
    scale = total if math.isinf(f.C) else f.C * total
    assert f.value(theta) == pytest.approx(expected / scale, rel=1e-13, abs=0)


def test_value_is_the_courses_regularized_cost():
    """J + lambda/(2m) ||w||^2 with lambda = 1/C, in the course's layout (X of shape (n, m))."""
    X, y, _, theta = problem(1)
    m, n = X.shape
    C = 0.25
    _, J = propagate(theta[:n], theta[n], X.T, y)
    lam = 1 / C
    course = J + lam / (2 * m) * float(theta[:n] @ theta[:n])
    assert BinaryObjective(X, y, C=C).value(theta) == pytest.approx(course, rel=1e-14, abs=0)


def test_C_inf_is_the_mean_loss_and_has_no_penalty_terms():
    X, y, _, theta = problem(2)
    f = BinaryObjective(X, y, C=math.inf, l1_ratio=0.5)
    _, J = propagate(theta[:-1], theta[-1], X.T, y)
    assert f.value(theta) == pytest.approx(J, rel=1e-14, abs=0)
    assert f.l1_weights is None and f.alpha == 0.0


def central_differences(fun, theta, h):
    columns = []
    for j in range(theta.size):
        e = np.zeros_like(theta)
        e[j] = h
        columns.append((fun(theta + e) - fun(theta - e)) / (2 * h))
    return np.array(columns)


@pytest.mark.parametrize("options", OPTIONS)
def test_gradient_and_hessian_against_finite_differences(options):
    f, _, _, _, theta, _ = build(options, seed=3)
    theta = theta + 0.1  # keep every weight away from the L1 kink at 0
    _, gradient = f.smooth_value_and_gradient(theta)
    numerical = central_differences(lambda t: f.smooth_value_and_gradient(t)[0], theta, 1e-5)
    assert np.allclose(gradient, numerical, rtol=1e-8, atol=1e-10)
    H = f.smooth_hessian(theta)
    numerical_H = central_differences(lambda t: f.smooth_value_and_gradient(t)[1], theta, 1e-5).T
    assert np.allclose(H, numerical_H, rtol=1e-7, atol=1e-10)
    assert np.array_equal(H, H.T)
    # The L1 term, away from 0, is beta * sign: the whole value's slope matches too.
    beta = np.zeros(f.n_params) if f.l1_weights is None else f.l1_weights
    numerical_total = central_differences(f.value, theta, 1e-5)
    assert np.allclose(gradient + beta * np.sign(theta), numerical_total, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "composed"])
@pytest.mark.parametrize("options", OPTIONS)
def test_value_engine_equals_the_closed_form(options, fused):
    f, *_ = build(options, seed=4)
    g, *_ = build(options, seed=4, engine="value", fused=fused)
    _, _, _, _, theta, _ = build(options, seed=4)
    value, gradient = f.smooth_value_and_gradient(theta)
    value_v, gradient_v = g.smooth_value_and_gradient(theta)
    assert value_v == pytest.approx(value, rel=1e-14, abs=0)
    assert np.allclose(gradient_v, gradient, rtol=1e-12, atol=1e-16)
    assert np.allclose(g.smooth_hessian(theta), f.smooth_hessian(theta), rtol=1e-11, atol=1e-16)
    assert g.value(theta) == pytest.approx(f.value(theta), rel=1e-14, abs=0)


def test_integer_sample_weights_equal_repeated_rows():
    X, y, _, theta = problem(5, m=12)
    counts = np.arange(12) % 3 + 1
    weighted = BinaryObjective(X, y, C=0.5, sample_weight=counts)
    repeated = BinaryObjective(np.repeat(X, counts, axis=0), np.repeat(y, counts), C=0.5)
    assert weighted.primal(theta) == pytest.approx(repeated.primal(theta), rel=1e-13)
    assert weighted.value(theta) == pytest.approx(repeated.value(theta), rel=1e-13)
    assert np.allclose(
        weighted.smooth_hessian(theta), repeated.smooth_hessian(theta), rtol=1e-12, atol=0
    )


def test_prox_l1_soft_thresholds_the_weights_and_leaves_the_intercept():
    X, y, _, _ = problem(6, n=2)
    f = BinaryObjective(X, y, C=1.0 / X.shape[0], l1_ratio=1.0)  # beta = 1
    assert f.l1_weights.tolist() == [1.0, 1.0, 0.0]
    assert f.prox_l1(np.array([0.5, -3.0, -7.0]), 2.0).tolist() == [0.0, -1.0, -7.0]
    smooth = BinaryObjective(X, y)
    assert smooth.l1_weights is None
    assert smooth.prox_l1(np.array([0.5, -3.0, -7.0]), 2.0).tolist() == [0.5, -3.0, -7.0]


@settings(max_examples=60, deadline=None)
@given(
    v=st.floats(-1e6, 1e6, allow_nan=False),
    step=st.floats(1e-6, 1e3),
    beta=st.floats(0.0, 1e3),
)
def test_prox_l1_is_the_proximal_map(v, step, beta):
    """x = prox(v) minimizes step*beta*|x| + (x - v)^2 / 2: 0 is in its subdifferential."""
    f = BinaryObjective([[1.0], [-1.0]], [0, 1], fit_intercept=False, l1_ratio=1.0)
    f.l1_weights = np.array([beta])
    x = float(f.prox_l1(np.array([v]), step)[0])
    t = step * beta
    if x == 0:
        assert abs(v) <= t * (1 + 1e-15)
    else:
        assert x - v + t * math.copysign(1.0, x) == pytest.approx(0.0, abs=1e-9 * max(1, abs(v)))


def test_lipschitz_bounds_the_hessian_everywhere():
    for options in (
        {"C": 1.0},
        {"C": math.inf, "weighted": True},
        {"C": math.inf, "fit_intercept": False},
    ):
        f, _, _, _, theta, _ = build(options, seed=7)
        L = f.lipschitz()
        at_zero = np.linalg.eigvalsh(f.smooth_hessian(np.zeros(f.n_params)))[-1]
        if f.alpha == 0:  # at theta = 0 every a(1 - a) is 1/4: the bound is attained
            assert at_zero == pytest.approx(L, rel=1e-12)
        assert at_zero <= L * (1 + 1e-12)
        assert np.linalg.eigvalsh(f.smooth_hessian(theta))[-1] <= L


def test_lipschitz_is_scale_safe():
    """Features scaled by 1e150 have squares near 1e300: the Gram matrix is formed from scaled
    entries, so L comes out as the small problem's L times 1e300, not inf or nan."""
    X, y, _, _ = problem(8)
    f = BinaryObjective(X, y, C=math.inf, fit_intercept=False)
    big = BinaryObjective(X * 1e150, y, C=math.inf, fit_intercept=False)
    assert big.lipschitz() == pytest.approx(f.lipschitz() * 1e300, rel=1e-12)
    assert BinaryObjective(X * 1e200, y, C=math.inf).lipschitz() == math.inf


def test_huge_features_say_why():
    X, y, _, theta = problem(9)
    f = BinaryObjective(X * 1e200, y, C=math.inf)
    with pytest.raises(ValueError, match=r"features too large: the largest \|x\| is .*e\+200"):
        f.smooth_hessian(np.zeros(f.n_params))
    with pytest.raises(ValueError, match=r"logits X w \+ b overflow float64 .*e\+200.*standardize"):
        f.value(theta * 1e200)


def test_it_is_an_objective():
    X, y, _, _ = problem(10)
    assert isinstance(BinaryObjective(X, y), Objective)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"C": 0.0}, ValueError, "C must be a positive number"),
        ({"C": -1.0}, ValueError, "C must be a positive number"),
        ({"C": math.nan}, ValueError, "C must be a positive number"),
        ({"C": "1"}, ValueError, "C must be a positive number"),
        ({"l1_ratio": 1.5}, ValueError, r"l1_ratio must be a number in \[0, 1\]"),
        ({"l1_ratio": True}, ValueError, r"l1_ratio must be a number in \[0, 1\]"),
        ({"engine": "torch"}, ValueError, "engine must be one of numpy, value"),
        ({"sample_weight": [1.0]}, ValueError, r"sample_weight must have shape \(m,\)"),
        ({"sample_weight": -np.ones(25)}, ValueError, "sample_weight must be finite and >= 0"),
        ({"sample_weight": np.zeros(25)}, ValueError, "sample_weight sums to 0"),
    ],
)
def test_bad_options_are_named(kwargs, error, match):
    X, y, _, _ = problem(11)
    with pytest.raises(error, match=match):
        BinaryObjective(X, y, **kwargs)


def test_bad_data_is_named():
    X, y, _, _ = problem(12)
    with pytest.raises(ValueError, match=r"X must be a 2-D array of shape \(m, n\)"):
        BinaryObjective(X[0], y)
    with pytest.raises(ValueError, match=r"y must have shape \(m,\) = \(25,\)"):
        BinaryObjective(X, y[:3])
    bad = y.copy()
    bad[4] = 2
    with pytest.raises(ValueError, match=r"labels 0 and 1 only, got 2\.0 at row 4"):
        BinaryObjective(X, bad)
    X[3, 1] = np.inf
    with pytest.raises(ValueError, match=r"X\[3, 1\] \(example 3, feature 1\) is inf"):
        BinaryObjective(X, y)
    with pytest.raises(TypeError, match="X must hold numbers"):
        BinaryObjective(np.array([["a"]]), [0])
    f = BinaryObjective(np.ones((2, 2)), [0, 1])
    with pytest.raises(ValueError, match=r"theta must have shape \(3,\)"):
        f.value(np.zeros(2))
