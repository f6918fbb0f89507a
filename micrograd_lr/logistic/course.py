"""The course's vectorized closed form: propagate, optimize, predict, model."""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._checks import (
    _check_b,
    _check_data,
    _check_finite,
    _check_finite_w,
    _check_iterations,
    _check_learning_rate,
    _check_w,
    _check_X,
    _warn_overflow,
)

__all__ = [
    "initialize_with_zeros",
    "lipschitz_learning_rate",
    "model",
    "optimize",
    "predict",
    "propagate",
]


def initialize_with_zeros(dim: int) -> tuple[NDArray[np.float64], float]:
    """``w`` of zeros, shape ``(dim, 1)``, and ``b = 0.0``.

    Examples
    --------
    >>> w, b = initialize_with_zeros(2)
    >>> w.shape, b
    ((2, 1), 0.0)
    """
    if isinstance(dim, bool) or not isinstance(dim, int | np.integer) or dim < 1:
        raise ValueError(f"dim must be a positive int (the number of features), got {dim!r}")
    return np.zeros((int(dim), 1)), 0.0


def _sigmoid_and_loss(Z: NDArray[Any], Y: NDArray[Any]) -> tuple[NDArray[Any], NDArray[Any]]:
    """``sigmoid(Z)`` and the log-loss of each logit, both without overflow or log(0)."""
    e = np.exp(-np.abs(Z))  # in (0, 1]: exp never sees a positive argument
    A = np.where(Z >= 0, 1.0, e) / (1.0 + e)
    loss = np.maximum(Z, 0.0) - Y * Z + np.log1p(e)
    return A, loss


def _propagate(
    w: NDArray[Any], b: float, X: NDArray[Any], Y: NDArray[Any]
) -> tuple[NDArray[Any], float, float]:
    """The closed form on checked arrays: ``(dw of shape (n_x, 1), db, cost)``."""
    m = X.shape[1]
    Z = w.T @ X + b  # (1, m)
    A, loss = _sigmoid_and_loss(Z, Y)
    dZ = A - Y
    dw = (X @ dZ.T) / m  # (n_x, 1): the second pass over X
    return dw, float(np.sum(dZ)) / m, float(np.sum(loss)) / m


def propagate(w: ArrayLike, b: float, X: ArrayLike, Y: ArrayLike) -> tuple[dict[str, Any], float]:
    """The cost and its gradient, vectorized: one forward and one backward pass over ``X``.

    Parameters
    ----------
    w : array, shape (n_x, 1) or (n_x,)
        Weights.
    b : float
        Bias.
    X : array, shape (n_x, m)
        Inputs, one column per example.
    Y : array, shape (1, m) or (m,)
        Labels, 0 or 1.

    Returns
    -------
    grads : dict
        ``"dw"``: ``X (A - Y)^T / m``, in the shape of ``w`` and the dtype of ``X``;
        ``"db"``: ``mean(A - Y)``, a float.
    cost : float
        The mean log-loss ``-mean(Y log A + (1 - Y) log(1 - A))``, computed stably.

    Examples
    --------
    >>> w, b = np.array([[1.0], [2.0]]), 2.0
    >>> X, Y = np.array([[1.0, 2.0, -1.0], [3.0, 4.0, -3.2]]), np.array([[1, 0, 1]])
    >>> grads, cost = propagate(w, b, X, Y)
    >>> grads["dw"].round(8).tolist(), round(grads["db"], 8), round(cost, 8)
    ([[0.99845601], [2.39507239]], 0.00145558, 5.80154532)
    """
    X, Y = _check_data(X, Y)
    w_shape = np.shape(w)
    w_ = _check_w(w, X.shape[0], X.dtype)
    with np.errstate(all="ignore"):  # NaN and overflow are diagnosed below
        dw, db, cost = _propagate(w_, _check_b(b), X, Y)
    if not math.isfinite(cost):
        # Only now pay for a pass over X: the cost is finite for any finite data...
        _check_finite(X)
        _check_finite_w(w_)
        _warn_overflow()  # ...unless the logits themselves overflow
    return {"dw": dw.reshape(w_shape), "db": db}, cost


