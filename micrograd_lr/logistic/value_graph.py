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

__all__ = [
    "COMPILE_AFTER",
    "CostDerivatives",
    "cost_graph",
    "value_derivatives",
    "value_propagate",
]

COMPILE_AFTER = 5
"""Engine evaluations of the cost graph's derivatives (of each kind: gradients, Hessians)
before `CostDerivatives` traces the graph and replays it compiled. On standardized breast
cancer (455 x 30) tracing and compiling costs about 2-5 engine passes for the gradient and
for the Hessian alike (both replay in lanes, `micrograd_lr.lanes`: the gradient 17-50x faster
than the engine, the Hessian 14-56x; where Numba is installed, by the faster native loop,
`micrograd_lr.native`), so waiting this long first costs at most about twice
the better of the two choices, however long the run turns out to be (the rent-or-buy
argument): a fit of a handful of evaluations stays on the engine."""


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
        self.X = X
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


class _Branches:
    """When to replay the composed graph at a point whose branches (the signs of its logits,
    its ``log1p`` shortcuts: `micrograd_lr.compile.logit_signs`) have no trace yet. A trace
    costs 2-5 engine passes and pays only if those branches last a few evaluations: so a new
    pattern is traced at once when the one before lasted (gradient descent, whose logits
    settle), but while they change at every evaluation (Newton's steps on separable data,
    whose weights keep growing) the engine evaluates, until a pattern recurs."""

    def __init__(self, key: Any) -> None:
        self.key = key
        self.last: Any = None
        self.run = 0  # evaluations in a row with the last pattern

    def settled(self, theta: list[float]) -> bool:
        """Note ``theta``'s pattern; whether tracing it (if need be) is likely to pay."""
        if self.key is None:
            return True
        pattern = self.key(theta)
        if pattern == self.last:
            self.run += 1
            return True
        lasted = self.run != 1  # the first pattern, or one that lasted
        self.last, self.run = pattern, 1
        return lasted


class CostDerivatives:
    """The value, gradient and Hessian of a `_GraphBuilder`'s cost with respect to
    ``theta = (w..., b)``: by the engine for the first ``compile_after`` evaluations of each
    kind (default `COMPILE_AFTER`), then from the graph traced once and replayed
    (`micrograd_lr.compile`), with the same floats bit for bit, several times faster per
    evaluation.

    The composed graph branches on each logit's sign (and on its ``log1p`` shortcut), so its
    traces are keyed by them (`micrograd_lr.compile.logit_signs`) and re-traced when one
    changes, unless they change at every evaluation (then the engine evaluates, see
    `_Branches`). ``compiled=False`` keeps the plain engine throughout.

    Attributes
    ----------
    gradients, hessians : int
        How many evaluations of each kind were made.
    replayed : bool
        Whether a compiled trace has been made (of either kind).
    """

    def __init__(
        self, builder: _GraphBuilder, *, compiled: bool = True, compile_after: int | None = None
    ) -> None:
        self.builder = builder
        self.compiled = compiled
        self.compile_after = COMPILE_AFTER if compile_after is None else compile_after
        self.gradients = self.hessians = 0
        self._gradient: Any = None
        self._hessian: Any = None
        n = builder.X.shape[0]
        self._labels = [f"w[{j}]" for j in range(n)] + ["b"]
        from ..compile import logit_signs

        # The composed graph's branches (None for the fused graph, which has none).
        self._branch_key = None if builder.fused else logit_signs(builder.X)
        self._gradient_branches = _Branches(self._branch_key)
        self._hessian_branches = _Branches(self._branch_key)

    @property
    def replayed(self) -> bool:
        return self._gradient is not None or self._hessian is not None

    def _cost(self, *theta: Value) -> Value:
        return self.builder.cost(list(theta[:-1]), theta[-1])

    def _leaves(self, theta: list[float]) -> list[Value]:
        return [Value(v, label) for v, label in zip(theta, self._labels, strict=True)]

    def _replay(
        self, compiled: Any, branches: _Branches, evaluations: int, theta: list[float], make: Any
    ) -> tuple[Any, bool]:
        """``(compiled, use it)`` for an evaluation at ``theta``: the replay of one kind,
        made by ``make`` (`compile` or `compile_hessian`) once due, and used where its
        branches have a trace or are worth tracing (`_Branches`)."""
        settled = branches.settled(theta)
        if compiled is None and self.compiled and evaluations > self.compile_after and settled:
            compiled = make(self._cost, theta, key=self._branch_key, labels=self._labels)
        return compiled, compiled is not None and (settled or compiled.has_trace(theta))

    def value_and_gradient(self, theta: list[float]) -> tuple[float, NDArray[np.float64]]:
        """``(J, dJ/dtheta)`` at ``theta``, a list of ``n_x + 1`` floats."""
        from ..compile import compile

        self.gradients += 1
        self._gradient, replay = self._replay(
            self._gradient, self._gradient_branches, self.gradients, theta, compile
        )
        if replay:
            value, gradient = self._gradient(theta)
            return value, gradient
        leaves = self._leaves(theta)
        J = self._cost(*leaves)
        J.backward()
        return J.data, np.array([v.grad for v in leaves], dtype=np.float64)

    def value_gradient_hessian(
        self, theta: list[float]
    ) -> tuple[float, NDArray[np.float64], NDArray[np.float64]]:
        """``(J, gradient, Hessian)`` at ``theta``, as `value_derivatives` computes them."""
        from ..compile import compile_hessian

        self.hessians += 1
        self._hessian, replay = self._replay(
            self._hessian, self._hessian_branches, self.hessians, theta, compile_hessian
        )
        if replay:
            value, gradient, hessian = self._hessian(theta)
            return value, gradient, hessian
        return _value_derivatives(self.builder, self._leaves(theta))


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
