"""LogisticRegression, the estimator: scikit-learn's full check_estimator, its optima, model
selection tools, any labels, K classes, and the core install without scikit-learn."""

import math
import pickle
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

from micrograd_lr import LogisticRegression
from micrograd_lr.logistic import estimator as estimator_module

ROOT = Path(__file__).resolve().parents[1]

SKIPPED_CHECKS = {
    # scikit-learn runs it only with SCIPY_ARRAY_API=1 and array-api-strict installed; the
    # estimator computes with NumPy and does not declare array API support.
    "check_array_api_input",
}


def sklearn_or_skip():
    return pytest.importorskip("sklearn")


def blobs(seed=0, m=90, K=3):
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=6, size=(K, 2))
    y = np.arange(m) % K
    return centers[y] + rng.normal(size=(m, 2)), y


@pytest.mark.parametrize(
    "params",
    [
        {},
        pytest.param({"standardize": True}, marks=pytest.mark.slow),
        pytest.param({"l1_ratio": 0.5, "max_iter": 1000}, marks=pytest.mark.slow),
    ],
    ids=["defaults", "standardize", "elastic-net"],
)
def test_check_estimator_passes_in_full(params):
    """Not with C=inf: check_sample_weight_equivalence_on_dense_data fits a separable set,
    where the unpenalized optimum is at infinity, so two fits agree only as far as their
    stopping points (scikit-learn's own C=inf fails that check too)."""
    sklearn_or_skip()
    from sklearn.utils.estimator_checks import check_estimator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(LogisticRegression(**params), on_fail=None)
    failed = [(r["check_name"], repr(r["exception"])) for r in results if r["status"] == "failed"]
    skipped = {r["check_name"] for r in results if r["status"] == "skipped"}
    assert failed == []
    assert skipped <= SKIPPED_CHECKS, skipped
    assert len(results) >= 60


def test_any_labels_and_k_classes():
    X, y = blobs()
    names = np.array(["cat", "dog", "emu"])[y]
    clf = LogisticRegression().fit(X, names)
    assert clf.classes_.tolist() == ["cat", "dog", "emu"]
    assert clf.coef_.shape == (3, 2) and clf.intercept_.shape == (3,)
    proba = clf.predict_proba(X)
    assert proba.shape == (90, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-15)
    assert clf.decision_function(X).shape == (90, 3)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    assert clf.score(X, names) > 0.9
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba, rtol=1e-15)
    # Binary: the sigmoid model, one row of coefficients, a 1-D decision function.
    binary = LogisticRegression().fit(X, y == 1)
    assert binary.classes_.tolist() == [False, True] and binary.coef_.shape == (1, 2)
    assert binary.decision_function(X).shape == (90,)
    p = binary.predict_proba(X)[:, 1]
    z = binary.decision_function(X)
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-z)), rtol=1e-14)


def test_predict_proba_is_finite_and_exact_for_huge_logits():
    clf = LogisticRegression().fit(*blobs())
    clf.coef_ = np.array([[1e4, 0.0], [-1e4, 0.0], [0.0, 0.0]])
    clf.intercept_ = np.zeros(3)
    proba = clf.predict_proba(np.array([[1.0, 0.0], [-1.0, 0.0]]))
    assert proba.tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    assert clf.predict_log_proba(np.array([[1.0, 0.0]]))[0].tolist() == [0.0, -2e4, -1e4]


def sklearn_primal_theta(reference, n):
    return np.vstack([reference.coef_.T, reference.intercept_]).ravel()


