"""The regularized logistic-regression objective, stated once, for every solver.

scikit-learn's primal problem (``LogisticRegression``, version 1.8 and later) is::

    C * sum_i s_i loss_i(w, b)  +  (1 - l1_ratio) / 2 * ||w||_2^2  +  l1_ratio * ||w||_1

with ``s_i`` the sample weights and the intercept ``b`` not penalized. Divided by ``C * S``
(``S = sum_i s_i``, which is ``m`` without weights) it has the same minimizer and becomes::

    f(theta) = sum_i (s_i / S) loss_i
               + 1 / (C S) * [(1 - l1_ratio) / 2 ||w||^2 + l1_ratio ||w||_1]

which is what `BinaryObjective.value` returns: the course's cost ``J + lambda / (2m) ||w||^2``
(``lambda = 1 / C``, no weights, ``l1_ratio = 0``) exactly, and for ``C = inf`` the mean
log-loss, finite where the primal is not. scikit-learn's own solvers work on this scaling too
(its ``tol`` is a bound on this gradient), so tolerances mean the same thing here and there.
``sklearn_objective = C * S * value`` converts back (`BinaryObjective.primal`).

The objective protocol (`Objective`) is what `micrograd_lr.logistic.solvers.minimize` needs;
`BinaryObjective` implements it for the sigmoid model, and a multinomial objective can
implement the same methods over its own flat parameter vector.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._checks import _check_samples
from .course import _largest_curvature, features_too_large
from .value_graph import CostDerivatives, _GraphBuilder

__all__ = ["OBJECTIVE_ENGINES", "BinaryObjective", "Objective"]

OBJECTIVE_ENGINES: tuple[str, ...] = ("numpy", "value")
"""Where the data term's derivatives come from: the closed form, or a graph of Values."""


@runtime_checkable
class Objective(Protocol):
    """What a solver needs from an objective ``f = smooth part + sum(l1_weights * |theta|)``.

    ``theta`` is one flat float64 vector of ``n_params`` parameters. The smooth part is the
    data term plus the L2 penalty; the L1 part is handled by the solvers that can (its
    proximal map is `prox_l1`). ``value`` is the whole objective, in the mean-loss scaling
    described in the module docstring (so that ``tol`` means what it means in scikit-learn).

    Optionally, ``lipschitz() -> float`` bounds the smooth part's curvature (the largest
    eigenvalue of its Hessian anywhere): gradient descent then steps by ``1/L``, and FISTA and
    L-BFGS start from that scale; without it they find a step by backtracking.
    """

    n_params: int
    l1_weights: NDArray[np.float64] | None

    def value(self, theta: NDArray[np.float64]) -> float: ...

    def smooth_value_and_gradient(
        self, theta: NDArray[np.float64]
    ) -> tuple[float, NDArray[np.float64]]: ...

    def smooth_hessian(self, theta: NDArray[np.float64]) -> NDArray[np.float64]: ...

    def prox_l1(self, theta: NDArray[np.float64], step: float) -> NDArray[np.float64]: ...


def _check_C(C: Any) -> float:
    if isinstance(C, bool) or not isinstance(C, Real) or not float(C) > 0:
        raise ValueError(f"C must be a positive number (math.inf for no penalty), got {C!r}")
    if math.isinf(1.0 / float(C)):  # a subnormal C: the penalty 1/C would be inf, then nan
        raise ValueError(
            f"C = {float(C)!r} is too small: the penalty strength 1/C overflows a float; "
            "use C >= 1e-300"
        )
    return float(C)


def _check_l1_ratio(l1_ratio: Any) -> float:
    if (
        isinstance(l1_ratio, bool)
        or not isinstance(l1_ratio, Real)
        or not 0 <= float(l1_ratio) <= 1
    ):
        raise ValueError(f"l1_ratio must be a number in [0, 1], got {l1_ratio!r}")
    return float(l1_ratio)


