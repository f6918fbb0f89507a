"""Logistic regression: the vectorized closed form, the same model as a Value graph, training.

Conventions (the course's): ``X`` has shape ``(n_x, m)``, one column per example; ``Y`` has
shape ``(1, m)`` with labels 0 or 1 (shape ``(m,)`` is accepted too); ``w`` has shape
``(n_x, 1)`` (shape ``(n_x,)`` is accepted, and ``dw`` then comes back in that shape) and
``b`` is a float. The model is ``A = sigmoid(w^T X + b)`` with the mean log-loss as its cost
``J``, whose gradient in closed form is ``dw = X (A - Y)^T / m`` and ``db = mean(A - Y)``
(derived step by step in docs/logistic.md).

The loss is computed from the logit ``z`` in the stable form
``max(z, 0) - y*z + log1p(exp(-|z|))``: finite, with correct gradients, for any finite ``z``
(``log(1 - sigmoid(z))`` would hit ``log(0)`` from ``z >= 37``).

Floats keep the dtype of ``X``: a float32 ``X`` is computed in float32 and never copied to
float64 (``w`` is cast to ``X``'s dtype instead). An integer or boolean ``X`` is converted to
float64 once.

Bad input raises an error that names it: a shape other than the ones above, a label other
than 0 or 1 (by example), NaN or infinity in ``X`` (by position), a non-finite ``w`` or ``b``.
"""

from __future__ import annotations

import gc
import inspect
import math
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from numbers import Real
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import fused as _fused
from .engine import Value

__all__ = [
    "LogisticRegression",
    "TrainingResult",
    "cost_graph",
    "initialize_with_zeros",
    "lipschitz_learning_rate",
    "model",
    "optimize",
    "predict",
    "propagate",
    "train",
    "value_propagate",
]

Engine = Literal["numpy", "value"]
ENGINES: tuple[str, ...] = ("numpy", "value")
"""The two ways to compute the gradient: the vectorized closed form, or a Value graph."""


# --------------------------------------------------------------------------------------------
# Checking inputs
# --------------------------------------------------------------------------------------------
def _check_X(X: ArrayLike) -> NDArray[Any]:
    """``X`` as a float array of shape (n_x, m): no copy when it already is one, a single
    conversion to float64 for integers and booleans."""
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(
            f"X must be a 2-D array of shape (n_x, m), one column per example; got shape {X.shape}"
        )
    if not np.issubdtype(X.dtype, np.floating):
        if not (np.issubdtype(X.dtype, np.integer) or X.dtype == np.bool_):
            raise TypeError(f"X must hold numbers, got dtype {X.dtype}")
        X = X.astype(np.float64)
    if X.size == 0:
        raise ValueError(
            f"X of shape {X.shape} is empty: it needs at least one feature and example"
        )
    return X


def _check_data(X: ArrayLike, Y: ArrayLike) -> tuple[NDArray[Any], NDArray[Any]]:
    """`_check_X`, and ``Y`` as ``(1, m)`` in ``X``'s dtype."""
    X = _check_X(X)
    n_x, m = X.shape
    Y = np.asarray(Y)
    if not (np.issubdtype(Y.dtype, np.number) or Y.dtype == np.bool_):
        raise TypeError(f"Y must hold the labels 0 and 1, got dtype {Y.dtype}")
    if Y.shape == (m,):
        Y = Y.reshape(1, m)
    if Y.shape != (1, m):
        hint = ""
        if Y.size == n_x and n_x != m:
            hint = " (X looks like one row per example: pass X.T, of shape (n_x, m))"
        raise ValueError(
            f"Y must have shape (1, m) = (1, {m}) to match X of shape {X.shape}, got shape "
            f"{Y.shape}{hint}"
        )
    # Any other label makes the log-loss meaningless (a label of 2 gives a negative cost).
    bad = (Y != 0) & (Y != 1)
    if bad.any():
        j = int(np.argmax(bad.ravel()))
        raise ValueError(
            f"Y must hold the labels 0 and 1 only, got {Y.ravel()[j].item()!r} for example {j} "
            f"(column {j} of X)"
        )
    return X, Y.astype(X.dtype, copy=False)