def test_defaults_on_standardized_breast_cancer_end_to_end():
    """The estimator against scikit-learn's LogisticRegression() optimum (tol=1e-12) on all
    30 standardized features: at the defaults (tol=1e-4) within 1e-6 of the optimum, the
    issue's target (Newton takes one more step once within tol: before that it stopped 7e-5
    above; scikit-learn's own default fit is 1.3e-3 above)."""
    sklearn_or_skip()
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression as SkLogisticRegression

    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)

    def primal(model):
        w, b = model.coef_.ravel(), model.intercept_[0]
        z = X @ w + b
        return np.sum(np.logaddexp(0, z) - y * z) + w @ w / 2

    optimum = primal(SkLogisticRegression(tol=1e-12, max_iter=10_000).fit(X, y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's lbfgs may warn at its defaults
        sklearn_default = primal(SkLogisticRegression().fit(X, y))
    ours = LogisticRegression().fit(X, y)
    assert ours.converged_ and ours.solver_ == "newton"
    assert ours.objective_ == pytest.approx(primal(ours), rel=1e-13)
    assert abs(ours.objective_ - optimum) < 1e-6 < sklearn_default - optimum
    reference = SkLogisticRegression(tol=1e-12, max_iter=10_000).fit(X, y)
    np.testing.assert_array_equal(ours.predict(X), reference.predict(X))


def test_iris_three_classes_match_sklearn():
    sklearn_or_skip()
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression as SkLogisticRegression

    X, y = load_iris(return_X_y=True)
    reference = SkLogisticRegression(solver="newton-cholesky", tol=1e-12).fit(X, y)
    ours = LogisticRegression(tol=1e-10).fit(X, y)
    np.testing.assert_allclose(ours.coef_, reference.coef_, atol=1e-7)
    np.testing.assert_allclose(ours.intercept_, reference.intercept_, atol=1e-7)
    np.testing.assert_allclose(ours.predict_proba(X), reference.predict_proba(X), atol=1e-8)


@pytest.mark.parametrize("K", [2, 3])
@pytest.mark.parametrize("fused", [True, False])
def test_value_engine_fits_the_same_model(K, fused):
    X, y = blobs(1, m=30, K=K)
    a = LogisticRegression(engine="value", fused=fused, tol=1e-10).fit(X, y)
    b = LogisticRegression(tol=1e-10).fit(X, y)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(a.intercept_, b.intercept_, rtol=1e-9, atol=1e-12)


def test_sample_weight_is_repetition_and_class_weight_multiplies_it():
    X, y = blobs(2)
    weights = (np.arange(90) // 3) % 3  # 0, 1 or 2 copies; every class keeps examples
    weighted = LogisticRegression(tol=1e-10).fit(X, y, sample_weight=weights)
    repeated = LogisticRegression(tol=1e-10).fit(np.repeat(X, weights, 0), np.repeat(y, weights))
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-8)
    by_class = LogisticRegression(tol=1e-10, class_weight={0: 2.0}).fit(X, y)
    by_sample = LogisticRegression(tol=1e-10).fit(X, y, sample_weight=np.where(y == 0, 2.0, 1.0))
    np.testing.assert_allclose(by_class.coef_, by_sample.coef_, rtol=1e-10)
    balanced = LogisticRegression(class_weight="balanced").fit(X[:50], y[:50])
    assert balanced.converged_
    with pytest.raises(ValueError, match=r"class_weight names labels that are not in y"):
        LogisticRegression(class_weight={7: 1.0}).fit(X, y)


def test_standardize_is_undone_in_coef():
    rng = np.random.default_rng(17)
    X = rng.standard_normal((80, 2)) * [100.0, 0.01] + [5.0, -3.0]
    y = ((X[:, 0] - 5) / 100 + (X[:, 1] + 3) / 0.01 + rng.standard_normal(80) > 0).astype(int)
    clf = LogisticRegression(standardize=True, tol=1e-10).fit(X, y)
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    plain = LogisticRegression(tol=1e-10).fit(Z, y)
    np.testing.assert_allclose(clf.decision_function(X), plain.decision_function(Z), rtol=1e-9)
    constant = LogisticRegression(standardize=True).fit(np.column_stack([X, np.ones(80)]), y)
    assert constant.coef_[0, 2] == 0.0


def test_no_penalty_l1_and_gd_solvers():
    X, y = blobs(3, K=3)
    X = X + np.random.default_rng(3).normal(scale=3, size=X.shape)  # not separable
    unpenalized = LogisticRegression(C=math.inf, tol=1e-8).fit(X, y)
    assert unpenalized.converged_ and abs(unpenalized.intercept_.sum()) < 1e-8
    sparse = LogisticRegression(C=0.01, l1_ratio=1.0, max_iter=5000).fit(X, y)
    assert sparse.solver_ == "fista" and (sparse.coef_ == 0).any()
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    gd = LogisticRegression(C=0.1, solver="gd", max_iter=20_000, tol=1e-7).fit(X, y)
    newton = LogisticRegression(C=0.1, solver="newton", tol=1e-10).fit(X, y)
    assert gd.converged_ and gd.n_iter_[0] > 10 * newton.n_iter_[0]
    np.testing.assert_allclose(gd.coef_, newton.coef_, atol=1e-4)


def test_max_iter_warns():
    sklearn_exceptions = sklearn_or_skip().exceptions
    X, y = blobs(4)
    with pytest.warns(sklearn_exceptions.ConvergenceWarning, match="max_iter=1"):
        clf = LogisticRegression(max_iter=1, solver="gd").fit(X, y)
    assert not clf.converged_ and clf.n_iter_.tolist() == [1]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"C": 0}, "C must be a positive number"),
        ({"l1_ratio": -0.1}, "l1_ratio must be a number in"),
        ({"solver": "sag"}, "solver must be 'auto' or one of"),
        ({"max_iter": 0}, "max_iter must be an int >= 1"),
        ({"tol": -1}, "tol must be a number >= 0"),
        ({"engine": "torch"}, "engine must be"),
        ({"class_weight": "even"}, "class_weight must be"),
        ({"solver": "newton", "l1_ratio": 0.5}, "needs a smooth objective"),
    ],
)
def test_bad_parameters_are_named_at_fit(params, message):
    X, y = blobs()
    with pytest.raises(ValueError, match=message):
        LogisticRegression(**params).fit(X, y)


def test_not_fitted_and_wrong_width():
    sklearn_or_skip()
    from sklearn.exceptions import NotFittedError

    from micrograd_lr.errors import MicrogradLRError

    clf = LogisticRegression()
    with pytest.raises(NotFittedError, match="not fitted yet") as caught:
        clf.predict(np.zeros((2, 2)))
    assert isinstance(caught.value, MicrogradLRError)
    clf.fit(*blobs())
    with pytest.raises(ValueError, match="X has 3 features, but LogisticRegression is expecting 2"):
        clf.predict(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="only one class"):
        LogisticRegression().fit(np.zeros((3, 2)), [1, 1, 1])


