"""Softmax (multinomial) regression: the closed form, the same cost as a graph of Values, and
the regularized objective that the solvers minimize.

Two layouts, as elsewhere in the package:

- the course's: ``X`` of shape ``(n_x, m)``, ``W`` of shape ``(n_x, K)``, ``b`` of shape
  ``(K, 1)``, ``Y`` one-hot of shape ``(K, m)``; ``Z = W^T X + b``, ``A = softmax(Z)`` column
  by column, ``J = -sum(Y * log A) / m``, ``dW = X (A - Y)^T / m``, ``db = mean(A - Y)``
  along the examples (`softmax_propagate`, `softmax_cost_graph`);
- scikit-learn's, for the estimator and the solvers: ``X`` of shape ``(m, n)``, integer
  labels ``y`` in ``0 .. K-1``, and the parameters as one flat vector (`MultinomialObjective`).

Every cross-entropy is computed from the logits by a log-sum-exp shifted by the largest
logit, ``log(sum(exp(z - max z))) - (z_y - max z)``: ``exp`` never sees a positive argument,
so logits of +-1e4 (or 1e300) give finite, exact losses and gradients.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .. import fused as _fused
from ..autodiff import hessian as _value_hessian
from ..engine import Value
from ._checks import _check_finite, _check_X
from .course import _largest_curvature
from .objective import OBJECTIVE_ENGINES, _check_C, _check_l1_ratio, _check_sample_weight

__all__ = [
    "MultinomialObjective",
    "softmax_cost_graph",
    "softmax_propagate",
]

FloatArray = NDArray[np.float64]


# ---------------------------------------------------------------------------------------------
# Closed form, on checked arrays; the examples are rows, the classes columns.


def _shifted_logits(Z: NDArray[Any]) -> tuple[NDArray[Any], NDArray[Any]]:
    """``Z - max(Z)`` row by row and ``log(sum(exp(Z - max(Z))))``, shape (m, 1)."""
    D = Z - Z.max(axis=1, keepdims=True)
    return D, np.log(np.exp(D).sum(axis=1, keepdims=True))


def _cross_entropy(Z: NDArray[Any], Y: NDArray[Any]) -> tuple[NDArray[Any], NDArray[Any]]:
    """The probabilities ``softmax(Z)`` (m, K) and each row's cross-entropy against the
    (one-hot or soft) labels ``Y`` (m,), both stable for any finite logits."""
    D, lse = _shifted_logits(Z)
    log_p = D - lse  # <= 0, exact even where a probability underflows to 0
    return np.exp(log_p), -(Y * log_p).sum(axis=1)


def _one_hot(y: NDArray[np.intp], n_classes: int) -> FloatArray:
    Y = np.zeros((y.shape[0], n_classes))
    Y[np.arange(y.shape[0]), y] = 1.0
    return Y


# ---------------------------------------------------------------------------------------------
# The course's layout.


def _check_softmax_data(
    W: ArrayLike, b: ArrayLike, X: ArrayLike, Y: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    X = _check_X(X).astype(np.float64, copy=False)
    _check_finite(X)
    n_x, m = X.shape
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2 or W.shape[0] != n_x:
        raise ValueError(
            f"W must have shape (n_x, K) = ({n_x}, K), one column per class, to match X of "
            f"shape {X.shape}; got shape {W.shape}"
        )
    K = W.shape[1]
    if K < 2:
        raise ValueError(f"softmax regression needs at least 2 classes (columns of W), got {K}")
    b = np.asarray(b, dtype=np.float64)
    if b.shape not in ((K, 1), (K,)):
        raise ValueError(f"b must have shape (K, 1) = ({K}, 1) (or ({K},)), got shape {b.shape}")
    Y = np.asarray(Y, dtype=np.float64)
    if Y.shape != (K, m):
        raise ValueError(
            f"Y must be one-hot of shape (K, m) = ({K}, {m}), one column per example; got "
            f"shape {Y.shape}"
        )
    if not (np.isfinite(W).all() and np.isfinite(b).all()):
        raise ValueError("W and b must be finite")
    # The gradient X (A - Y)^T / m assumes each column of Y is a distribution over classes.
    bad = (Y < 0).any(axis=0) | (np.abs(Y.sum(axis=0) - 1.0) > 1e-9)
    if bad.any():
        j = int(np.argmax(bad))
        raise ValueError(
            f"each column of Y must be one-hot (or a distribution: entries >= 0 summing to 1); "
            f"column {j} is {Y[:, j].tolist()}"
        )
    return W, b.reshape(K, 1), X, Y


def softmax_propagate(
    W: ArrayLike, b: ArrayLike, X: ArrayLike, Y: ArrayLike
) -> tuple[dict[str, FloatArray], float]:
    """The softmax-regression cost and its gradient, in the course's layout.

    ``Z = W^T X + b``, ``A = softmax(Z)`` over the classes (each column sums to 1),
    ``J = -(1/m) sum(Y * log(A))``, ``dW = X (A - Y)^T / m`` and ``db = mean(A - Y, axis=1)``.

    Parameters
    ----------
    W : array, shape (n_x, K)
    b : array, shape (K, 1) or (K,)
    X : array, shape (n_x, m)
    Y : array, shape (K, m)
        One-hot labels (a column may also be any distribution over the classes).

    Returns
    -------
    grads : dict
        ``"dW"`` of shape (n_x, K) and ``"db"`` of shape (K, 1).
    cost : float

    Examples
    --------
    >>> X = np.array([[1.0, -1.0, 0.5]])
    >>> Y = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    >>> grads, cost = softmax_propagate(np.zeros((1, 3)), np.zeros((3, 1)), X, Y)
    >>> bool(np.isclose(cost, np.log(3))), grads["dW"].round(4).tolist()
    (True, [[-0.2778, 0.3889, -0.1111]])
    """
    W, b, X, Y = _check_softmax_data(W, b, X, Y)
    m = X.shape[1]
    A, losses = _cross_entropy((W.T @ X + b).T, Y.T)
    dZ = A.T - Y  # (K, m)
    return {"dW": X @ dZ.T / m, "db": dZ.mean(axis=1, keepdims=True)}, float(losses.sum() / m)


def _value_cross_entropy(z: Sequence[Value], label: int | Sequence[float]) -> Value:
    """One example's cross-entropy as a graph of engine primitives: the shifted logits
    ``d_k = z_k - max(z)`` (the maximum folded in as a float constant, so the gradient stays
    exactly ``softmax(z) - y``), ``log(sum(exp(d_k)))``, minus ``d_y``."""
    shift = max(v.data for v in z)
    d = [v - shift for v in z]
    total = d[0].exp()
    for dk in d[1:]:
        total = total + dk.exp()
    lse = total.log()
    if isinstance(label, int):
        return lse - d[label]
    out = lse
    for dk, yk in zip(d, label, strict=True):  # soft labels: sum_k y_k (lse - d_k)
        if yk:
            out = out - yk * dk
    return out


def softmax_cost_graph(
    W: Sequence[Sequence[Value]],
    b: Sequence[Value],
    X: ArrayLike,
    Y: ArrayLike,
    *,
    fused: bool = False,
) -> Value:
    """The softmax-regression cost ``J(W, b)`` over the data, built as a graph of Values.

    Parameters
    ----------
    W : n_x sequences of K Value
        ``W[j][k]``, the weight of feature ``j`` for class ``k`` (leaves).
    b : sequence of K Value
    X : array, shape (n_x, m)
    Y : array, shape (K, m)
        One-hot labels.
    fused : bool, default False
        False: each logit composed from ``*`` and ``+``; True: one `fused.linear` node per
        logit. The log-sum-exp is composed from engine primitives either way.

    Examples
    --------
    >>> W = [[Value(0.0, "W[0,0]"), Value(0.0, "W[0,1]")]]
    >>> b = [Value(0.0, "b[0]"), Value(0.0, "b[1]")]
    >>> J = softmax_cost_graph(W, b, [[2.0]], [[1], [0]])
    >>> J.backward()
    >>> J.data == math.log(2), W[0][0].grad, W[0][1].grad
    (True, -1.0, 1.0)
    """
    params = [*(v for row in W for v in row), *b]
    for v in params:
        if not isinstance(v, Value):
            raise TypeError(
                f"every parameter must be a Value (a leaf), got {type(v).__name__}: {v!r}; "
                "wrap it: Value(x)"
            )
    K = len(b)
    W_data = np.array([[v.data for v in row] for row in W], dtype=np.float64).reshape(-1, K)
    _, _, X_arr, Y_arr = _check_softmax_data(W_data, [v.data for v in b], X, Y)
    columns = [[row[k] for row in W] for k in range(K)]
    rows, labels = X_arr.T.tolist(), Y_arr.T.tolist()
    m = len(rows)
    total: Value | None = None
    for row, y in zip(rows, labels, strict=True):
        z = [_logit(columns[k], b[k], row, fused) for k in range(K)]
        loss = _value_cross_entropy(z, y.index(1.0) if y.count(1.0) == 1 else y)
        total = loss if total is None else total + loss
    assert total is not None  # _check_X refuses m == 0
    return total / m


def _logit(w: Sequence[Value], b: Value | None, row: Any, fused: bool) -> Value:
    """``w.x + b`` as one fused node (``row`` a prepared `linear_op`) or composed from ``*``
    and ``+`` (``row`` a list of floats); ``b=None``: no intercept."""
    if fused:
        # fused.linear always adds a b: a fresh constant 0 stands in (never a parameter).
        return _fused.linear(w, Value(0.0) if b is None else b, row)
    z = w[0] * row[0]
    for wj, xj in zip(w[1:], row[1:], strict=True):
        z = z + wj * xj
    return z if b is None else z + b


# ---------------------------------------------------------------------------------------------
# The objective the solvers minimize (scikit-learn's layout and scaling).


class MultinomialObjective:
    """The regularized multinomial cross-entropy, scikit-learn's multinomial
    `LogisticRegression` objective, as a function of one flat parameter vector.

    With ``Theta = theta.reshape(n + 1, K)`` (rows: the ``n`` features' weights ``W``, then the
    intercepts ``b``; only ``n`` rows when ``fit_intercept=False``), ``Z = X W + b``, the
    cross-entropy ``CE_i = logsumexp(Z_i) - Z_i[y_i]`` and sample weights ``s`` summing to
    ``S``, scikit-learn's primal problem is::

        C * sum_i s_i CE_i + (1 - l1_ratio)/2 ||W||_F^2 + l1_ratio ||W||_1

    (all ``K`` classes parametrized, the intercepts unpenalized). As in `BinaryObjective`,
    `value` returns it divided by ``C S``, ``sum_i (s_i/S) CE_i + alpha/2 ||W||^2 +
    beta ||W||_1``, with the same minimizer; `primal` converts back. ``C=inf``: no penalty,
    the weighted mean cross-entropy.

    **Identifiability.** Adding the same number to every intercept changes no probability,
    so the objective alone has a line of minima (a plane of them without the L2 term: the
    same holds for each feature's weights). Like scikit-learn, the solution is taken where
    the intercepts sum to 0 over the classes (and, without any penalty, each feature's
    weights too). To make that point the unique minimum and the Hessian non-singular, the
    smooth part adds ``mu/2 (sum_k b_k)^2`` (and ``mu/2 sum_j (sum_k W_jk)^2`` without a
    penalty), ``mu = 1/K^2``. The term is 0 on that subspace, which a solver started from 0
    never leaves (every gradient's rows sum to 0 over the classes, and Newton's step solves a
    system that keeps the subspace), so it changes neither the minimum value nor a
    first-order solver's path; it only makes Newton's step unique.

    Parameters
    ----------
    X : array, shape (m, n)
    y : array of int, shape (m,)
        Class indices ``0 .. K-1``.
    n_classes : int, optional
        ``K``; by default ``max(y) + 1``. At least 2.
    C : float, default 1.0
        Inverse regularization strength, > 0; ``math.inf`` for none.
    l1_ratio : float, default 0.0
        The L1 share of the penalty, in [0, 1].
    sample_weight : array, shape (m,), optional
        Non-negative weights; by default 1 for every example.
    fit_intercept : bool, default True
    engine : {"numpy", "value"}, default "numpy"
        ``"numpy"``: the closed forms. ``"value"``: the data term and its gradient from a graph
        of Values (logits, a log-sum-exp and the cross-entropy) built on every call, and the
        Hessian from the engine's second derivatives of each example's cross-entropy with
        respect to its ``K`` logits, combined with ``X`` by the chain rule (the logits are
        linear in ``theta``, so that is the whole Hessian). The penalty terms are closed form.
    fused : bool, default True
        With ``engine="value"``: one fused node per logit, or logits composed of ``*`` and
        ``+``.

    Attributes
    ----------
    n_params : int
        ``(n + 1) * K`` (``n * K`` without intercepts).
    l1_weights : array, shape (n_params,), or None
        The L1 term is ``sum(l1_weights * |theta|)``: ``beta = l1_ratio / (C S)`` for the
        weights, 0 for the intercepts; None when there is no L1 term.
    alpha : float
        The L2 coefficient, ``(1 - l1_ratio) / (C S)``.
    scale : float
        ``C S``: ``primal(theta) = scale * value(theta)``.

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [2.0]])
    >>> f = MultinomialObjective(X, np.array([0, 1, 2]), C=1.0)
    >>> theta = np.zeros(f.n_params)
    >>> bool(np.isclose(f.primal(theta), 3 * np.log(3)))
    True
    >>> (3 * f.smooth_value_and_gradient(theta)[1]).reshape(2, 3).round(4).tolist()
    [[1.0, 0.0, -1.0], [0.0, 0.0, 0.0]]
    """

    def __init__(
        self,
        X: ArrayLike,
        y: ArrayLike,
        *,
        n_classes: int | None = None,
        C: float = 1.0,
        l1_ratio: float = 0.0,
        sample_weight: ArrayLike | None = None,
        fit_intercept: bool = True,
        engine: str = "numpy",
        fused: bool = True,
    ) -> None:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.size == 0:
            raise ValueError(f"X must be a non-empty 2-D array of shape (m, n), got {X.shape}")
        if not np.isfinite(X).all():
            raise ValueError("X must be finite (no NaN or infinity)")
        m, n = X.shape
        y = np.asarray(y)
        if y.shape != (m,) or not np.issubdtype(y.dtype, np.integer):
            raise ValueError(f"y must be class indices of shape ({m},), got {y.dtype} {y.shape}")
        K = int(y.max()) + 1 if n_classes is None else int(n_classes)
        if K < 2 or y.min() < 0 or y.max() >= K:
            raise ValueError(f"y must hold class indices in 0 .. {K - 1} with K >= 2 classes")
        if engine not in OBJECTIVE_ENGINES:
            raise ValueError(
                f"engine must be one of {', '.join(OBJECTIVE_ENGINES)}; got {engine!r}"
            )
        self.C, self.l1_ratio = _check_C(C), _check_l1_ratio(l1_ratio)
        total, self.u = _check_sample_weight(sample_weight, m)

        self.X, self.y, self.n_classes, self.n_features = X, y.astype(np.intp), K, n
        self.fit_intercept = bool(fit_intercept)
        self.engine, self.fused = engine, bool(fused)
        self.scale = self.C * total
        self._total = total
        penalized = math.isfinite(self.C)
        self.alpha = (1.0 - self.l1_ratio) / self.scale if penalized else 0.0
        beta = self.l1_ratio / self.scale if penalized else 0.0
        self.rows = n + int(self.fit_intercept)
        self.n_params = self.rows * K
        self.shape = (self.rows, K)
        self._Y = _one_hot(self.y, K)
        self._Xb = np.hstack([X, np.ones((m, 1))]) if self.fit_intercept else X
        penalty_rows = np.zeros(self.rows, dtype=bool)
        penalty_rows[:n] = True
        self._weight_mask = np.repeat(penalty_rows, K)  # True for W, False for b
        self.l1_weights: FloatArray | None = (
            np.where(self._weight_mask, beta, 0.0) if beta > 0 else None
        )
        # The rows whose sum over the classes is pinned to 0 (see the class docstring).
        center = np.zeros(self.rows, dtype=bool)
        center[n:] = True
        if not penalized:
            center[:n] = True
        self._center_rows = center
        self._mu = 1.0 / K**2
        self._graph: _SoftmaxGraph | None = None

    # -- the parts ----------------------------------------------------------------------------

    def _theta(self, theta: ArrayLike) -> FloatArray:
        theta = np.asarray(theta, dtype=np.float64)
        if theta.shape != (self.n_params,):
            raise ValueError(
                f"theta must have shape ({self.n_params},) = (n + 1) * K, got {theta.shape}"
            )
        return theta.reshape(self.shape)

    def logits(self, theta: ArrayLike) -> FloatArray:
        """``Z = X W + b``, shape (m, K)."""
        return self._Xb @ self._theta(theta)

    def probabilities(self, theta: ArrayLike) -> FloatArray:
        """``softmax(Z)``, shape (m, K); each row sums to 1."""
        return _cross_entropy(self.logits(theta), self._Y)[0]

    def _center_term(self, T: FloatArray) -> tuple[float, FloatArray]:
        sums = np.where(self._center_rows, T.sum(axis=1), 0.0)
        grad = np.repeat(self._mu * sums[:, None], self.n_classes, axis=1)
        return 0.5 * self._mu * float(sums @ sums), grad

    def _data_value_and_gradient(self, T: FloatArray) -> tuple[float, FloatArray]:
        if self.engine == "value":
            if self._graph is None:
                self._graph = _SoftmaxGraph(
                    self.X,
                    self.y,
                    self.u,
                    fused=self.fused,
                    fit_intercept=self.fit_intercept,
                )
            return self._graph.value_and_gradient(T)
        P, losses = _cross_entropy(self._Xb @ T, self._Y)
        G = self._Xb.T @ (self.u[:, None] * (P - self._Y))
        return float(self.u @ losses), G

    def smooth_value_and_gradient(self, theta: ArrayLike) -> tuple[float, FloatArray]:
        """The data term plus the L2 term (and the centering term), and their gradient,
        ``X^T diag(u) (P - Y) + alpha W`` (``u = s / S``), flat like ``theta``."""
        T = self._theta(theta)
        value, G = self._data_value_and_gradient(T)
        if self.alpha:
            W = T[: self.n_features]
            value += 0.5 * self.alpha * float((W * W).sum())
            G[: self.n_features] += self.alpha * W
        center, center_grad = self._center_term(T)
        return value + center, (G + center_grad).ravel()

    def value(self, theta: ArrayLike) -> float:
        """The whole objective (the smooth part plus the L1 term), scikit-learn's primal
        divided by ``scale``."""
        value = self.smooth_value_and_gradient(theta)[0]
        if self.l1_weights is not None:
            value += float(self.l1_weights @ np.abs(np.asarray(theta, dtype=np.float64)))
        return value

    def primal(self, theta: ArrayLike) -> float:
        """scikit-learn's objective ``C sum s_i CE_i + penalty`` (``scale * value``; for
        ``C = inf`` the weighted sum of cross-entropies alone)."""
        return self.value(theta) * (self._total if math.isinf(self.C) else self.scale)

    def lipschitz(self) -> float:
        """``L``, a bound on the smooth part's curvature: ``lambda_max(X1^T diag(u) X1) / 2 +
        alpha + mu K`` (the Hessian of a log-sum-exp is at most ``I/2``; ``X1`` with a column
        of ones when there is an intercept)."""
        s, largest = _largest_curvature(self.X.T, self.u, intercept=self.fit_intercept)
        with np.errstate(over="ignore"):
            return float(s * s * largest / 2 + self.alpha + self._mu * self.n_classes)

    def _logit_hessians(self, T: FloatArray) -> FloatArray:
        """Each example's ``d2 CE / dz2 = diag(p) - p p^T``, weighted, shape (m, K, K)."""
        Z = self._Xb @ T
        if self.engine == "value":
            H = np.array(
                [
                    _value_hessian(lambda *z, k=int(k): _value_cross_entropy(z, k), list(row))
                    for row, k in zip(Z.tolist(), self.y.tolist(), strict=True)
                ]
            )
        else:
            P = _cross_entropy(Z, self._Y)[0]
            H = np.einsum("ik,kl->ikl", P, np.eye(self.n_classes)) - P[:, :, None] * P[:, None]
        return self.u[:, None, None] * H

    def smooth_hessian(self, theta: ArrayLike) -> FloatArray:
        """The Hessian of the smooth part, shape (n_params, n_params).

        In the flat order ``j * K + k`` (row ``j`` of ``Theta``, class ``k``)::

            H[(j, k), (l, q)] = sum_i u_i x_ij x_il (p_ik [k = q] - p_ik p_iq)
                            + alpha [j = l < n] [k = q] + centering

        with ``x_i`` extended by a 1 for the intercept: ``sum_i x_i x_i^T (x) Hz_i``, where
        ``Hz_i`` is the Hessian of example ``i``'s weighted cross-entropy with respect to its
        logits. Formed by ``K`` matrix products ``X^T [Hz_ikq x_il]`` (one per class ``k``),
        about ``2 m (n+1)^2 K^2`` flops.
        """
        T = self._theta(theta)
        Xb, K, rows = self._Xb, self.n_classes, self.rows
        m = Xb.shape[0]
        Hz = self._logit_hessians(T)  # (m, K, K)
        H = np.empty((rows, K, rows, K))
        for k in range(K):
            # A[j, q, l] = sum_i x_ij Hz_ikq x_il
            A = Xb.T @ (Hz[:, k, :, None] * Xb[:, None, :]).reshape(m, K * rows)
            H[:, k] = A.reshape(rows, K, rows).transpose(0, 2, 1)
        H = H.reshape(rows * K, rows * K)
        if self.alpha:
            H[np.diag_indices_from(H)] += np.where(self._weight_mask, self.alpha, 0.0)
        if self._center_rows.any():
            c = np.repeat(self._center_rows, K).astype(np.float64)
            same_row = np.kron(np.eye(rows), np.ones((K, K)))
            H += self._mu * same_row * np.outer(c, c)
        return H

    def prox_l1(self, theta: ArrayLike, step: float) -> FloatArray:
        """The proximal map of ``step * sum(l1_weights * |theta|)``: soft-thresholding of the
        weights by ``step * l1_ratio``; the intercepts pass unchanged."""
        theta = np.asarray(theta, dtype=np.float64)
        if self.l1_weights is None:
            return theta.copy()
        return np.sign(theta) * np.maximum(np.abs(theta) - step * self.l1_weights, 0.0)

    def coefficients(self, theta: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """``coef_`` of shape (K, n) and ``intercept_`` of shape (K,), scikit-learn's
        layout (zeros for the intercepts without ``fit_intercept``)."""
        T = self._theta(theta)
        b = T[self.n_features] if self.fit_intercept else np.zeros(self.n_classes)
        return T[: self.n_features].T.copy(), b.copy()


class _SoftmaxGraph:
    """The weighted data term ``sum_i c_i CE_i`` as a graph of Values over fixed data: the
    rows (and, fused, their `linear` Ops) prepared once, the graph rebuilt on every call."""

    def __init__(
        self,
        X: FloatArray,
        y: NDArray[np.intp],
        weights: FloatArray,
        *,
        fused: bool,
        fit_intercept: bool,
    ) -> None:
        self.n, self.fused, self.fit_intercept = X.shape[1], fused, fit_intercept
        self.rows: list[Any] = (
            [_fused.linear_op(row) for row in X.tolist()] if fused else X.tolist()
        )
        self.labels: list[int] = y.tolist()
        self.weights: list[float] = weights.tolist()

    def value_and_gradient(self, T: FloatArray) -> tuple[float, FloatArray]:
        n, K = self.n, T.shape[1]
        leaves = [[Value(v) for v in row] for row in T.tolist()]
        w = [[leaves[j][k] for j in range(n)] for k in range(K)]
        b: list[Value | None] = list(leaves[n]) if self.fit_intercept else [None] * K
        total: Value | None = None
        for row, label, c in zip(self.rows, self.labels, self.weights, strict=True):
            if c == 0:
                continue  # a zero weight: the example does not count
            z = [_logit(w[k], b[k], row, self.fused) for k in range(K)]
            loss = _value_cross_entropy(z, label)
            term = loss if c == 1.0 else c * loss
            total = term if total is None else total + term
        if total is None:
            return 0.0, np.zeros_like(T)
        total.backward()
        return total.data, np.array([[v.grad for v in row] for row in leaves])