def _check_finite(X: NDArray[Any]) -> None:
    """Refuse NaN and infinity in ``X``, naming the first one (a full pass over ``X``: done
    once before training, and by `propagate` only when its result is not finite)."""
    bad = ~np.isfinite(X)
    if bad.any():
        i, j = (int(k) for k in np.unravel_index(np.argmax(bad), X.shape))
        raise ValueError(
            f"X[{i}, {j}] (feature {i} of example {j}) is {X[i, j].item()!r}: every entry must be "
            "finite; remove or impute the missing values"
        )


def _check_w(w: ArrayLike, n_x: int, dtype: np.dtype[Any]) -> NDArray[Any]:
    """``w`` as an ``(n_x, 1)`` array of ``dtype`` (a view when it already is one)."""
    w = np.asarray(w)
    if w.shape not in ((n_x, 1), (n_x,)):
        raise ValueError(
            f"w must have shape (n_x, 1) = ({n_x}, 1) (or ({n_x},)) to match X's {n_x} "
            f"features, got shape {w.shape}"
        )
    return w.reshape(n_x, 1).astype(dtype, copy=False)


def _warn_overflow() -> None:
    warnings.warn(
        "the logits w^T X + b overflow the float range: the weights are far too large "
        "(did training diverge? try a smaller learning rate)",
        RuntimeWarning,
        stacklevel=3,
    )


def _check_finite_w(w: NDArray[Any]) -> None:
    if not np.isfinite(w).all():
        raise ValueError(f"w must be finite, got {w.ravel().tolist()}")


def _check_b(b: Any) -> float:
    if isinstance(b, np.ndarray) and b.size == 1:
        b = b.item()
    if isinstance(b, bool) or not isinstance(b, Real):
        raise TypeError(f"b must be a number, got {type(b).__name__}: {b!r}")
    if not math.isfinite(b):
        raise ValueError(f"b must be a finite number, got {b!r}")
    return float(b)


# --------------------------------------------------------------------------------------------
# The vectorized closed form
# --------------------------------------------------------------------------------------------
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


def lipschitz_learning_rate(X: ArrayLike) -> float:
    """``1 / L``, the largest learning rate for which gradient descent is guaranteed to
    decrease the cost of logistic regression on ``X`` (shape (n_x, m)).

    ``L = lambda_max(X1 X1^T) / (4 m)`` bounds the curvature of the cost, where ``X1`` is
    ``X`` with a row of ones appended (for ``b``) and 1/4 is the largest slope of the sigmoid.
    The eigenvalue is taken from the smaller of the two Gram matrices, without copying ``X``.
    """
    X = _check_X(X)
    _check_finite(X)
    n_x, m = X.shape
    if n_x < m:
        sums = X.sum(axis=1)
        gram = np.empty((n_x + 1, n_x + 1), dtype=np.float64)
        gram[:n_x, :n_x] = X @ X.T
        gram[:n_x, n_x] = gram[n_x, :n_x] = sums
        gram[n_x, n_x] = m
    else:
        gram = (X.T @ X + 1.0).astype(np.float64, copy=False)
    largest = float(np.linalg.eigvalsh(gram)[-1])
    return 4.0 * m / largest


# --------------------------------------------------------------------------------------------
# The same model as a graph of Values
# --------------------------------------------------------------------------------------------
def _composed_log_loss(z: Value, y: float) -> Value:
    """The log-loss ``softplus(z) - y*z`` from engine primitives, on the side of 0 where
    ``exp`` cannot overflow: ``softplus(z) = z + log(1 + exp(-z))`` for ``z >= 0`` and
    ``log(1 + exp(z))`` below. Both branches are the same analytic function, so the branch,
    taken on the data, never makes a kink (unlike ``max(z, 0)`` and ``|z|``, whose
    derivatives at exactly 0, where every logit starts from zero weights, are conventions)."""
    if z.data >= 0:
        rest, slope = (1 + (-z).exp()).log(), 1 - y  # softplus(z) - y z = slope z + rest
    else:
        rest, slope = (1 + z.exp()).log(), -y
    # Labels are 0 or 1, so the slope is -1, 0 or 1: no node multiplies by 0 or 1.
    if slope == 0:
        return rest
    if slope == 1:
        return z + rest
    if slope == -1:
        return rest - z
    return slope * z + rest


