"""`LogisticRegression`, a scikit-learn compatible estimator: binary (sigmoid) and
multinomial (softmax) logistic regression with L2, L1 and elastic-net penalties.

The estimator builds the objective (`BinaryObjective` for two classes, the course's sigmoid
model; `MultinomialObjective` for more) and hands it to `minimize`. Everything scikit-learn
specific (base classes, ``validate_data``, tags, `NotFittedError`) comes through
`micrograd_lr.sklearn`, which falls back to small equivalents when scikit-learn is not
installed, so the estimator works on the core install too.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..progress import progress_bar
from ..sklearn import ClassifierBase, check_fitted, validate_fit_data, validate_predict_data
from .objective import BinaryObjective, _check_C, _check_l1_ratio
from .softmax import MultinomialObjective, _shifted_logits
from .solvers import SOLVERS, minimize

__all__ = ["LogisticRegression"]


class LogisticRegression(ClassifierBase):
    """Logistic regression: the sigmoid model for two classes, softmax for more.

    Minimizes scikit-learn's objective ``C * sum_i s_i loss_i + (1 - l1_ratio)/2 ||w||^2 +
    l1_ratio ||w||_1`` (intercepts unpenalized; see docs/logistic.md), with the same parameter
    names and defaults as scikit-learn's `LogisticRegression` where they overlap. ``X`` has
    shape ``(m, n)``, one row per example (scikit-learn's layout, the transpose of the
    course's); the labels may be any values (ints, strings, ...), at least two of them.

    Parameters
    ----------
    C : float, default 1.0
        Inverse regularization strength, > 0; ``math.inf`` for no penalty.
    l1_ratio : float, default 0.0
        The elastic-net mix in [0, 1]: 0 is L2, 1 is L1.
    solver : {"auto", "newton", "lbfgs", "gd", ...}, default "auto"
        See `micrograd_lr.logistic.solvers.minimize`; "auto" picks one that fits the penalty
        and the problem's size.
    max_iter : int, default 100
        The most iterations of the solver; a `ConvergenceWarning` says when it stopped there.
    tol : float, default 1e-4
        The solver's stopping tolerance (on the gradient of the objective divided by
        ``C * sum(s)``, as scikit-learn's).
    fit_intercept : bool, default True
    class_weight : dict, "balanced" or None, default None
        Weights per class, multiplied into ``sample_weight``: ``{label: weight}``, or
        "balanced" for ``m / (K * count(label))``.
    learning_rate : float or None, default None
        The step size of ``solver="gd"`` (None: ``1/L``, the largest safe one).
    standardize : bool, default False
        Fit on features shifted to mean 0 and scaled to standard deviation 1 (from the
        training data; the penalty then applies in those units) and convert ``coef_`` and
        ``intercept_`` back to the original units.
    engine : {"numpy", "value"}, default "numpy"
        Gradients and Hessians in closed form, or from graphs of Values (same numbers to
        rounding, far slower; for checking and teaching).
    fused : bool, default True
        With ``engine="value"``: fused nodes or the composed graph.
    compiled : bool, default True
        With ``engine="value"`` and two classes: once a fit has made
        `~micrograd_lr.logistic.value_graph.COMPILE_AFTER` evaluations on the engine, the
        graph is traced and replayed compiled (`micrograd_lr.compile`; the same numbers bit
        for bit, faster for long fits). False keeps the plain engine. The softmax graph
        (more than two classes) always runs on the engine: it folds each example's largest
        logit in as a number, which a trace would freeze.
    progress : bool or None, default False
        A tqdm bar on stderr showing the solver's iterations and objective: None shows it
        when tqdm is installed and stderr is a terminal, True always (tqdm required).

    Attributes
    ----------
    classes_ : array, shape (K,)
        The labels, sorted.
    coef_ : array, shape (1, n) for two classes, (K, n) for more
    intercept_ : array, shape (1,) or (K,)
    n_features_in_ : int
    feature_names_in_ : array of str
        The column names, when ``X`` was a DataFrame with string column names.
    n_iter_ : array of int, shape (1,)
        The solver's iterations (scikit-learn's shape).
    converged_ : bool
    solver_ : str
        The solver that ran (what "auto" chose).
    objective_ : float
        scikit-learn's objective (the ``primal``) at the solution, in the units fitted.

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> clf = LogisticRegression().fit(X, ["no", "no", "yes", "yes"])
    >>> clf.classes_.tolist(), clf.predict([[0.2], [2.8]]).tolist()
    (['no', 'yes'], ['no', 'yes'])
    >>> clf.predict_proba([[1.5]]).round(6).tolist()
    [[0.5, 0.5]]
    """

    def __init__(
        self,
        *,
        C: float = 1.0,
        l1_ratio: float = 0.0,
        solver: str = "auto",
        max_iter: int = 100,
        tol: float = 1e-4,
        fit_intercept: bool = True,
        class_weight: dict[Any, float] | str | None = None,
        learning_rate: float | None = None,
        standardize: bool = False,
        engine: str = "numpy",
        fused: bool = True,
        compiled: bool = True,
        progress: bool | None = False,
    ) -> None:
        self.C = C
        self.l1_ratio = l1_ratio
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.learning_rate = learning_rate
        self.standardize = standardize
        self.engine = engine
        self.fused = fused
        self.compiled = compiled
        self.progress = progress

    def _check_params(self) -> None:
        """Refuse bad parameters before any work, naming the value received."""
        _check_C(self.C)
        _check_l1_ratio(self.l1_ratio)
        if self.solver != "auto" and self.solver not in SOLVERS:
            raise ValueError(
                f"solver must be 'auto' or one of {', '.join(SOLVERS)}, got {self.solver!r}"
            )
        n = self.max_iter
        if isinstance(n, bool) or not isinstance(n, Integral) or n < 1:
            raise ValueError(f"max_iter must be an int >= 1, got {n!r}")
        if isinstance(self.tol, bool) or not isinstance(self.tol, Real) or not self.tol >= 0:
            raise ValueError(f"tol must be a number >= 0, got {self.tol!r}")
        if self.engine not in ("numpy", "value"):
            raise ValueError(f"engine must be 'numpy' or 'value', got {self.engine!r}")
        cw = self.class_weight
        if cw is not None and cw != "balanced" and not isinstance(cw, dict):
            raise ValueError(f"class_weight must be None, 'balanced' or a dict, got {cw!r}")

    def _sample_weights(
        self, y_index: NDArray[np.intp], sample_weight: NDArray[np.float64] | None
    ) -> NDArray[np.float64] | None:
        """``sample_weight`` times the weight of each example's class (``class_weight``)."""
        if self.class_weight is None:
            return sample_weight
        K = len(self.classes_)
        if self.class_weight == "balanced":
            per_class = len(y_index) / (K * np.bincount(y_index, minlength=K))
        else:
            assert isinstance(self.class_weight, dict)
            unknown = set(self.class_weight) - set(self.classes_.tolist())
            if unknown:
                raise ValueError(
                    f"class_weight names labels that are not in y: {sorted(map(str, unknown))}; "
                    f"the labels are {self.classes_.tolist()}"
                )
            per_class = np.array([float(self.class_weight.get(c, 1.0)) for c in self.classes_])
        weights = per_class[y_index]
        return weights if sample_weight is None else weights * sample_weight

    def fit(
        self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> LogisticRegression:
        """Fit to ``X`` (m, n) and labels ``y`` (m,), optionally weighted; returns self."""
        self._check_params()
        X, y, weights = validate_fit_data(self, X, y, sample_weight)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        y_index = y_index.ravel().astype(np.intp)
        K = len(self.classes_)
        if K < 2:
            raise ValueError(
                "This solver needs samples of at least 2 classes in the data, but the data "
                f"contains only one class: {self.classes_[0]!r}"
            )
        mean, scale = np.zeros(X.shape[1]), np.ones(X.shape[1])
        if self.standardize:
            # Statistics weighted by sample_weight, so that a weight of 2 is a repeated row.
            mean = np.average(X, axis=0, weights=weights)
            scale = np.sqrt(np.average((X - mean) ** 2, axis=0, weights=weights))
            scale[scale == 0] = 1.0  # a constant feature stays constant
            X = (X - mean) / scale
        weights = self._sample_weights(y_index, weights)
        options: dict[str, Any] = {
            "C": float(self.C),
            "l1_ratio": float(self.l1_ratio),
            "sample_weight": weights,
            "fit_intercept": bool(self.fit_intercept),
            "engine": self.engine,
            "fused": bool(self.fused),
        }
        objective: BinaryObjective | MultinomialObjective
        if K == 2:
            objective = BinaryObjective(X, y_index, compiled=bool(self.compiled), **options)
        else:
            objective = MultinomialObjective(X, y_index, n_classes=K, **options)
        bar = progress_bar(int(self.max_iter), self.progress, desc=f"training ({self.engine})")

        def show(n_iter: int, theta: NDArray[np.float64], fun: float) -> bool:
            bar.set_postfix_str(f"objective={fun:.6g}", refresh=False)
            bar.update()
            return False  # never stop the solver

        try:
            result = minimize(
                objective,
                np.zeros(objective.n_params),
                solver=self.solver,
                tol=float(self.tol),
                max_iter=int(self.max_iter),
                learning_rate=self.learning_rate,
                callback=None if bar is None else show,
            )
        finally:
            if bar is not None:
                bar.close()
        coef, intercept = _coefficients(objective, result.theta, K)
        # w.((x - mean) / scale) + b = (w / scale).x + (b - w.(mean / scale))
        coef = coef / scale
        self.coef_ = coef
        self.intercept_ = intercept - coef @ mean
        self.n_iter_ = np.array([result.n_iter], dtype=np.int32)
        self.converged_ = bool(result.converged)
        self.solver_ = result.solver
        # scikit-learn's primal, C * sum(s_i loss_i) + penalty (C = inf: the sum alone).
        total = float(len(y_index) if weights is None else np.sum(weights))
        self.objective_ = float(result.fun) * total * (1.0 if np.isinf(self.C) else self.C)
        return self

    def decision_function(self, X: ArrayLike) -> NDArray[np.float64]:
        """The logits: ``X coef_^T + intercept_``, shape (m,) for two classes (the logit of
        ``classes_[1]``), (m, K) for more."""
        check_fitted(self)
        X = validate_predict_data(self, X)
        scores = X @ self.coef_.T + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict_log_proba(self, X: ArrayLike) -> NDArray[np.float64]:
        """The log of `predict_proba`, computed from the logits without taking ``log(0)``."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            scores = np.column_stack([np.zeros_like(scores), scores])
        D, lse = _shifted_logits(scores)
        return D - lse

    def predict_proba(self, X: ArrayLike) -> NDArray[np.float64]:
        """Each class's probability for each row, shape (m, K), columns in ``classes_``
        order; each row sums to 1."""
        return np.exp(self.predict_log_proba(X))

    def predict(self, X: ArrayLike) -> NDArray[Any]:
        """The most probable label of each row, shape (m,) (ties: the first class)."""
        scores = self.decision_function(X)
        index = (scores > 0).astype(np.intp) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes_[index]


def _coefficients(
    objective: BinaryObjective | MultinomialObjective, theta: NDArray[np.float64], K: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``coef_`` (1 or K, n) and ``intercept_`` (1 or K,) from the solver's flat ``theta``."""
    if isinstance(objective, MultinomialObjective):
        return objective.coefficients(theta)
    n = objective.n_features
    b = float(theta[n]) if objective.fit_intercept else 0.0
    return theta[:n].reshape(1, n).copy(), np.array([b])
