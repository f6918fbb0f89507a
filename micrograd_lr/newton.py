"""Newton's method for logistic regression, with the Hessian from the Value engine or in
closed form."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .autodiff import grad
from .engine import Value
from .logistic import ENGINES, cost_graph
from .logistic._checks import _check_data, _check_finite
from .logistic.course import _propagate

__all__ = ["NewtonResult", "closed_form_hessian", "newton", "value_derivatives"]


def closed_form_hessian(w: ArrayLike, b: float, X: ArrayLike) -> NDArray[np.float64]:
    """The Hessian of the mean cross-entropy cost with respect to ``(w, b)``.

    ``H = Xb diag(a (1 - a)) Xb^T / m``, where ``a = sigmoid(w^T X + b)`` and ``Xb`` is ``X``
    with a row of ones appended (the bias is the last parameter).

    Parameters
    ----------
    w : array, shape (n_x, 1) or (n_x,)
    b : float
    X : array, shape (n_x, m)

    Returns
    -------
    numpy.ndarray, shape (n_x + 1, n_x + 1)

    Examples
    --------
    >>> closed_form_hessian([0.0], 0.0, [[1.0, -1.0]]).tolist()
    [[0.25, 0.0], [0.0, 0.25]]
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (n_x, m), got shape {X.shape}")
    n, m = X.shape
    w = np.asarray(w, dtype=np.float64).reshape(-1, 1)
    if w.shape[0] != n:
        raise ValueError(f"w must have {n} entries (one per row of X), got shape {w.shape}")
    z = (w.T @ X + float(b)).ravel()
    e = np.exp(-np.abs(z))  # a (1 - a) = e / (1 + e)**2, without overflow or cancellation
    curvature = e / (1.0 + e) ** 2
    Xb = np.vstack([X, np.ones((1, m))])
    return np.asarray((Xb * curvature) @ Xb.T / m, dtype=np.float64)


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
    flat = np.asarray(w, dtype=np.float64).ravel()
    leaves = [Value(float(v), f"w[{j}]") for j, v in enumerate(flat)]
    leaves.append(Value(float(b), "b"))
    J = cost_graph(leaves[:-1], leaves[-1], X_, Y_, fused=fused)
    first = grad(J, leaves, create_graph=True)
    hessian = np.array([grad(d, leaves) for d in first], dtype=np.float64)
    gradient = np.array([d.data for d in first], dtype=np.float64)
    return J.data, gradient, hessian


def _compiled_derivatives(X: NDArray[Any], Y: NDArray[Any], *, fused: bool) -> Any:
    """`value_derivatives` as a compiled replay: ``replay(theta) -> (cost, gradient,
    hessian)``, bitwise the same; the composed graph branches on each logit's sign, so it
    is keyed by those signs (re-traced when they change)."""
    from .compile import compile_hessian, logit_signs

    n = X.shape[0]

    def cost(*theta: Value) -> Value:
        return cost_graph(list(theta[:n]), theta[n], X, Y, fused=fused)

    labels = [f"w[{j}]" for j in range(n)] + ["b"]
    key = None if fused else logit_signs(X)
    return compile_hessian(cost, np.zeros(n + 1), labels=labels, key=key)


@dataclass(frozen=True)
class NewtonResult:
    """What `newton` found.

    Attributes
    ----------
    w : numpy.ndarray, shape (n_x, 1)
    b : float
    costs : list of float
        The cost at the start and after each step.
    iterations : int
        How many Newton steps were taken.
    converged : bool
        True when the largest gradient entry fell within ``tol``.
    engine : str
        Where the gradient and Hessian came from: ``"numpy"`` (closed form) or ``"value"``.
    """

    w: NDArray[np.float64]
    b: float
    costs: list[float] = field(repr=False)
    iterations: int
    converged: bool
    engine: str

    @property
    def cost(self) -> float:
        """The cost at the returned ``w`` and ``b``."""
        return self.costs[-1]


