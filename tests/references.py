"""Independent references shared by the logistic-regression tests: scikit-learn's
unregularized optimum on a data set where that optimum exists."""

import numpy as np
import pytest


def unregularized_sklearn(X, y):
    """scikit-learn's LogisticRegression without a penalty, to a tight tolerance; X (m, n)."""
    sklearn = pytest.importorskip("sklearn")
    from sklearn.linear_model import LogisticRegression as SkLogisticRegression

    major, minor = (int(part) for part in sklearn.__version__.split(".")[:2])
    # penalty=None is deprecated from 1.8 in favour of C=inf.
    options = {"C": np.inf} if (major, minor) >= (1, 8) else {"penalty": None}
    return SkLogisticRegression(tol=1e-12, max_iter=100_000, **options).fit(X, y)


def breast_cancer_error_features():
    """Standardized breast-cancer, the 10 "standard error" features: (X (m, 10), y (m,)).

    All 30 features together separate the two classes perfectly: the unregularized cost
    has no minimum (scikit-learn stops at a cost of ~1e-12 with weights ~6e4) and gradient
    descent would run forever. The 10 "error" features do not, so the optimum is finite.
    """
    pytest.importorskip("sklearn")
    from micrograd_lr import datasets

    data = datasets.breast_cancer()
    X = data.X[:, 10:20]
    assert all(name.endswith("error") for name in data.feature_names[10:20])
    return (X - X.mean(axis=0)) / X.std(axis=0), data.y
