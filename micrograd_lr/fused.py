"""Fused nodes for logistic regression: one node for ``w.x + b``, the log-loss and the mean.

The composed graph of logistic regression spends one node per multiplication and addition;
these operations compute the same numbers in one node each, with their derivative rules
declared as data on an `Op` like every engine primitive (rules ``rule(out, *operands)`` that
work on floats and on Values, so ``backward(create_graph=True)`` differentiates through them).

`linear` and `mean` are n-ary: a node with more than two parents. The engine's
``Value.backward()`` handles any number of parents.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Sequence
from functools import reduce
from typing import Any

from .engine import OPS, Op, Value, _node

__all__ = [
    "LINEAR_FORWARD_CODE",
    "LOG_LOSS",
    "MEAN_FORWARD_CODE",
    "linear",
    "linear_op",
    "log_loss",
    "log_loss_float",
    "mean",
]

_sigmoid_float = OPS["sigmoid"].forward


def _left_sum(terms: Iterable[float]) -> float:
    """``((t0 + t1) + t2) + ...``: plain float additions in order, as a chain of ``+`` nodes
    computes them. Not ``sum()``: from Python 3.12 it compensates rounding errors, so its
    result differs from the composed graph's in the last bits."""
    return reduce(operator.add, terms)


def log_loss_float(z: float, y: float) -> float:
    """The log-loss of a logit, ``-y log(sigmoid(z)) - (1-y) log(1 - sigmoid(z))``, stably.

    Computed as ``max(z, 0) - y*z + log1p(exp(-|z|))``: ``exp`` only ever sees a
    non-positive argument (no overflow) and no logarithm of a rounded probability is taken
    (no ``log(0)``), so it is finite and accurate for every finite ``z``.

    Examples
    --------
    >>> log_loss_float(0.0, 1.0) == math.log(2)
    True
    >>> log_loss_float(-1e4, 1.0)
    10000.0
    """
    return max(z, 0.0) - y * z + math.log1p(math.exp(-abs(z)))


def _log_loss_dz(out: Any, z: Any, y: Any) -> Any:
    # d/dz [softplus(z) - y z] = sigmoid(z) - y. For y = 1 it is formed as -sigmoid(-z):
    # 1 - sigmoid(z) would cancel (1.5e-15 relative at z = 2.5, everything at z > 37).
    if y == 1:
        return -((-z).sigmoid() if type(z) is Value else _sigmoid_float(-z))
    return (z.sigmoid() if type(z) is Value else _sigmoid_float(z)) - y


def _log_loss_dy(out: Any, z: Any, y: Any) -> Any:
    # The label is a folded constant and never receives a gradient; the rule is here for
    # completeness (the Op declares one rule per operand).
    return -z


LOG_LOSS = Op("logloss", log_loss_float, (_log_loss_dz, _log_loss_dy))
"""``logloss(z, y)``: the log-loss of the logit ``z`` for the label ``y`` (a folded number)."""


def log_loss(z: Value, y: float) -> Value:
    """One node for the log-loss of the logit ``z`` against the label ``y`` (0 or 1).

    The label is folded into the node as its constant operand. The local derivative is
    ``sigmoid(z) - y``.

    Examples
    --------
    >>> z = Value(0.0, "z")
    >>> loss = log_loss(z, 1.0)
    >>> loss.backward()
    >>> z.grad
    -0.5
    """
    a = z.data
    y = float(y)
    out = log_loss_float(a, y)
    return _node(out, LOG_LOSS, (z, _log_loss_dz(out, a, y)), y)


def linear_op(x: Sequence[float]) -> Op:
    """The operation ``w.x + b`` for one fixed input row ``x`` of n features.

    Its operands are ``w[0], ..., w[n-1], b``; the derivative with respect to ``w[j]`` is the
    constant ``x[j]`` and with respect to ``b`` it is 1, so the rules are plain floats. Build
    the Op once per row and reuse it on every training step.
    """
    row = tuple(float(v) for v in x)
    if not row:
        raise ValueError("linear_op needs at least one feature, got an empty row")

    def forward(*wb: float) -> float:
        # map stops at the shorter sequence: the n products, then b.
        return _left_sum(map(operator.mul, wb, row)) + wb[-1]

    return Op("w·x+b", forward, (*row, 1.0))


def linear(w: Sequence[Value], b: Value, x: Sequence[float] | Op) -> Value:
    """One node for ``w[0]*x[0] + ... + w[n-1]*x[n-1] + b``.

    The sum is accumulated left to right, ``((w0 x0 + w1 x1) + ...) + b``, exactly as the
    composed graph does, so both give the same float.

    Parameters
    ----------
    w : sequence of n Value
        The weights.
    b : Value
        The bias.
    x : sequence of n float, or an Op from `linear_op`
        The input row (a prepared Op avoids rebuilding it on every call).

    Examples
    --------
    >>> w0, w1, b = Value(2.0, "w0"), Value(-1.0, "w1"), Value(0.5, "b")
    >>> z = linear([w0, w1], b, [3.0, 4.0])
    >>> z.backward()
    >>> z.data, w0.grad, w1.grad, b.grad
    (2.5, 3.0, 4.0, 1.0)
    """
    op = x if isinstance(x, Op) else linear_op(x)
    row = op.derivatives
    if len(w) + 1 != len(row):
        raise ValueError(
            f"linear: got {len(w)} weights for an input row of {len(row) - 1} features; "
            "give one weight per feature"
        )
    data = _left_sum(map(operator.mul, [v.data for v in w], row)) + b.data
    edges: list[Any] = []
    for v, d in zip(w, row, strict=False):  # row has one more entry: b's derivative
        edges += (v, d)
    edges += (b, 1.0)
    return _node(data, op, tuple(edges))


def mean(values: Sequence[Value], weights: Sequence[float] | None = None) -> Value:
    """One node for ``(values[0] + ... + values[k-1]) / k``, summed left to right; or, with
    ``weights``, for the weighted sum ``weights[0] * values[0] + ...`` (give weights that sum
    to 1 for a weighted mean).

    Examples
    --------
    >>> a, b = Value(1.0, "a"), Value(4.0, "b")
    >>> J = mean([a, b])
    >>> J.backward()
    >>> J.data, a.grad, b.grad
    (2.5, 0.5, 0.5)
    >>> mean([a, b], [0.25, 0.75]).data
    3.25
    """
    k = len(values)
    if k == 0:
        raise ValueError("mean of no values: give at least one Value")
    if weights is not None:
        shares = tuple(float(v) for v in weights)
        if len(shares) != k:
            raise ValueError(f"mean: got {len(shares)} weights for {k} values; give one each")
        op = Op("mean", lambda *data: _left_sum(map(operator.mul, shares, data)), shares)
        edges: list[Any] = []
        for v, share in zip(values, shares, strict=True):
            edges += (v, share)
        return _node(op.forward(*(v.data for v in values)), op, tuple(edges))
    share = 1.0 / k
    op = Op("mean", lambda *data: _left_sum(data) / k, (share,) * k)
    edges = []
    for v in values:
        edges += (v, share)
    return _node(_left_sum(v.data for v in values) / k, op, tuple(edges))


LINEAR_FORWARD_CODE = linear_op([0.0]).forward.__code__
"""The code of every `linear_op` forward function: compiled replays recognize a linear node
by it (its rules are the input row and 1.0) and write its sum out."""

MEAN_FORWARD_CODE = mean([Value(0.0)]).op.forward.__code__  # type: ignore[union-attr]
"""The code of every unweighted `mean` node's forward function (``sum / k``), likewise."""
