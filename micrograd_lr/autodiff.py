"""Derivatives as functions: first derivatives without touching ``.grad``, and Hessians."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from numbers import Real
from typing import Literal, overload

import numpy as np

from .engine import Value, gradients

__all__ = ["grad", "hessian"]


def _check_inputs(inputs: Sequence[Value]) -> None:
    for i, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(f"inputs[{i}] must be a Value, got {type(x).__name__}: {x!r}")


@overload
def grad(
    output: Value, inputs: Sequence[Value], *, create_graph: Literal[False] = False
) -> list[float]: ...
@overload
def grad(output: Value, inputs: Sequence[Value], *, create_graph: Literal[True]) -> list[Value]: ...
@overload
def grad(
    output: Value, inputs: Sequence[Value], *, create_graph: bool
) -> list[float] | list[Value]: ...
def grad(
    output: Value, inputs: Sequence[Value], *, create_graph: bool = False
) -> list[float] | list[Value]:
    """d output / d input for each input, leaving every ``.grad`` as it was.

    Parameters
    ----------
    output : Value
        The scalar to differentiate.
    inputs : sequence of Value
        The nodes to differentiate with respect to; one that ``output`` does not depend on
        gets 0.
    create_graph : bool, default False
        Return Values built from the graph, which can be differentiated again (for second
        derivatives); otherwise floats, equal bit for bit to what ``output.backward()``
        would put in ``.grad``.

    Returns
    -------
    list of float, or list of Value with ``create_graph=True``
        One derivative per input. The return type follows ``create_graph`` for type
        checkers too (overloads on ``Literal[True]`` / ``Literal[False]``), so
        ``grad(y, [x])[0] * 0.1`` checks as float arithmetic and
        ``grad(y, [x], create_graph=True)[0].backward()`` as a Value method.

    Examples
    --------
    >>> x = Value(3.0, "x")
    >>> y = x**3
    >>> (dy,) = grad(y, [x], create_graph=True)
    >>> dy.data, grad(dy, [x])
    (27.0, [18.0])
    """
    if not isinstance(output, Value):
        raise TypeError(f"output must be a Value, got {type(output).__name__}: {output!r}")
    inputs = list(inputs)  # read twice below: a generator would give an empty answer
    _check_inputs(inputs)
    if create_graph:
        built = gradients(output, create_graph=True)
        return [built[x] if x in built else Value(0.0) for x in inputs]
    floats = gradients(output)
    return [floats.get(x, 0.0) for x in inputs]


def hessian(f: Callable[..., Value], values: Sequence[Value | float]) -> np.ndarray:
    """The matrix of second derivatives of a scalar function of several Values.

    Row ``i`` is the gradient of df/dx_i, itself built as a graph of Values by
    ``create_graph`` and backpropagated again. No symmetrization is applied, so
    ``H - H.T`` shows the rounding of the two orders of differentiation.

    Parameters
    ----------
    f : callable
        ``f(*leaves) -> Value``; called once, with new leaf Values holding ``values``' data
        (so no ``.grad`` of yours is touched).
    values : sequence of Value or float
        The point, x_1 .. x_n.

    Returns
    -------
    numpy.ndarray, shape (n, n)
        ``H[i, j] = d2 f / dx_i dx_j``.

    Examples
    --------
    >>> hessian(lambda a, b: a * a * b, [2.0, 3.0]).tolist()
    [[6.0, 4.0], [4.0, 0.0]]
    """
    leaves = []
    for i, v in enumerate(values):
        if isinstance(v, Value):
            leaves.append(Value(v.data, v.label))
        elif isinstance(v, Real) and not isinstance(v, bool):  # NumPy scalars too, as Value
            leaves.append(Value(float(v)))
        else:
            raise TypeError(f"values[{i}] must be a Value or a number, got {type(v).__name__}")
    if not leaves:
        raise ValueError("values is empty: give at least one point to differentiate at")
    out = f(*leaves)
    if not isinstance(out, Value):
        raise TypeError(f"f must return a Value, got {type(out).__name__}")
    first = grad(out, leaves, create_graph=True)
    return np.array([grad(df, leaves) for df in first], dtype=np.float64)