class _GraphBuilder:
    """Builds the cost graph over fixed data for any weights: the data is converted to
    Python floats (and the fused ops made) once, not on every training step."""

    def __init__(self, X: NDArray[Any], Y: NDArray[Any], *, fused: bool) -> None:
        self.rows: list[list[float]] = X.T.tolist()
        self.labels: list[float] = Y.ravel().tolist()
        self.fused = fused
        self.ops = [_fused.linear_op(row) for row in self.rows] if fused else []

    def cost(self, w: Sequence[Value], b: Value) -> Value:
        if self.fused:
            losses = [
                _fused.log_loss(_fused.linear(w, b, op), y)
                for op, y in zip(self.ops, self.labels, strict=True)
            ]
            return _fused.mean(losses)
        total: Value | None = None
        for row, y in zip(self.rows, self.labels, strict=True):
            z = w[0] * row[0]
            for wj, xj in zip(w[1:], row[1:], strict=True):
                z = z + wj * xj
            loss = _composed_log_loss(z + b, y)
            total = loss if total is None else total + loss
        assert total is not None  # _check_data refuses m == 0
        return total / len(self.labels)


def cost_graph(
    w: Sequence[Value], b: Value, X: ArrayLike, Y: ArrayLike, *, fused: bool = False
) -> Value:
    """The cost ``J(w, b)`` over the data, built as a graph of Values.

    Parameters
    ----------
    w : sequence of n_x Value
        The weights, as leaves (label them ``"w[0]"``, ... to see them in drawings).
    b : Value
        The bias.
    X : array, shape (n_x, m)
    Y : array, shape (1, m) or (m,)
    fused : bool, default False
        False: composed from engine primitives (``*``, ``+``, ``exp``, ``log``), the graph
        learners draw, about ``m * (2 n_x + 6)`` nodes. True: one node for each ``w.x + b``,
        one for each example's log-loss and one for the mean, ``2m + 1`` nodes and much
        faster. Both compute the same numbers.

    Examples
    --------
    >>> w, b = [Value(0.0, "w[0]")], Value(0.0, "b")
    >>> J = cost_graph(w, b, [[1.0, 2.0]], [[1, 0]])
    >>> J.backward()
    >>> J.data == math.log(2), w[0].grad, b.grad
    (True, 0.25, 0.0)
    """
    X, Y = _check_data(X, Y)
    _check_finite(X)
    if len(w) != X.shape[0]:
        raise ValueError(f"got {len(w)} weights for X with {X.shape[0]} features (rows)")
    for j, v in enumerate((*w, b)):
        if not isinstance(v, Value):
            name = "b" if j == len(w) else f"w[{j}]"
            raise TypeError(
                f"{name} must be a Value (the graph's leaf), got {type(v).__name__}: {v!r}; "
                f"wrap it: Value({v!r}, {name!r})"
            )
    return _GraphBuilder(X, Y, fused=fused).cost(w, b)


def value_propagate(
    w: ArrayLike, b: float, X: ArrayLike, Y: ArrayLike, *, fused: bool = False
) -> tuple[dict[str, Any], float]:
    """`propagate` computed by backpropagation through a graph of Values.

    Same arguments and results as `propagate` (``dw`` in the shape of ``w`` and the dtype of
    ``X``); the arithmetic is float64 Python floats.

    Parameters
    ----------
    w : array, shape (n_x, 1) or (n_x,)
    b : float
    X : array, shape (n_x, m)
    Y : array, shape (1, m) or (m,)
    fused : bool, default False
        The composed graph or fused nodes; see `cost_graph`.

    Returns
    -------
    grads : dict
        ``"dw"`` and ``"db"``, as from `propagate`.
    cost : float
    """
    X, Y = _check_data(X, Y)
    _check_finite(X)
    w_shape = np.shape(w)
    w_ = _check_w(w, X.shape[0], X.dtype)
    _check_finite_w(w_)
    w_values = [Value(v, f"w[{j}]") for j, v in enumerate(w_.ravel().tolist())]
    b_value = Value(_check_b(b), "b")
    J = _GraphBuilder(X, Y, fused=fused).cost(w_values, b_value)
    J.backward()
    dw = np.array([v.grad for v in w_values], dtype=X.dtype).reshape(w_shape)
    return {"dw": dw, "db": b_value.grad}, J.data