def newton(
    X: ArrayLike,
    Y: ArrayLike,
    *,
    engine: str = "numpy",
    max_iterations: int = 50,
    tol: float = 1e-10,
    fused: bool = True,
    compiled: bool = False,
) -> NewtonResult:
    """Minimize the logistic-regression cost by Newton's method from ``w = 0, b = 0``.

    Each step solves ``H step = gradient`` and moves ``(w, b) -= step``. Near the optimum
    the number of correct digits roughly doubles per step, so a handful of steps reaches
    what gradient descent needs thousands for.

    Parameters
    ----------
    X : array, shape (n_x, m)
    Y : array, shape (1, m) or (m,), labels 0 or 1
    engine : {"numpy", "value"}, default "numpy"
        ``"numpy"``: the closed-form gradient ``X (A - Y)^T / m`` and Hessian
        `closed_form_hessian`. ``"value"``: both by backpropagation through the Value
        graph (`value_derivatives`).
    max_iterations : int, default 50
    tol : float, default 1e-10
        Stop when every gradient entry is within ``tol`` of zero.
    fused : bool, default True
        With ``engine="value"``: fused nodes or the composed graph.
    compiled : bool, default False
        With ``engine="value"``: trace the cost, its gradient graph and the Hessian's
        backward passes once and replay them at each step (`compile.compile_hessian`; the
        same numbers bit for bit). Tracing costs a few steps' worth of engine time, more
        than Newton's handful of steps saves on small problems (measured on the synthetic
        set: 0.70 s against 0.35 s), hence off by default. False rebuilds the graphs with
        the plain engine at every step (`value_derivatives`).

    Returns
    -------
    NewtonResult

    Raises
    ------
    ValueError
        For bad arguments or data (labels other than 0 and 1, NaN or infinity in ``X``), or
        when the Hessian is singular, as with a duplicated feature: the cost then has no
        unique minimum. Remove redundant features.

    Notes
    -----
    When a hyperplane separates the classes perfectly the cost has no minimum at all: each
    step makes the weights larger and the cost smaller, until the gradient, shrinking with
    the cost, falls within ``tol``. The result is then ``converged`` with a cost near 0 and
    very large weights (about 1e4 on all 30 standardized breast-cancer features), not an
    optimum.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}; got {engine!r}")
    if isinstance(max_iterations, bool) or not isinstance(max_iterations, int):
        raise TypeError(f"max_iterations must be an int, got {max_iterations!r}")
    if max_iterations < 0:
        raise ValueError(f"max_iterations must be >= 0, got {max_iterations}")
    if not tol >= 0:
        raise ValueError(f"tol must be >= 0, got {tol!r}")
    X_, Y_ = _check_data(X, Y)
    _check_finite(X_)
    X_ = X_.astype(np.float64, copy=False)
    Y_ = Y_.astype(np.float64, copy=False)
    n = X_.shape[0]
    theta = np.zeros(n + 1)
    replay = _compiled_derivatives(X_, Y_, fused=fused) if engine == "value" and compiled else None

    def derivatives(theta: NDArray[Any]) -> tuple[float, NDArray[Any], NDArray[Any]]:
        if replay is not None:
            return replay(theta)
        w, b = theta[:n].reshape(n, 1), float(theta[n])
        if engine == "value":
            return value_derivatives(w, b, X_, Y_, fused=fused)
        dw, db, cost = _propagate(w, b, X_, Y_)
        return cost, np.append(dw.ravel(), db), closed_form_hessian(w, b, X_)

    costs: list[float] = []
    converged = False
    iterations = 0
    while True:
        cost, gradient, hessian = derivatives(theta)
        costs.append(cost)
        if np.max(np.abs(gradient)) <= tol:
            converged = True
            break
        if iterations == max_iterations:
            break
        try:
            theta = theta - np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError:
            raise ValueError(
                f"the Hessian is singular after {iterations} Newton steps: the cost has no "
                "unique minimum (perfectly separable classes, or duplicated features). "
                "Remove redundant features or use gradient descent"
            ) from None
        iterations += 1
    return NewtonResult(
        w=theta[:n].reshape(n, 1),
        b=float(theta[n]),
        costs=costs,
        iterations=iterations,
        converged=converged,
        engine=engine,
    )