def optimize(
    w: ArrayLike,
    b: float,
    X: ArrayLike,
    Y: ArrayLike,
    num_iterations: int = 100,
    learning_rate: float = 0.009,
    print_cost: bool = False,
) -> tuple[dict[str, Any], dict[str, Any], list[float]]:
    """Gradient descent: ``w -= learning_rate * dw``, ``b -= learning_rate * db``.

    Parameters
    ----------
    w, b, X, Y
        As in `propagate`; ``w`` is not modified.
    num_iterations : int, default 100
        How many updates to make.
    learning_rate : float, default 0.009
        The step size (converges for values up to ``lipschitz_learning_rate(X)``).
    print_cost : bool, default False
        Print the cost every 100 iterations.

    Returns
    -------
    params : dict
        ``"w"`` (shape of the given ``w``) and ``"b"`` after the last update.
    grads : dict
        ``"dw"`` and ``"db"`` computed at the last iteration (before its update).
    costs : list of float
        The cost at iterations 0, 100, 200, ... (before that iteration's update).
    """
    X, Y = _check_data(X, Y)
    _check_finite(X)
    w_shape = np.shape(w)
    w_ = _check_w(w, X.shape[0], X.dtype).copy()
    _check_finite_w(w_)
    b_ = _check_b(b)
    _check_iterations(num_iterations)
    _check_learning_rate(learning_rate)
    costs = []
    dw, db = np.zeros_like(w_), 0.0
    for i in range(num_iterations):
        dw, db, cost = _propagate(w_, b_, X, Y)
        w_ -= learning_rate * dw
        b_ -= learning_rate * db
        if i % 100 == 0:
            costs.append(cost)
            if print_cost:
                print(f"Cost after iteration {i}: {cost:f}")
    return (
        {"w": w_.reshape(w_shape), "b": b_},
        {"dw": dw.reshape(w_shape), "db": db},
        costs,
    )


def predict(w: ArrayLike, b: float, X: ArrayLike) -> NDArray[Any]:
    """Labels predicted for each column of ``X``: 1.0 where ``sigmoid(w^T X + b) > 0.5``.

    Parameters
    ----------
    w : array, shape (n_x, 1) or (n_x,)
        Weights.
    b : float
        Bias.
    X : array, shape (n_x, m)
        Inputs, one column per example.

    Returns
    -------
    array, shape (1, m)
        0.0 and 1.0, in the dtype of ``X``.
    """
    X = _check_X(X)
    w_ = _check_w(w, X.shape[0], X.dtype)
    with np.errstate(all="ignore"):
        Z = w_.T @ X + _check_b(b)
    if not np.isfinite(Z).all():
        _check_finite(X)
        _check_finite_w(w_)
        _warn_overflow()
    # sigmoid(z) > 0.5 exactly when z > 0; comparing the logit avoids rounding at the edge.
    return (Z > 0).astype(X.dtype)


def model(
    X_train: ArrayLike,
    Y_train: ArrayLike,
    X_test: ArrayLike,
    Y_test: ArrayLike,
    num_iterations: int = 2000,
    learning_rate: float = 0.5,
    print_cost: bool = False,
) -> dict[str, Any]:
    """Train from zeros with `optimize`, then predict on both sets.

    Parameters
    ----------
    X_train : array, shape (n_x, m_train)
    Y_train : array, shape (1, m_train) or (m_train,)
        Labels, 0 or 1.
    X_test : array, shape (n_x, m_test)
    Y_test : array, shape (1, m_test) or (m_test,)
    num_iterations : int, default 2000
        Gradient-descent steps.
    learning_rate : float, default 0.5
    print_cost : bool, default False
        Print the cost every 100 iterations and both accuracies.

    Returns
    -------
    dict
        ``"costs"`` (every 100 iterations), ``"Y_prediction_test"`` and
        ``"Y_prediction_train"`` (shape (1, m) each), ``"w"``, ``"b"``, ``"learning_rate"``,
        ``"num_iterations"``, and ``"train_accuracy"`` / ``"test_accuracy"`` (fractions).
    """
    X_train, Y_train = _check_data(X_train, Y_train)
    X_test, Y_test = _check_data(X_test, Y_test)
    if X_test.shape[0] != X_train.shape[0]:
        raise ValueError(
            f"X_test has {X_test.shape[0]} features but X_train has {X_train.shape[0]}"
        )
    w, b = initialize_with_zeros(X_train.shape[0])
    params, _, costs = optimize(w, b, X_train, Y_train, num_iterations, learning_rate, print_cost)
    Y_prediction_train = predict(params["w"], params["b"], X_train)
    Y_prediction_test = predict(params["w"], params["b"], X_test)
    train_accuracy = float(np.mean(Y_prediction_train == Y_train))
    test_accuracy = float(np.mean(Y_prediction_test == Y_test))
    if print_cost:
        print(f"train accuracy: {100 * train_accuracy:g} %")
        print(f"test accuracy: {100 * test_accuracy:g} %")
    return {
        "costs": costs,
        "Y_prediction_test": Y_prediction_test,
        "Y_prediction_train": Y_prediction_train,
        "w": params["w"],
        "b": params["b"],
        "learning_rate": learning_rate,
        "num_iterations": num_iterations,
        "train_accuracy": train_accuracy,
        "test_accuracy": test_accuracy,
    }


def features_too_large(largest: float, what: str) -> ValueError:
    """The error for features whose squares leave the float64 range: nothing but rescaling
    can help, so the message says how."""
    return ValueError(
        f"features too large: the largest |x| is {largest:.3g}, so {what} leaves the float64 "
        "range; standardize the features (standardize=True, or --standardize on the command "
        "line) or rescale them"
    )


