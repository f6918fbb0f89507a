"""The solvers: each against the others, against scikit-learn's optima (the targets of issue
11), on a plain quadratic (any object with the protocol), and their stopping, warnings and
errors."""

import itertools
import math
import sys
import warnings

import numpy as np
import pytest
from references import breast_cancer_error_features

from micrograd_lr import errors
from micrograd_lr.logistic import solvers
from micrograd_lr.logistic.objective import BinaryObjective
from micrograd_lr.logistic.solvers import SOLVERS, SolverResult, minimize, optimality

SMOOTH = ["newton", "lbfgs", "gd", "fista"]


def problem(seed, m=60, n=4):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, n)) * rng.uniform(0.5, 3.0, size=n)
    y = (rng.random(m) < 1 / (1 + np.exp(-X @ rng.normal(size=n)))).astype(float)
    return X, y, rng.uniform(0.1, 2.0, size=m)


def breast_cancer_standardized():
    pytest.importorskip("sklearn")
    from micrograd_lr import datasets

    data = datasets.breast_cancer()
    X = data.X
    return (X - X.mean(axis=0)) / X.std(axis=0), data.y


def sklearn_theta(**options):
    pytest.importorskip("sklearn")
    from sklearn.linear_model import LogisticRegression

    X = options.pop("X")
    y = options.pop("y")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # saga's own ConvergenceWarning, if any
        model = LogisticRegression(**options).fit(X, y)
    return np.append(model.coef_.ravel(), model.intercept_)


# --- scikit-learn's optima ---------------------------------------------------------------------
@pytest.mark.parametrize("solver", SMOOTH)
def test_defaults_on_all_30_breast_cancer_features_match_sklearn(solver):
    """C=1.0, L2: the primal within 1e-6 of scikit-learn's LogisticRegression() at tol=1e-12."""
    X, y = breast_cancer_standardized()
    reference = sklearn_theta(X=X, y=y, tol=1e-12, max_iter=10_000)
    f = BinaryObjective(X, y)
    tol = 1e-8 if solver == "gd" else 1e-10
    result = minimize(f, solver=solver, tol=tol, max_iter=100_000)
    assert result.converged and result.solver == solver
    assert abs(f.primal(result.theta) - f.primal(reference)) < 1e-6
    assert np.allclose(result.theta, reference, rtol=0, atol=1e-4)


@pytest.mark.parametrize("solver", ["newton", "lbfgs", "fista"])
def test_no_penalty_on_a_non_separable_set_matches_sklearn(solver):
    """C=inf (no penalty) on the ten "error" features, where the optimum is finite. (Plain
    gradient descent needs about 50,000 steps here, 12 s: it is checked against the other
    solvers on smaller problems instead.)"""
    X, y = breast_cancer_error_features()
    reference = sklearn_theta(X=X, y=y, C=math.inf, tol=1e-12, max_iter=100_000)
    f = BinaryObjective(X, y, C=math.inf)
    result = minimize(f, solver=solver, tol=1e-10, max_iter=100_000)
    assert result.converged
    assert abs(f.primal(result.theta) - f.primal(reference)) < 1e-6


@pytest.mark.parametrize("solver", ["fista", "gd"])
def test_elastic_net_matches_saga_with_the_same_zero_pattern(solver):
    X, y = breast_cancer_standardized()
    reference = sklearn_theta(
        X=X, y=y, C=0.1, l1_ratio=0.5, solver="saga", tol=1e-10, max_iter=100_000
    )
    f = BinaryObjective(X, y, C=0.1, l1_ratio=0.5)
    result = minimize(f, solver=solver, tol=1e-10, max_iter=100_000)
    assert result.converged
    assert abs(f.primal(result.theta) - f.primal(reference)) < 1e-6
    assert np.array_equal(result.theta == 0, reference == 0)
    assert 0 < np.sum(result.theta == 0) < 30  # some weights are exactly zero, not all


def test_auto_picks_fista_for_l1_and_newton_for_few_parameters():
    X, y, _ = problem(0)
    assert minimize(BinaryObjective(X, y), tol=1e-8).solver == "newton"
    assert minimize(BinaryObjective(X, y, l1_ratio=0.3), tol=1e-8).solver == "fista"


