"""The estimator's and Newton's Value engine replay their graph compiled once a fit has made
`COMPILE_AFTER` evaluations: the same numbers, bit for bit, as the plain engine."""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pytest

from micrograd_lr.cli import main
from micrograd_lr.logistic import LogisticRegression, value_graph
from micrograd_lr.logistic.value_graph import CostDerivatives, _GraphBuilder
from micrograd_lr.newton import newton

compile_module = importlib.import_module("micrograd_lr.compile")


def _data(m: int = 24, n: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, n))
    y = (X @ rng.standard_normal(n) + rng.standard_normal(m) > 0).astype(float)
    return X, y


def _spy(monkeypatch: pytest.MonkeyPatch, name: str, tag: str) -> list[str]:
    """Record ``tag`` in the returned list at each call of ``micrograd_lr.compile.<name>``."""
    calls: list[str] = []
    original = getattr(compile_module, name)

    def spied(*args: object, **kwargs: object) -> object:
        calls.append(tag)
        return original(*args, **kwargs)

    monkeypatch.setattr(compile_module, name, spied)
    return calls


def _bits(a: np.ndarray) -> bytes:
    return np.asarray(a, dtype=np.float64).tobytes()


@pytest.mark.parametrize("fused", [True, False])
def test_cost_derivatives_replay_is_the_engine_bit_for_bit(fused: bool) -> None:
    X, y = _data()
    builder = _GraphBuilder(X.T, y, fused=fused)
    replayed = CostDerivatives(builder, compile_after=2)
    plain = CostDerivatives(builder, compiled=False)
    rng = np.random.default_rng(1)
    for k in range(8):
        # Large steps: the composed graph's logits change sign, so it re-traces (each
        # point twice: branches that change at every evaluation stay on the engine).
        if k % 2 == 0:
            theta = (rng.standard_normal(X.shape[1] + 1) * 3).tolist()
        J, g = replayed.value_and_gradient(theta)
        J0, g0 = plain.value_and_gradient(theta)
        assert J == J0 and _bits(g) == _bits(g0)
        assert replayed.replayed == (k >= 2)
        J, g, H = replayed.value_gradient_hessian(theta)
        J0, g0, H0 = plain.value_gradient_hessian(theta)
        assert J == J0 and _bits(g) == _bits(g0) and _bits(H) == _bits(H0)
    assert not plain.replayed
    assert (replayed.gradients, replayed.hessians) == (8, 8)


def test_branches_that_change_at_every_evaluation_stay_on_the_engine(monkeypatch) -> None:
    # Newton's steps on separable data: every logit pattern new. Tracing each would cost
    # 2-5 engine passes for one evaluation; the engine evaluates until a pattern recurs.
    traced = _spy(monkeypatch, "compile", "trace")
    X, y = _data()
    derivatives = CostDerivatives(_GraphBuilder(X.T, y, fused=False), compile_after=0)
    rng = np.random.default_rng(4)
    points = [(rng.standard_normal(X.shape[1] + 1) * 3).tolist() for _ in range(6)]
    for theta in points:  # the first is traced, then each pattern lasts one evaluation
        derivatives.value_and_gradient(theta)
    assert traced == ["trace"] and derivatives._gradient.retraces == 0
    for _ in range(3):  # a pattern that lasts is traced on its second evaluation
        derivatives.value_and_gradient(points[-1])
    assert derivatives._gradient.retraces == 1


def test_no_replay_before_the_threshold(monkeypatch) -> None:
    calls = _spy(monkeypatch, "compile", "compile")
    X, y = _data()
    derivatives = CostDerivatives(_GraphBuilder(X.T, y, fused=True))
    theta = [0.0] * (X.shape[1] + 1)
    for _ in range(value_graph.COMPILE_AFTER):
        derivatives.value_and_gradient(theta)
    assert calls == [] and not derivatives.replayed
    derivatives.value_and_gradient(theta)
    assert calls == ["compile"] and derivatives.replayed


@pytest.mark.parametrize("fused", [True, False])
def test_estimator_fits_the_same_coefficients_compiled_or_not(fused: bool, monkeypatch) -> None:
    traced = _spy(monkeypatch, "compile", "trace")
    X, y = _data(40, 4, seed=2)
    options = {"engine": "value", "solver": "gd", "fused": fused, "tol": 0.0}
    options["max_iter"] = value_graph.COMPILE_AFTER + 15  # compiles, then replays 15 times
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # gd stops at max_iter: a ConvergenceWarning
        compiled = LogisticRegression(**options).fit(X, y)
        plain = LogisticRegression(compiled=False, **options).fit(X, y)
    assert _bits(compiled.coef_) == _bits(plain.coef_)
    assert _bits(compiled.intercept_) == _bits(plain.intercept_)
    assert compiled.objective_ == plain.objective_
    assert traced == ["trace"]  # the compiled fit, once; the plain one never
    assert compiled.get_params()["compiled"] is True


def test_newton_value_hessian_replayed_matches_the_engine(monkeypatch) -> None:
    monkeypatch.setattr(value_graph, "COMPILE_AFTER", 1)  # Newton takes a handful of steps
    traced = _spy(monkeypatch, "compile_hessian", "hessian")
    X, y = _data(30, 3, seed=3)
    compiled = newton(X.T, y, engine="value", fused=False, tol=1e-12)
    assert traced == ["hessian"]
    plain = newton(X.T, y, engine="value", fused=False, tol=1e-12, compiled=False)
    assert compiled.iterations == plain.iterations >= 3
    assert _bits(compiled.w) == _bits(plain.w) and compiled.b == plain.b
    assert compiled.costs == plain.costs


def test_train_command_no_compile_through_the_estimator(capsys) -> None:
    # A penalty takes gradient descent through the estimator; 60 steps pass COMPILE_AFTER.
    assert value_graph.COMPILE_AFTER < 60
    args = ["train", "--dataset", "synthetic", "--engine", "value", "--C", "10"]
    args += ["--iterations", "60", "--tol", "0", "--no-progress"]
    assert main(args) == 0
    compiled = capsys.readouterr().out
    assert main([*args, "--no-compile"]) == 0
    assert capsys.readouterr().out == compiled


def test_train_command_no_compile_with_many_classes_is_refused(capsys) -> None:
    code = main(["train", "--dataset", "iris", "--engine", "value", "--no-compile"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert "--no-compile" in err and "two classes" in err and err.count("\n") == 1