_BLOCK = 4096
"""Columns (or rows) converted to float64 at a time: bounded extra memory for a large X."""


def _largest_curvature(
    X: NDArray[Any], u: NDArray[Any] | None, *, intercept: bool = True
) -> tuple[float, float]:
    """``(s, lam)`` with ``s**2 * lam = lambda_max(X1 diag(u) X1^T)``, without overflow.

    ``X`` has shape (n, m) (the course's layout; pass ``X.T`` for rows of examples), ``u``
    the example weights (None: ``1/m`` each) and ``X1`` is ``X`` with a row of ones when
    ``intercept``. ``s``, a power of two at least 1 and within a factor 2 of ``max |X|``,
    scales ``X`` before anything is squared, so the Gram matrix is formed from entries below
    2 in float64 (whatever ``X``'s dtype), a block of examples or features at a time;
    the ones row is scaled by the same ``s`` (it only matters when ``s`` is small).
    """
    n, m = X.shape
    largest = float(np.max(np.abs(X)))
    # The power of two just below the largest entry (so that it is representable even at
    # 1.7e308): scaled entries are below 2 and their squares below 4.
    s = 1.0 if largest <= 1.0 else math.ldexp(1.0, math.frexp(largest)[1] - 1)
    # Equal weights 1/m are divided out of the eigenvalue at the end (exactly, not as sqrt).
    root_u = None if u is None else np.sqrt(np.asarray(u, dtype=np.float64))
    rows = n + int(intercept)

    def scaled(j0: int, j1: int) -> NDArray[np.float64]:
        """Columns j0:j1 of ``X1 diag(sqrt(u)) / s`` in float64."""
        block = np.empty((rows, j1 - j0))
        block[:n] = X[:, j0:j1]
        block[:n] /= s
        if intercept:
            block[n] = 1.0 / s
        if root_u is not None:
            block *= root_u[j0:j1]
        return block

    if rows <= m:  # the (rows, rows) Gram matrix, summed over blocks of examples
        gram = np.zeros((rows, rows))
        for j0 in range(0, m, _BLOCK):
            block = scaled(j0, min(m, j0 + _BLOCK))
            gram += block @ block.T
    else:  # fewer examples than features: the (m, m) Gram matrix has the same eigenvalue
        B = scaled(0, m)
        gram = B.T @ B
    largest_eigenvalue = float(np.linalg.eigvalsh(gram)[-1])
    return s, largest_eigenvalue / m if u is None else largest_eigenvalue


def lipschitz_learning_rate(X: ArrayLike, *, C: float = math.inf) -> float:
    """``1 / L``, the largest learning rate for which gradient descent is guaranteed to
    decrease the cost of logistic regression on ``X`` (shape (n_x, m)).

    ``L = lambda_max(X1 X1^T) / (4 m) + lambda / m`` bounds the curvature of the cost
    ``J + lambda/(2m) ||w||^2``, where ``X1`` is ``X`` with a row of ones appended (for ``b``),
    1/4 is the largest slope of the sigmoid and ``lambda = 1 / C`` (0 by default: no
    penalty). The eigenvalue is taken from the smaller of the two Gram matrices, formed in
    float64 from ``X`` scaled by a power of two near its largest entry (no overflow, whatever
    the dtype; a block at a time, so no full copy of ``X``).

    Parameters
    ----------
    X : array, shape (n_x, m)
    C : float, default inf
        The inverse penalty strength, as in `BinaryObjective` (``inf``: no penalty).

    Raises
    ------
    ValueError
        "features too large" when ``1/L`` is below the smallest normal float64 (features
        beyond about 1e154, whose squares overflow): standardize them.

    Examples
    --------
    >>> X = np.array([[1.0, -1.0]])               # X1 X1^T = [[2, 0], [0, 2]], m = 2
    >>> lipschitz_learning_rate(X), lipschitz_learning_rate(X, C=1.0)
    (4.0, 1.3333333333333333)
    """
    X = _check_X(X)
    _check_finite(X)
    if isinstance(C, bool) or not isinstance(C, Real) or not float(C) > 0:
        raise ValueError(f"C must be a positive number (math.inf for no penalty), got {C!r}")
    m = X.shape[1]
    s, largest = _largest_curvature(X, None)
    curvature = largest / 4.0  # L = s**2 * curvature + lambda / m, kept apart until it is safe
    penalty = 1.0 / (float(C) * m)
    # 1/L, divided in steps so that nothing overflows first.
    rate = 1.0 / (curvature + penalty / s / s) / s / s
    if not rate >= np.finfo(np.float64).tiny:
        raise features_too_large(
            float(np.max(np.abs(X))), "the curvature bound L = lambda_max(X1 X1^T) / (4m)"
        )
    return rate