# --------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------
def _check_iterations(n: Any) -> None:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or int(n) < 0:
        raise ValueError(f"the number of iterations must be an int >= 0, got {n!r}")


def _check_learning_rate(rate: Any) -> None:
    if isinstance(rate, bool) or not isinstance(rate, Real) or not 0 < float(rate) < math.inf:
        raise ValueError(f"the learning rate must be a positive finite number, got {rate!r}")


@dataclass
class TrainingResult:
    """What `train` found.

    Attributes
    ----------
    w : array, shape (n_x, 1)
        Weights after the last update, in the dtype of ``X``.
    b : float
        Bias after the last update.
    costs : list of float
        The cost before each update and, last, at the returned ``w`` and ``b``:
        ``iterations + 1`` entries.
    iterations : int
        How many updates were made.
    converged : bool
        True when training stopped because the gradient fell within ``tol``.
    learning_rate : float
        The step size used (the computed one when ``"auto"`` was asked for).
    engine : str
        ``"numpy"`` or ``"value"``.
    """

    w: NDArray[Any]
    b: float
    costs: list[float] = field(repr=False)
    iterations: int
    converged: bool
    learning_rate: float
    engine: str

    @property
    def cost(self) -> float:
        """The cost at the returned ``w`` and ``b``."""
        return self.costs[-1]


Gradient = Callable[[NDArray[Any], float], tuple[NDArray[Any], float, float]]


def _value_gradient(X: NDArray[Any], Y: NDArray[Any], *, fused: bool) -> Gradient:
    """``(dw, db, cost)`` by backpropagation, reusing the same leaf Values on every step."""
    builder = _GraphBuilder(X, Y, fused=fused)
    w_values = [Value(0.0, f"w[{j}]") for j in range(X.shape[0])]
    b_value = Value(0.0, "b")

    def gradient(w: NDArray[Any], b: float) -> tuple[NDArray[Any], float, float]:
        for leaf, v in zip(w_values, w.ravel().tolist(), strict=True):
            leaf.data, leaf.grad = v, 0.0
        b_value.data, b_value.grad = b, 0.0
        J = builder.cost(w_values, b_value)
        J.backward()
        dw = np.array([leaf.grad for leaf in w_values], dtype=X.dtype).reshape(-1, 1)
        return dw, b_value.grad, J.data

    return gradient


def _progress_bar(total: int, progress: bool | None, engine: str) -> Any:
    """A tqdm bar on stderr, or None: ``progress=None`` shows it only when tqdm is installed
    and stderr is a terminal; True asks for it anyway."""
    if progress is False:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        if progress:
            raise ModuleNotFoundError(
                "progress=True needs tqdm: pip install 'micrograd_lr[progress]'"
            ) from None
        return None
    if progress is None and not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty()):
        return None
    return tqdm(total=total, desc=f"training ({engine})", unit="it", file=sys.stderr)


