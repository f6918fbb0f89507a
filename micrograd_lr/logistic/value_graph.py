"""The logistic-regression cost as a graph of Values, composed or with fused nodes."""

from __future__ import annotations

import math  # noqa: F401  (the doctests use it)
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .. import fused as _fused
from ..autodiff import grad
from ..engine import Value
from ._checks import _check_b, _check_data, _check_finite, _check_finite_w, _check_w

__all__ = ["cost_graph", "value_derivatives", "value_propagate"]


def _log1p(t: Value) -> Value:
    """``log(1 + t)`` for ``t >= 0``, accurate to a few ulps, from ``+``, ``-``, ``*``, ``/``
    and ``log`` alone (the engine has no ``log1p``).

    ``log(1 + t)`` itself loses the digits of ``t`` that ``1 + t`` rounds away: at
    ``t = 2.3e-16`` it is 4% off, below ``1.1e-16`` it is 0. Kahan's correction multiplies by
    ``t / ((1 + t) - 1)``, the factor by which the rounded ``u = 1 + t`` misstates ``t``:
    ``log(u) * t / (u - 1)`` is accurate because ``log(u) / (u - 1)`` varies slowly. The
    factor is 1 analytically, so the graph's derivatives are those of ``log(1 + t)`` to
    rounding (checked to ~1e-15 against the closed form, second derivatives included). When
    ``u`` rounds to exactly 1, ``log1p(t) = t`` to within ``t/2 < 1e-16`` relative.
    """
    u = 1 + t
    if u.data == 1.0:
        return t
    return u.log() * (t / (u - 1))


def _composed_log_loss(z: Value, y: float) -> Value:
    """The log-loss ``softplus(z) - y*z`` from engine primitives, on the side of 0 where
    ``exp`` cannot overflow: ``softplus(z) = z + log1p(exp(-z))`` for ``z >= 0`` and
    ``log1p(exp(z))`` below, with ``log1p`` composed as in `_log1p`. Both branches are the
    same analytic function, so the branch, taken on the data, never makes a kink (unlike
    ``max(z, 0)`` and ``|z|``, whose derivatives at exactly 0, where every logit starts from
    zero weights, are conventions)."""
    if z.data >= 0:
        rest, slope = _log1p((-z).exp()), 1 - y  # softplus(z) - y z = slope z + rest
    else:
        rest, slope = _log1p(z.exp()), -y
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
    Python floats (and the fused ops made) once, not on every training step.

    Without ``weights`` the cost is the mean of the losses; with them (shape (m,), summing
    to 1) it is ``sum_i weights[i] * loss_i``."""

    def __init__(
        self,
        X: NDArray[Any],
        Y: NDArray[Any],
        *,
        fused: bool,
        weights: NDArray[Any] | None = None,
    ) -> None:
        self.rows: list[list[float]] = X.T.tolist()
        self.labels: list[float] = Y.ravel().tolist()
        self.fused = fused
        self.weights: list[float] | None = None if weights is None else weights.tolist()
        self.ops = [_fused.linear_op(row) for row in self.rows] if fused else []

    def cost(self, w: Sequence[Value], b: Value) -> Value:
        if self.fused:
            losses = [
                _fused.log_loss(_fused.linear(w, b, op), y)
                for op, y in zip(self.ops, self.labels, strict=True)
            ]
            return _fused.mean(losses, self.weights)
        total: Value | None = None
        for i, (row, y) in enumerate(zip(self.rows, self.labels, strict=True)):
            z = w[0] * row[0]
            for wj, xj in zip(w[1:], row[1:], strict=True):
                z = z + wj * xj
            loss = _composed_log_loss(z + b, y)
            if self.weights is not None:
                loss = loss * self.weights[i]
            total = loss if total is None else total + loss
        assert total is not None  # _check_data refuses m == 0
        return total if self.weights is not None else total / len(self.labels)


def _value_derivatives(
    builder: _GraphBuilder, leaves: list[Value]
) -> tuple[float, NDArray[np.float64], NDArray[np.float64]]:
    """Cost, gradient and Hessian of the builder's cost with respect to ``leaves`` (the
    weights, then the bias): the gradient built as a graph by ``create_graph``, each entry
    backpropagated again."""
    J = builder.cost(leaves[:-1], leaves[-1])
    first = grad(J, leaves, create_graph=True)
    hessian = np.array([grad(d, leaves) for d in first], dtype=np.float64)
    gradient = np.array([d.data for d in first], dtype=np.float64)
    return J.data, gradient, hessian


def value_derivatives(
    w: ArrayLike, b: float, X: ArrayLike, Y: ArrayLike, *, fused: bool = True
) -> tuple[float, NDArray[np.float64], NDArray[np.float64]]:
    """Cost, gradient and Hessian of the cost by the Value engine: the cost built as a graph,
    its gradient built as a graph by ``create_graph``, each gradient entry backpropagated.

    Parameters
    ----------
    w, b, X, Y
        As for `logistic.propagate`.
    fused : bool, default True
        Build the cost from fused nodes (fast) or composed from primitives (the graph
        learners draw; much slower). Both give the same derivatives.

    Returns
    -------
    cost : float
    gradient : numpy.ndarray, shape (n_x + 1,)
        ``(dw..., db)``.
    hessian : numpy.ndarray, shape (n_x + 1, n_x + 1)
        The bias is the last row and column.
    """
    X_, Y_ = _check_data(X, Y)
    _check_finite(X_)
    flat = np.asarray(w, dtype=np.float64).ravel()
    if len(flat) != X_.shape[0]:
        raise ValueError(f"got {len(flat)} weights for X with {X_.shape[0]} features (rows)")
    leaves = [Value(float(v), f"w[{j}]") for j, v in enumerate(flat)]
    leaves.append(Value(_check_b(b), "b"))
    return _value_derivatives(_GraphBuilder(X_, Y_, fused=fused), leaves)


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
        faster. Both compute the same numbers, to a few ulps (the composed graph's
        ``log1p`` is built from primitives, see `_log1p`).

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