def test_auto_picks_lbfgs_above_the_newton_bound(monkeypatch):
    X, y, _ = problem(1)
    monkeypatch.setattr(solvers, "NEWTON_MAX_PARAMS", 4)
    assert minimize(BinaryObjective(X, y), tol=1e-8).solver == "lbfgs"


# --- the solvers against each other ------------------------------------------------------------
CASES = [
    pytest.param({"C": 1.0}, id="C=1"),
    pytest.param({"C": 0.05}, id="C=0.05"),
    pytest.param({"C": math.inf}, id="C=inf"),
    pytest.param({"C": 3.0, "fit_intercept": False}, id="no-intercept"),
    pytest.param({"C": 0.5, "weighted": True}, id="weighted"),
]


@pytest.mark.parametrize("options", CASES)
def test_all_solvers_reach_the_same_optimum(options):
    options = dict(options)
    X, y, weights = problem(2)
    if options.pop("weighted", False):
        options["sample_weight"] = weights
    f = BinaryObjective(X, y, **options)
    results = {s: minimize(f, solver=s, tol=1e-11, max_iter=200_000) for s in SMOOTH}
    newton = results["newton"]
    for name, result in results.items():
        assert result.converged, (name, result.message)
        assert result.optimality <= 1e-11
        assert result.fun == pytest.approx(newton.fun, rel=1e-13, abs=0), name
        assert np.allclose(result.theta, newton.theta, rtol=1e-8, atol=1e-9), name
        assert result.fun == f.value(result.theta)


@pytest.mark.parametrize("l1_ratio", [0.3, 1.0])
def test_fista_and_proximal_gradient_agree_on_elastic_net(l1_ratio):
    X, y, weights = problem(3)
    f = BinaryObjective(X, y, C=0.02, l1_ratio=l1_ratio, sample_weight=weights)
    fista = minimize(f, solver="fista", tol=1e-11, max_iter=100_000)
    ista = minimize(f, solver="gd", tol=1e-11, max_iter=100_000)
    assert fista.converged and ista.converged
    assert fista.fun == pytest.approx(ista.fun, rel=1e-13, abs=0)
    assert np.array_equal(fista.theta == 0, ista.theta == 0)
    assert np.allclose(fista.theta, ista.theta, atol=1e-9)
    assert fista.n_iter < ista.n_iter


def test_newton_takes_few_steps_and_descent_many():
    X, y, _ = problem(4)
    f = BinaryObjective(X, y)
    newton = minimize(f, solver="newton", tol=1e-10)
    gd = minimize(f, solver="gd", tol=1e-10, max_iter=100_000)
    assert newton.n_iter <= 10 < 10 * newton.n_iter < gd.n_iter


@pytest.mark.parametrize("solver", ["newton", "lbfgs", "fista"])
def test_value_engine_solves_to_the_same_optimum(solver):
    X, y, weights = problem(5, m=30, n=3)
    closed = BinaryObjective(X, y, C=0.5, sample_weight=weights)
    graph = BinaryObjective(X, y, C=0.5, sample_weight=weights, engine="value")
    a = minimize(closed, solver=solver, tol=1e-10)
    b = minimize(graph, solver=solver, tol=1e-10)
    assert a.n_iter == b.n_iter
    assert b.fun == pytest.approx(a.fun, rel=1e-13, abs=0)
    assert np.allclose(a.theta, b.theta, rtol=1e-9, atol=1e-12)


# --- any object with the protocol ----------------------------------------------------------------
class Quadratic:
    """f(x) = x^T A x / 2 - c.x + sum(beta |x|), with a known minimizer when beta is 0."""

    def __init__(self, A, c, beta=None):
        self.A, self.c = A, c
        self.n_params = len(c)
        self.l1_weights = beta

    def smooth_value_and_gradient(self, x):
        return float(x @ self.A @ x / 2 - self.c @ x), self.A @ x - self.c

    def smooth_hessian(self, x):
        return self.A

    def value(self, x):
        smooth, _ = self.smooth_value_and_gradient(x)
        return smooth + (0.0 if self.l1_weights is None else float(self.l1_weights @ abs(x)))

    def prox_l1(self, x, step):
        if self.l1_weights is None:
            return x.copy()
        return np.sign(x) * np.maximum(np.abs(x) - step * self.l1_weights, 0)


