"""A scikit-learn style `LogisticRegression` estimator (X of shape (m, n))."""

from __future__ import annotations

import inspect
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._checks import _check_labels, _check_samples
from .training import Engine, train

__all__ = ["LogisticRegression"]


class LogisticRegression:
    """Binary logistic regression by gradient descent, in the scikit-learn style.

    Unregularized. ``X`` has shape ``(m, n)``, one row per example (scikit-learn's layout,
    the transpose of the course's); labels are 0 and 1.

    Parameters
    ----------
    learning_rate : float or "auto", default "auto"
        See `train`.
    max_iter : int, default 10000
        The most gradient steps.
    tol : float, default 1e-6
        Stop once every gradient component is within ``tol`` of 0.
    standardize : bool, default False
        Train on features shifted to mean 0 and scaled to standard deviation 1 (from the
        training data); ``coef_`` and ``intercept_`` are converted back to the original units.
    engine : {"numpy", "value"}, default "numpy"
    fused : bool, default True
    progress : bool or None, default False

    Attributes
    ----------
    coef_ : array, shape (1, n)
    intercept_ : array, shape (1,)
    n_iter_ : int
    costs_ : list of float
        The cost history (see `TrainingResult.costs`), in the standardized units if used.
    converged_ : bool

    Examples
    --------
    >>> X, y = np.array([[-2.0], [-1.0], [1.0], [2.0]]), np.array([0, 1, 0, 1])
    >>> clf = LogisticRegression(max_iter=500).fit(X, y)
    >>> clf.predict(X).tolist(), clf.score(X, y)
    ([0, 0, 1, 1], 0.5)
    """

    def __init__(
        self,
        *,
        learning_rate: float | Literal["auto"] = "auto",
        max_iter: int = 10_000,
        tol: float = 1e-6,
        standardize: bool = False,
        engine: Engine = "numpy",
        fused: bool = True,
        progress: bool | None = False,
    ) -> None:
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.tol = tol
        self.standardize = standardize
        self.engine = engine
        self.fused = fused
        self.progress = progress

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor's parameters by name (scikit-learn's parameter protocol, so
        ``sklearn.base.clone`` works; model-selection helpers also want scikit-learn's
        estimator tags, which this class does not import scikit-learn to provide)."""
        return {name: getattr(self, name) for name in _constructor_parameters()}

    def set_params(self, **params: Any) -> LogisticRegression:
        """Set constructor parameters by name; returns self."""
        known = _constructor_parameters()
        for name, value in params.items():
            if name not in known:
                raise ValueError(
                    f"unknown parameter {name!r} for LogisticRegression; the parameters are "
                    f"{', '.join(known)}"
                )
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = _constructor_parameters()
        changed = [
            f"{name}={value!r}"
            for name, value in self.get_params().items()
            if value != defaults[name]
        ]
        return f"LogisticRegression({', '.join(changed)})"

    def fit(self, X: ArrayLike, y: ArrayLike) -> LogisticRegression:
        """Train on ``X`` (shape (m, n)) and ``y`` (shape (m,), 0 or 1); returns self."""
        samples = _check_samples(X)
        labels = _check_labels(y, samples.shape[0])
        if self.standardize:
            mean = samples.mean(axis=0)
            scale = samples.std(axis=0)
            scale[scale == 0] = 1.0  # a constant feature stays constant
            samples = (samples - mean) / scale
        result = train(
            samples.T,
            labels,
            engine=self.engine,
            fused=self.fused,
            num_iterations=self.max_iter,
            learning_rate=self.learning_rate,
            tol=self.tol,
            progress=self.progress,
        )
        w, b = result.w.ravel(), result.b
        if self.standardize:
            # w.((x - mean) / scale) + b = (w / scale).x + (b - w.(mean / scale))
            w = w / scale
            b = b - float(w @ mean)
        self.coef_ = w.reshape(1, -1)
        self.intercept_ = np.array([b])
        self.n_iter_ = result.iterations
        self.costs_ = result.costs
        self.converged_ = result.converged
        return self

    def decision_function(self, X: ArrayLike) -> NDArray[Any]:
        """The logit ``w.x + b`` of each row, shape (m,)."""
        if not hasattr(self, "coef_"):
            raise AttributeError("this LogisticRegression is not fitted yet: call fit(X, y)")
        X = _check_samples(X)
        if X.shape[1] != self.coef_.shape[1]:
            raise ValueError(
                f"X has {X.shape[1]} features, but the model was fitted with {self.coef_.shape[1]}"
            )
        return np.asarray(X @ self.coef_[0] + self.intercept_[0])

    def predict_proba(self, X: ArrayLike) -> NDArray[Any]:
        """Probabilities of label 0 and of label 1 for each row, shape (m, 2)."""
        z = self.decision_function(X)
        e = np.exp(-np.abs(z))
        p = np.where(z >= 0, 1.0, e) / (1.0 + e)
        return np.column_stack([1.0 - p, p])

    def predict(self, X: ArrayLike) -> NDArray[np.int64]:
        """The label, 0 or 1, predicted for each row, shape (m,)."""
        return (self.decision_function(X) > 0).astype(np.int64)

    def score(self, X: ArrayLike, y: ArrayLike) -> float:
        """Accuracy: the fraction of rows whose label is predicted correctly."""
        X = _check_samples(X)
        y = _check_labels(y, X.shape[0])
        return float(np.mean(self.predict(X) == y))


def _constructor_parameters() -> dict[str, Any]:
    """LogisticRegression's constructor parameters and their defaults, from its signature."""
    return {
        name: parameter.default
        for name, parameter in inspect.signature(LogisticRegression).parameters.items()
    }