def test_feature_names_from_a_dataframe():
    pd = pytest.importorskip("pandas")
    sklearn_or_skip()
    X, y = blobs()
    frame = pd.DataFrame(X, columns=["height", "width"])
    clf = LogisticRegression().fit(frame, y)
    assert clf.feature_names_in_.tolist() == ["height", "width"]
    with pytest.warns(UserWarning, match="was fitted with feature names"):
        clf.predict(X)


def test_clone_pickle_repr_and_params():
    sklearn_base = sklearn_or_skip().base
    clf = LogisticRegression(C=0.5, solver="lbfgs")
    assert repr(clf) == "LogisticRegression(C=0.5, solver='lbfgs')"
    twin = sklearn_base.clone(clf)
    assert twin is not clf and twin.get_params() == clf.get_params()
    assert clf.set_params(tol=1e-3) is clf and clf.tol == 1e-3
    with pytest.raises(ValueError, match="Invalid parameter 'penalty'"):
        clf.set_params(penalty="l2")
    X, y = blobs()
    clf.fit(X, y)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))


def test_model_selection_tools():
    """cross_val_score of a StandardScaler pipeline returned all-NaN scores before."""
    sklearn_or_skip()
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import GridSearchCV, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True)
    scores = cross_val_score(make_pipeline(StandardScaler(), LogisticRegression()), X, y, cv=3)
    assert np.isfinite(scores).all() and scores.min() > 0.94
    search = GridSearchCV(
        make_pipeline(StandardScaler(), LogisticRegression()),
        {"logisticregression__C": [0.01, 1.0]},
        cv=3,
    ).fit(X, y)
    assert search.best_params_["logisticregression__C"] in (0.01, 1.0)
    assert search.best_score_ > 0.94


def test_the_estimator_is_imported_lazily():
    code = "import sys, micrograd_lr, micrograd_lr.logistic; print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr
    assert estimator_module.LogisticRegression is LogisticRegression


def test_works_without_scikit_learn():
    """The core install: scikit-learn made unimportable, the fallbacks validate and raise."""
    code = textwrap.dedent(
        """
        import sys
        sys.modules["sklearn"] = None  # import sklearn now fails
        import numpy as np
        from micrograd_lr import LogisticRegression
        from micrograd_lr.sklearn import HAVE_SKLEARN, NotFittedError
        assert not HAVE_SKLEARN
        X = np.array([[0.0, 1], [1, 0], [2, 1], [3, 0], [4, 1], [5, 0]])
        y = np.array(["a", "a", "b", "b", "c", "c"])
        try:
            LogisticRegression().predict(X)
        except NotFittedError as e:
            assert isinstance(e, ValueError) and isinstance(e, AttributeError)
        clf = LogisticRegression(C=10.0).fit(X, y)
        assert clf.predict(X).tolist() == y.tolist(), clf.predict(X)
        assert clf.score(X, y) == 1.0 and clf.n_features_in_ == 2
        assert repr(clf) == "LogisticRegression(C=10.0)"
        assert clf.set_params(C=1.0).get_params()["C"] == 1.0
        for bad, message in [
            (np.array([[np.nan, 1.0]] * 6), "NaN or infinity"),
            (np.zeros(6), "Expected a 2D array"),
            (np.zeros((0, 2)), "at least 1 sample"),
            (np.zeros((6, 2)) + 1j, "Complex data not supported"),
        ]:
            try:
                LogisticRegression().fit(bad, y[: len(bad)] if bad.ndim else y)
            except ValueError as e:
                assert message in str(e), (message, str(e))
            else:
                raise AssertionError(message)
        try:
            clf.predict(np.zeros((1, 3)))
        except ValueError as e:
            assert "X has 3 features, but LogisticRegression is expecting 2" in str(e)
        try:
            LogisticRegression().fit(X, np.linspace(0, 1, 6))
        except ValueError as e:
            assert "Unknown label type: continuous" in str(e)
        print("ok")
        """
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr


def test_progress_bar_shows_the_objective(capsys):
    pytest.importorskip("tqdm")
    X, y = blobs()
    LogisticRegression(progress=True).fit(X, y)
    err = capsys.readouterr().err
    assert "objective=" in err and "training (numpy)" in err


def test_standardize_weighs_its_statistics_like_the_fit():
    """Found by check_estimator(LogisticRegression(standardize=True)): unweighted means made
    a weight of 2 differ from a repeated row."""
    X, y = blobs(5)
    weights = (np.arange(90) // 3) % 3
    weighted = LogisticRegression(standardize=True, tol=1e-10).fit(X, y, sample_weight=weights)
    repeated = LogisticRegression(standardize=True, tol=1e-10).fit(
        np.repeat(X, weights, 0), np.repeat(y, weights)
    )
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-8)
    np.testing.assert_allclose(weighted.intercept_, repeated.intercept_, rtol=1e-8, atol=1e-12)