def quadratic(seed, n=6):
    rng = np.random.default_rng(seed)
    Q = rng.normal(size=(n, n))
    return Q @ Q.T + 0.5 * np.eye(n), rng.normal(size=n)


@pytest.mark.parametrize("solver", SOLVERS)
def test_any_object_with_the_protocol(solver):
    A, c = quadratic(6)
    result = minimize(Quadratic(A, c), solver=solver, tol=1e-10, max_iter=100_000)
    assert result.converged
    assert np.allclose(result.theta, np.linalg.solve(A, c), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("solver", ["gd", "fista"])
def test_l1_optimum_satisfies_the_optimality_conditions(solver):
    A, c = quadratic(7)
    f = Quadratic(A, c, beta=np.full(6, 0.8))
    result = minimize(f, solver=solver, tol=1e-12, max_iter=100_000)
    x, g = result.theta, A @ result.theta - c
    nonzero = x != 0
    assert np.allclose(g[nonzero], -0.8 * np.sign(x[nonzero]), atol=1e-12)
    assert np.all(np.abs(g[~nonzero]) <= 0.8 + 1e-12)
    assert optimality(f, x, g) == result.optimality <= 1e-12


# --- stopping, warnings, callbacks, errors -----------------------------------------------------
@pytest.mark.parametrize("solver", SOLVERS)
def test_max_iter_warns_and_says_how_far_it_got(solver):
    X, y, _ = problem(8)
    with pytest.warns(errors.ConvergenceWarning, match=f"{solver} stopped at max_iter=2 with"):
        result = minimize(BinaryObjective(X, y), solver=solver, tol=1e-12, max_iter=2)
    assert result.n_iter == 2 and not result.converged and result.optimality > 1e-12


def test_convergence_warning_is_scikit_learns_when_installed():
    pytest.importorskip("sklearn")
    from sklearn.exceptions import ConvergenceWarning

    assert errors.ConvergenceWarning is ConvergenceWarning


def test_convergence_warning_without_scikit_learn(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.exceptions", None)  # import fails
    monkeypatch.delattr(errors, "ConvergenceWarning", raising=False)
    cls = errors.__getattr__("ConvergenceWarning")
    assert cls is errors._ConvergenceWarning and issubclass(cls, UserWarning)


def test_max_iter_zero_reports_the_start():
    X, y, _ = problem(9)
    f = BinaryObjective(X, y)
    with pytest.warns(errors.ConvergenceWarning):
        result = minimize(f, max_iter=0)
    assert result.n_iter == 0 and result.fun == f.value(np.zeros(5))
    assert result.theta.tolist() == [0.0] * 5


def test_starting_at_the_optimum_takes_no_step():
    X, y, _ = problem(10)
    f = BinaryObjective(X, y)
    optimum = minimize(f, tol=1e-12).theta
    again = minimize(f, optimum, tol=1e-10)
    assert again.converged and again.n_iter == 0


@pytest.mark.parametrize("solver", SOLVERS)
def test_callback_sees_every_iteration_and_can_stop(solver):
    X, y, _ = problem(11)
    f = BinaryObjective(X, y)
    seen = []
    result = minimize(
        f, solver=solver, tol=1e-10, max_iter=1000, callback=lambda k, t, fun: seen.append(fun)
    )
    assert len(seen) == result.n_iter
    assert seen[-1] == pytest.approx(result.fun, rel=1e-15)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # stopping on request is not a convergence failure
        stopped = minimize(f, solver=solver, callback=lambda k, t, fun: k == 3)
    assert stopped.n_iter == 3 and not stopped.converged
    assert stopped.message == "stopped by the callback"


@pytest.mark.parametrize("solver", ["newton", "gd", "lbfgs"])
def test_costs_never_increase(solver):
    X, y, _ = problem(12)
    f = BinaryObjective(X * 5, y, C=math.inf)
    seen = [f.value(np.zeros(5))]
    minimize(f, solver=solver, tol=1e-9, max_iter=10_000, callback=lambda k, t, v: seen.append(v))
    # Never up by more than the rounding of the objective itself.
    assert all(b <= a + 8 * 2.2e-16 * a for a, b in itertools.pairwise(seen))


def test_the_theta0_is_not_modified():
    X, y, _ = problem(13)
    theta0 = np.ones(5)
    minimize(BinaryObjective(X, y), theta0, tol=1e-8)
    assert theta0.tolist() == [1.0] * 5


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"solver": "sag"}, "solver must be 'auto' or one of newton, lbfgs, gd, fista"),
        ({"tol": -1.0}, "tol must be a finite number >= 0"),
        ({"tol": math.nan}, "tol must be a finite number >= 0"),
        ({"max_iter": -1}, "max_iter must be an int >= 0"),
        ({"max_iter": 2.5}, "max_iter must be an int >= 0"),
        ({"learning_rate": 0.0}, "learning_rate must be a positive finite number"),
        ({"theta0": np.zeros(3)}, r"theta0 must have shape \(5,\)"),
        ({"theta0": np.full(5, np.nan)}, "theta0 must be finite"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    X, y, _ = problem(14)
    with pytest.raises(ValueError, match=match):
        minimize(BinaryObjective(X, y), **kwargs)


@pytest.mark.parametrize("solver", ["newton", "lbfgs"])
def test_smooth_solvers_refuse_an_l1_term(solver):
    X, y, _ = problem(15)
    with pytest.raises(ValueError, match=f"solver '{solver}' needs a smooth objective.*fista"):
        minimize(BinaryObjective(X, y, l1_ratio=0.5), solver=solver)


def test_gd_with_a_step_too_large_does_not_converge_and_says_so():
    """The log-loss grows only linearly, so a huge step oscillates rather than overflowing."""
    X, y, _ = problem(16)
    f = BinaryObjective(X, y, C=1.0)
    with pytest.warns(errors.ConvergenceWarning, match="gd stopped at max_iter=50"):
        result = minimize(f, solver="gd", learning_rate=1e3, max_iter=50)
    assert result.fun > minimize(f).fun + 0.1


def test_newton_on_huge_features_gives_the_reason():
    X, y, _ = problem(17)
    with pytest.raises(ValueError, match=r"features too large: the largest \|x\| is .*standardize"):
        minimize(BinaryObjective(X * 1e200, y, C=math.inf), solver="newton")


def test_gd_on_huge_features_gives_the_reason():
    X, y, _ = problem(18)
    with pytest.raises(ValueError, match=r"features too large: the largest \|x\| is .*standardize"):
        minimize(BinaryObjective(X * 1e200, y, C=math.inf), solver="gd")


def test_result_is_a_dataclass_with_the_agreed_fields():
    X, y, _ = problem(19)
    result = minimize(BinaryObjective(X, y))
    assert isinstance(result, SolverResult)
    for name in ("theta", "fun", "n_iter", "converged", "solver", "optimality", "message"):
        assert hasattr(result, name)


@pytest.mark.parametrize("scale", [1e-6, 1e10, 1e100])
@pytest.mark.parametrize("solver", ["newton", "lbfgs"])
def test_newton_and_lbfgs_do_not_depend_on_the_features_units(solver, scale):
    """Features in other units (X * s) have the optimum at w / s: Newton is invariant under
    the change, and L-BFGS, started at the scale 1/L, nearly so (its tests on curvature pairs
    are angles, not sizes)."""
    X, y, _ = problem(20)
    f = BinaryObjective(X, y, C=math.inf, fit_intercept=False)
    g = BinaryObjective(X * scale, y, C=math.inf, fit_intercept=False)
    a = minimize(f, solver=solver, tol=1e-10)
    b = minimize(g, solver=solver, tol=1e-10 * scale, max_iter=1000)
    assert b.converged
    assert b.fun == pytest.approx(a.fun, rel=1e-12)
    assert np.allclose(b.theta * scale, a.theta, rtol=1e-6)
    assert b.n_iter <= a.n_iter + 5
