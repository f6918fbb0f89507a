"""The bridge to scikit-learn: its base classes, validation and tags when it is installed,
small equivalents of them when it is not.

The estimator (`micrograd_lr.logistic.estimator.LogisticRegression`) is written once against
this module. With scikit-learn importable it gets scikit-learn's `BaseEstimator` and
`ClassifierMixin` (so ``clone``, ``Pipeline``, ``GridSearchCV``, ``cross_val_score``, the HTML
repr and ``check_estimator`` treat it as one of their own) and scikit-learn's input
validation (``validate_data``: the same messages, ``n_features_in_``, ``feature_names_in_``
from DataFrames, refusal of sparse input). Without it, the core install (NumPy only) still
has a working estimator: the fallbacks below validate the same things with messages in the
same spirit, and raise this module's `NotFittedError`.

Importing scikit-learn takes about a second, so nothing imports this module until the
estimator is used (``micrograd_lr.LogisticRegression`` is resolved lazily).
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .errors import MicrogradLRError

__all__ = [
    "HAVE_SKLEARN",
    "ClassifierBase",
    "NotFittedError",
    "check_fitted",
    "validate_fit_data",
    "validate_predict_data",
]

try:
    import sklearn  # noqa: F401
except ImportError:  # pragma: no cover - exercised by a subprocess test without scikit-learn
    HAVE_SKLEARN = False
else:
    HAVE_SKLEARN = True

if HAVE_SKLEARN:
    from sklearn.base import BaseEstimator, ClassifierMixin
    from sklearn.exceptions import NotFittedError as _SkNotFittedError
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import _check_sample_weight, validate_data

    class NotFittedError(MicrogradLRError, _SkNotFittedError):
        """The estimator was used before `fit`; scikit-learn's `NotFittedError` too (and so
        a `ValueError` and an `AttributeError`)."""

    class ClassifierBase(ClassifierMixin, BaseEstimator):
        """scikit-learn's base classes, in the order scikit-learn requires."""

        def __sklearn_tags__(self) -> Any:
            tags = super().__sklearn_tags__()
            tags.classifier_tags.multi_class = True
            tags.input_tags.sparse = False
            return tags

else:

    class NotFittedError(MicrogradLRError, ValueError, AttributeError):  # type: ignore[no-redef]
        """The estimator was used before `fit` (scikit-learn's class is used instead when
        scikit-learn is installed)."""

    class ClassifierBase:  # type: ignore[no-redef]
        """The parameter protocol and `score` without scikit-learn: ``get_params`` and
        ``set_params`` read the constructor's signature, as scikit-learn's do."""

        def get_params(self, deep: bool = True) -> dict[str, Any]:
            """The constructor's parameters by name."""
            names = [n for n in inspect.signature(type(self).__init__).parameters if n != "self"]
            return {name: getattr(self, name) for name in names}

        def set_params(self, **params: Any) -> Any:
            """Set constructor parameters by name; returns self."""
            known = self.get_params()
            for name, value in params.items():
                if name not in known:
                    raise ValueError(
                        f"Invalid parameter {name!r} for estimator {type(self).__name__}; "
                        f"valid parameters are {', '.join(known)}"
                    )
                setattr(self, name, value)
            return self

        def __repr__(self) -> str:
            signature = inspect.signature(type(self).__init__).parameters
            changed = [
                f"{name}={value!r}"
                for name, value in self.get_params().items()
                if value is not signature[name].default and value != signature[name].default
            ]
            return f"{type(self).__name__}({', '.join(changed)})"

        def score(
            self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
        ) -> float:
            """Accuracy: the (weighted) fraction of rows whose label is predicted right."""
            hits = np.asarray(self.predict(X)) == np.asarray(y)  # type: ignore[attr-defined]
            weights = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
            return float(np.average(hits, weights=weights))


def _fallback_X(X: ArrayLike, who: str) -> NDArray[np.float64]:
    """``X`` (m, n) as finite float64, with errors that say what is wrong and how to fix it."""
    if hasattr(X, "tocsr") or hasattr(X, "toarray"):
        raise TypeError(f"{who} does not accept sparse input; convert it with X.toarray() first")
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(
            f"Expected a 2D array of shape (m, n), got {X.ndim}D array of shape {X.shape}; "
            "reshape a single feature with X.reshape(-1, 1), a single example with "
            "X.reshape(1, -1)"
        )
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"Found array with shape {X.shape}: at least 1 sample and 1 feature")
    if np.iscomplexobj(X):
        raise ValueError("Complex data not supported")
    try:
        X = X.astype(np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"X must hold numbers: {error}") from None
    if not np.isfinite(X).all():
        i, j = (int(k) for k in np.argwhere(~np.isfinite(X))[0])
        raise ValueError(
            f"Input X contains NaN or infinity: X[{i}, {j}] is {X[i, j]}; remove or impute it"
        )
    return X


def validate_fit_data(
    estimator: Any, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None
) -> tuple[NDArray[np.float64], NDArray[Any], NDArray[np.float64] | None]:
    """``X`` (m, n) as float64, the labels ``y`` (m,), the weights (or None); sets
    ``n_features_in_`` (and ``feature_names_in_`` for a DataFrame, with scikit-learn)."""
    if HAVE_SKLEARN:
        X_, y_ = validate_data(estimator, X, y, dtype=np.float64, reset=True)
        check_classification_targets(y_)
        weights = None
        if sample_weight is not None:
            weights = _check_sample_weight(sample_weight, X_, dtype=np.float64)
        return X_, y_, weights
    name = type(estimator).__name__
    X = _fallback_X(X, name)
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.shape != (X.shape[0],):
        raise ValueError(
            f"y must have shape ({X.shape[0]},), one label per row of X; got {y.shape}"
        )
    if y.dtype.kind == "f" and (not np.isfinite(y).all() or (y != np.round(y)).any()):
        raise ValueError(
            "Unknown label type: continuous. y holds real numbers; a classifier needs class "
            "labels (integers or strings)"
        )
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype=np.float64)
        if sample_weight.ndim == 0:
            sample_weight = np.full(X.shape[0], float(sample_weight))
        if sample_weight.shape != (X.shape[0],):
            raise ValueError(
                f"sample_weight.shape == {sample_weight.shape}, expected ({X.shape[0]},)"
            )
    estimator.n_features_in_ = X.shape[1]
    return X, y, sample_weight


def validate_predict_data(estimator: Any, X: ArrayLike) -> NDArray[np.float64]:
    """``X`` (m, n) as float64 for a fitted estimator, checked against ``n_features_in_``."""
    if HAVE_SKLEARN:
        return validate_data(estimator, X, dtype=np.float64, reset=False)
    X = _fallback_X(X, type(estimator).__name__)
    if X.shape[1] != estimator.n_features_in_:
        raise ValueError(
            f"X has {X.shape[1]} features, but {type(estimator).__name__} is expecting "
            f"{estimator.n_features_in_} features as input"
        )
    return X


def check_fitted(estimator: Any, attribute: str = "coef_") -> None:
    """Raise `NotFittedError` unless ``estimator`` has been fitted (has ``attribute``)."""
    if not hasattr(estimator, attribute):
        raise NotFittedError(
            f"This {type(estimator).__name__} instance is not fitted yet. Call 'fit' with "
            "appropriate arguments before using this estimator."
        )