def train(
    X: ArrayLike,
    Y: ArrayLike,
    *,
    engine: Engine = "numpy",
    fused: bool = True,
    num_iterations: int = 1000,
    learning_rate: float | Literal["auto"] = "auto",
    tol: float = 0.0,
    w: ArrayLike | None = None,
    b: float = 0.0,
    progress: bool | None = None,
) -> TrainingResult:
    """Gradient descent on the logistic-regression cost, with either engine.

    Parameters
    ----------
    X : array, shape (n_x, m)
    Y : array, shape (1, m) or (m,)
    engine : {"numpy", "value"}, default "numpy"
        ``"numpy"``: the vectorized closed form. ``"value"``: a graph of Values built and
        backpropagated on every step (the same numbers, to rounding; much slower).
    fused : bool, default True
        With ``engine="value"``: fused nodes (fast) or the composed graph.
    num_iterations : int, default 1000
        The most updates to make.
    learning_rate : float or "auto", default "auto"
        The step size; ``"auto"`` uses `lipschitz_learning_rate`, the largest step that is
        guaranteed to converge.
    tol : float, default 0.0
        Stop early once every component of the gradient is within ``tol`` of 0.
    w, b : default zeros and 0.0
        Where to start; ``w`` of shape (n_x, 1) or (n_x,). Not modified.
    progress : bool or None, default None
        A tqdm progress bar on stderr showing the cost: None shows it when tqdm is installed
        and stderr is a terminal, True always (tqdm required), False never.

    Returns
    -------
    TrainingResult

    Examples
    --------
    >>> X, Y = np.array([[-2.0, -1.0, 1.0, 2.0]]), np.array([[0, 1, 0, 1]])
    >>> result = train(X, Y, num_iterations=500, progress=False)
    >>> result.iterations, len(result.costs), round(result.cost, 6)
    (500, 501, 0.641953)
    """
    X, Y = _check_data(X, Y)
    _check_finite(X)
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    _check_iterations(num_iterations)
    if learning_rate == "auto":
        learning_rate = lipschitz_learning_rate(X)
    _check_learning_rate(learning_rate)
    if isinstance(tol, bool) or not isinstance(tol, Real) or not float(tol) >= 0:
        raise ValueError(f"tol must be a number >= 0, got {tol!r}")
    w0 = np.zeros((X.shape[0], 1)) if w is None else w
    w_ = _check_w(w0, X.shape[0], X.dtype).copy()
    _check_finite_w(w_)
    b_ = _check_b(b)

    if engine == "value":
        gradient = _value_gradient(X, Y, fused=fused)
    else:

        def gradient(w: NDArray[Any], b: float) -> tuple[NDArray[Any], float, float]:
            return _propagate(w, b, X, Y)

    costs: list[float] = []
    converged = False
    bar = _progress_bar(num_iterations, progress, engine)
    iteration = 0
    # Each step's graph has no reference cycles and is freed by reference counting as soon
    # as the step ends; the cycle collector would only rescan its tens of thousands of live
    # nodes, again and again (a quarter of a composed step, measured). Pause it meanwhile.
    collecting = gc.isenabled() and engine == "value"
    if collecting:
        gc.disable()
    try:
        while True:
            dw, db, cost = gradient(w_, b_)
            costs.append(cost)
            if tol and max(float(np.max(np.abs(dw))), abs(db)) <= tol:
                converged = True
                break
            if iteration == num_iterations:
                break
            w_ -= learning_rate * dw
            b_ -= learning_rate * db
            iteration += 1
            if bar is not None:
                bar.set_postfix_str(f"cost={cost:.6g}", refresh=False)
                bar.update()
    finally:
        if collecting:
            gc.enable()
        if bar is not None:
            bar.close()
    return TrainingResult(
        w=w_,
        b=b_,
        costs=costs,
        iterations=iteration,
        converged=converged,
        learning_rate=float(learning_rate),
        engine=engine,
    )


# --------------------------------------------------------------------------------------------
# A scikit-learn style estimator
# --------------------------------------------------------------------------------------------
def _check_samples(X: ArrayLike) -> NDArray[Any]:
    """``X`` of shape (m, n), one row per example, checked as `_check_X` checks the course's
    layout, with messages in this layout."""
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(
            f"X must be a 2-D array of shape (m, n), one row per example; got shape {X.shape}"
        )
    if X.size == 0:
        raise ValueError(
            f"X of shape {X.shape} is empty: it needs at least one example and feature"
        )
    X = _check_X(X.T).T  # the dtype rules; a transposed view, no copy
    bad = ~np.isfinite(X)
    if bad.any():
        i, j = (int(k) for k in np.unravel_index(np.argmax(bad), X.shape))
        raise ValueError(
            f"X[{i}, {j}] (example {i}, feature {j}) is {X[i, j].item()!r}: every entry "
            "must be finite; remove or impute the missing values"
        )
    return X


def _check_labels(y: ArrayLike, m: int) -> NDArray[Any]:
    y = np.asarray(y)
    if y.shape != (m,):
        raise ValueError(f"y must have shape (m,) = ({m},) to match X, got shape {y.shape}")
    bad = np.setdiff1d(np.unique(y), [0, 1])
    if bad.size:
        raise ValueError(f"labels must be 0 or 1, got {bad[:5].tolist()}")
    return y


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