def _check_binary(X: ArrayLike, y: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``X`` (m, n) as finite float64 and ``y`` (m,) of 0.0 and 1.0."""
    X = _check_samples(X).astype(np.float64, copy=False)
    y = np.asarray(y)
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape (m,) = ({X.shape[0]},) to match X, got {y.shape}")
    if not (np.issubdtype(y.dtype, np.number) or y.dtype == np.bool_):
        raise TypeError(f"y must hold the labels 0 and 1, got dtype {y.dtype}")
    bad = (y != 0) & (y != 1)
    if bad.any():
        j = int(np.argmax(bad))
        raise ValueError(f"y must hold the labels 0 and 1 only, got {y[j].item()!r} at row {j}")
    return X, y.astype(np.float64)


def _check_sample_weight(
    sample_weight: ArrayLike | None, m: int
) -> tuple[float, NDArray[np.float64]]:
    """The weights' sum ``S`` and the weights divided by it; ``(m, 1/m each)`` for None."""
    if sample_weight is None:
        return float(m), np.full(m, 1.0 / m)
    s = np.asarray(sample_weight, dtype=np.float64)
    if s.ndim == 0:
        s = np.full(m, float(s))
    if s.shape != (m,):
        raise ValueError(f"sample_weight must have shape (m,) = ({m},), got shape {s.shape}")
    if not np.isfinite(s).all() or (s < 0).any():
        j = int(np.argmax(~np.isfinite(s) | (s < 0)))
        raise ValueError(f"sample_weight must be finite and >= 0, got {s[j]!r} at row {j}")
    total = float(s.sum())
    if not total > 0:
        raise ValueError("sample_weight sums to 0: at least one example needs a positive weight")
    return total, s / total


class BinaryObjective:
    """The sigmoid model's regularized cross-entropy over data ``X`` (m, n), labels 0 and 1.

    ``f(theta) = sum_i u_i loss_i + alpha/2 ||w||^2 + beta ||w||_1`` with ``u = s / sum(s)``,
    ``alpha = (1 - l1_ratio) / (C S)`` and ``beta = l1_ratio / (C S)``: scikit-learn's primal
    divided by ``C S`` (see the module docstring), the intercept unpenalized.

    Parameters
    ----------
    X : array, shape (m, n)
        One row per example; converted to float64 once (solvers need the precision).
    y : array, shape (m,)
        Labels 0 and 1.
    C : float, default 1.0
        Inverse regularization strength, > 0; ``math.inf`` for no penalty.
    l1_ratio : float, default 0.0
        The elastic-net mix in [0, 1]: 0 is L2 only, 1 is L1 only.
    sample_weight : array, shape (m,), optional
        Non-negative weights ``s_i``; None weighs every example 1.
    fit_intercept : bool, default True
        With an intercept ``b`` (the last parameter) or without.
    engine : {"numpy", "value"}, default "numpy"
        The data term's value, gradient and Hessian in closed form, or from a graph of
        Values (gradient by ``backward``, Hessian by backpropagating each gradient entry's
        graph again, ``create_graph=True``). The penalty terms are closed form in both.
    fused : bool, default True
        With ``engine="value"``: fused nodes or the composed graph learners draw.
    compiled : bool, default True
        With ``engine="value"``: after `~micrograd_lr.logistic.value_graph.COMPILE_AFTER`
        evaluations on the engine (of gradients, or of Hessians), trace the graph once and
        replay it compiled (the same numbers bit for bit, several times faster; see
        `CostDerivatives`). False keeps the plain engine for every evaluation.

    Attributes
    ----------
    n_params : int
        ``n + 1`` with an intercept, else ``n``; ``theta = [w..., b]``.
    l1_weights : array, shape (n_params,), or None
        ``beta`` for each weight and 0 for the intercept; None when there is no L1 term.
    alpha : float
        The L2 coefficient in this scaling.
    weight_sum : float
        ``S``, the sum of the sample weights (``m`` without them).
    scale : float
        ``C * S``: ``primal(theta) = scale * value(theta)`` is scikit-learn's objective
        (``inf`` for ``C = inf``, where `primal` is ``S * value``, the summed loss).

    Examples
    --------
    >>> X, y = np.array([[-1.0], [1.0], [2.0]]), np.array([0, 1, 0])
    >>> f = BinaryObjective(X, y, C=1.0)
    >>> theta = np.zeros(f.n_params)
    >>> bool(f.value(theta) == math.log(2)), f.primal(theta) == 3 * math.log(2)
    (True, True)
    """

    def __init__(
        self,
        X: ArrayLike,
        y: ArrayLike,
        *,
        C: float = 1.0,
        l1_ratio: float = 0.0,
        sample_weight: ArrayLike | None = None,
        fit_intercept: bool = True,
        engine: str = "numpy",
        fused: bool = True,
        compiled: bool = True,
    ) -> None:
        if engine not in OBJECTIVE_ENGINES:
            raise ValueError(
                f"engine must be one of {', '.join(OBJECTIVE_ENGINES)}; got {engine!r}"
            )
        self.X, self.y = _check_binary(X, y)
        m, n = self.X.shape
        self.C = _check_C(C)
        self.l1_ratio = _check_l1_ratio(l1_ratio)
        self.weight_sum, self.u = _check_sample_weight(sample_weight, m)
        self.scale = self.C * self.weight_sum
        self.alpha = 0.0 if math.isinf(self.C) else (1.0 - self.l1_ratio) / self.scale
        beta = 0.0 if math.isinf(self.C) else self.l1_ratio / self.scale
        self.fit_intercept = bool(fit_intercept)
        self.n_features = n
        self.n_params = n + int(self.fit_intercept)
        self.l1_weights: NDArray[np.float64] | None = None
        if beta > 0:
            self.l1_weights = np.full(self.n_params, beta)
            if self.fit_intercept:
                self.l1_weights[-1] = 0.0
        self.engine = engine
        self.fused = bool(fused)
        self.compiled = bool(compiled)
        self._derivatives: CostDerivatives | None = None
        self._weighted = sample_weight is not None

    # ---- the parts of theta -----------------------------------------------------------------
    def split(self, theta: NDArray[np.float64]) -> tuple[NDArray[np.float64], float]:
        """``(w, b)`` from ``theta`` (``b = 0.0`` without an intercept)."""
        theta = np.asarray(theta, dtype=np.float64)
        if theta.shape != (self.n_params,):
            raise ValueError(f"theta must have shape ({self.n_params},), got {theta.shape}")
        if self.fit_intercept:
            return theta[:-1], float(theta[-1])
        return theta, 0.0

    def _penalty(self, w: NDArray[np.float64]) -> float:
        return 0.5 * self.alpha * float(w @ w) if self.alpha else 0.0

    # ---- the data term ------------------------------------------------------------------------
    def _data_numpy(self, w: NDArray[np.float64], b: float) -> tuple[float, NDArray[np.float64]]:
        with np.errstate(over="ignore", invalid="ignore"):
            z = self.X @ w + b
        if not np.isfinite(z).all():
            raise ValueError(
                f"the logits X w + b overflow float64 (largest |x| = "
                f"{float(np.max(np.abs(self.X))):.3g}, largest |w| = "
                f"{float(np.max(np.abs(w))):.3g}): the weights are far too large (a learning "
                "rate too large?) or the features are (standardize them: standardize=True, or "
                "--standardize on the command line)"
            )
        e = np.exp(-np.abs(z))
        q = e / (1.0 + e)  # sigmoid(-|z|), in (0, 1/2]
        # sigmoid(z) - y without cancelling: 1 - y - q above 0, q - y below (y is 0 or 1).
        residual = np.where(z >= 0, (1.0 - self.y) - q, q - self.y) * self.u
        loss = np.maximum(z, 0.0) - self.y * z + np.log1p(e)
        gradient = np.empty(self.n_params)
        gradient[: self.n_features] = self.X.T @ residual
        if self.fit_intercept:
            gradient[-1] = residual.sum()
        return float(self.u @ loss), gradient

    def _graph(self) -> CostDerivatives:
        """The Value graph's derivatives, its data prepared on first use."""
        if self._derivatives is None:
            builder = _GraphBuilder(
                self.X.T, self.y, fused=self.fused, weights=self.u if self._weighted else None
            )
            self._derivatives = CostDerivatives(builder, compiled=self.compiled)
        return self._derivatives

    def _data_value(self, w: NDArray[np.float64], b: float) -> tuple[float, NDArray[np.float64]]:
        value, gradient = self._graph().value_and_gradient([*w.tolist(), b])
        return value, gradient[: self.n_params]

    # ---- the protocol ------------------------------------------------------------------------
    def smooth_value_and_gradient(
        self, theta: NDArray[np.float64]
    ) -> tuple[float, NDArray[np.float64]]:
        """The data term plus the L2 penalty, and its gradient, shape (n_params,)."""
        w, b = self.split(theta)
        if self.engine == "value":
            value, gradient = self._data_value(w, b)
        else:
            value, gradient = self._data_numpy(w, b)
        if self.alpha:
            gradient[: self.n_features] += self.alpha * w
        return value + self._penalty(w), gradient

    def value(self, theta: NDArray[np.float64]) -> float:
        """The whole objective, L1 term included (scikit-learn's primal divided by ``scale``)."""
        smooth, _ = self.smooth_value_and_gradient(theta)
        if self.l1_weights is None:
            return smooth
        return smooth + float(self.l1_weights @ np.abs(theta))

    def primal(self, theta: NDArray[np.float64]) -> float:
        """scikit-learn's objective ``C sum s_i loss_i + penalty`` (``scale * value``; for
        ``C = inf`` the weighted sum of losses alone)."""
        return self.value(theta) * (self.weight_sum if math.isinf(self.C) else self.scale)

    def smooth_hessian(self, theta: NDArray[np.float64]) -> NDArray[np.float64]:
        """The Hessian of the smooth part, shape (n_params, n_params)."""
        w, b = self.split(theta)
        if self.engine == "value":
            _, _, H = self._graph().value_gradient_hessian([*w.tolist(), b])
            H = H[: self.n_params, : self.n_params]
        else:
            with np.errstate(over="ignore", invalid="ignore"):
                z = self.X @ w + b
            e = np.exp(-np.abs(z))
            curvature = self.u * (e / (1.0 + e) ** 2)  # u * a(1 - a), no cancellation
            H = np.empty((self.n_params, self.n_params))
            with np.errstate(over="ignore", invalid="ignore"):
                block = self.X.T @ (self.X * curvature[:, None])
                # Symmetric bit for bit (the product's two halves round differently).
                H[: self.n_features, : self.n_features] = 0.5 * (block + block.T)
                if self.fit_intercept:
                    H[-1, : self.n_features] = H[: self.n_features, -1] = curvature @ self.X
                    H[-1, -1] = curvature.sum()
        if not np.isfinite(H).all():
            raise features_too_large(float(np.max(np.abs(self.X))), "the Hessian (x_j x_k a(1-a))")
        if self.alpha:
            H[np.arange(self.n_features), np.arange(self.n_features)] += self.alpha
        return H

    def prox_l1(self, theta: NDArray[np.float64], step: float) -> NDArray[np.float64]:
        """Soft-thresholding: ``sign(t) max(|t| - step * l1_weights, 0)`` (``theta`` itself
        when there is no L1 term)."""
        if self.l1_weights is None:
            return np.array(theta, dtype=np.float64)
        threshold = step * self.l1_weights
        return np.sign(theta) * np.maximum(np.abs(theta) - threshold, 0.0)

    def lipschitz(self) -> float:
        """``L``, a bound on the smooth part's curvature: ``lambda_max(X1^T diag(u) X1) / 4 +
        alpha`` (``X1`` with a column of ones when there is an intercept). Computed without
        overflow (see `lipschitz_learning_rate`); may be ``inf`` for features near 1e154 and
        above, whose squares leave the float64 range."""
        s, largest = _largest_curvature(self.X.T, self.u, intercept=self.fit_intercept)
        with np.errstate(over="ignore"):
            return float(s * s * largest / 4.0 + self.alpha)
