"""Newton's method for logistic regression, with the Hessian from the Value engine or in
closed form."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .logistic import ENGINES
from .logistic._checks import _check_data, _check_finite
from .logistic.objective import BinaryObjective
from .logistic.solvers import minimize
from .logistic.value_graph import value_derivatives

__all__ = ["NewtonResult", "closed_form_hessian", "newton", "value_derivatives"]


def closed_form_hessian(w: ArrayLike, b: float, X: ArrayLike) -> NDArray[np.float64]:
    """The Hessian of the mean cross-entropy cost with respect to ``(w, b)``.

    ``H = Xb diag(a (1 - a)) Xb^T / m``, where ``a = sigmoid(w^T X + b)`` and ``Xb`` is ``X``
    with a row of ones appended (the bias is the last parameter); the Hessian of
    `BinaryObjective` without a penalty (``C = inf``).

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
    # The labels do not enter the Hessian; zeros stand in for them.
    objective = BinaryObjective(X.T, np.zeros(m), C=math.inf)
    return objective.smooth_hessian(np.append(w.ravel(), float(b)))


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
    compiled: bool = True,
) -> NewtonResult:
    """Minimize the logistic-regression cost by Newton's method from ``w = 0, b = 0``.

    Each step solves ``H step = gradient`` and moves ``(w, b) -= step`` (shortened by
    backtracking when the full step would not decrease the cost enough). Near the optimum
    the number of correct digits roughly doubles per step, so a handful of steps reaches
    what gradient descent needs thousands for. This is `solvers.minimize` with
    ``solver="newton"`` on the unpenalized `BinaryObjective` (``C = inf``), in the course's
    layout.

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
    compiled : bool, default True
        With ``engine="value"``: trace and replay the graph compiled once it has been
        evaluated `~micrograd_lr.logistic.value_graph.COMPILE_AFTER` times (the same
        numbers bit for bit; a fit of a handful of steps stays on the engine, where
        compiling would not pay). False: the plain engine throughout.

    Returns
    -------
    NewtonResult

    Raises
    ------
    ValueError
        For bad arguments or data (labels other than 0 and 1, NaN or infinity in ``X``), or
        when the Hessian is singular, as with a duplicated feature: the cost then has no
        unique minimum (remove redundant features); and for features so large that the
        Hessian (their squares) overflows float64 ("features too large": standardize them).

    Warns
    -----
    ConvergenceWarning
        When ``max_iterations`` steps did not bring the gradient within ``tol``, or no step
        can reduce the cost any more; the warning says how far it got.

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
    objective = BinaryObjective(
        X_.T, Y_.ravel(), C=math.inf, engine=engine, fused=fused, compiled=compiled
    )
    theta0 = np.zeros(objective.n_params)
    costs = [objective.value(theta0)]
    result = minimize(
        objective,
        theta0,
        solver="newton",
        tol=tol,
        max_iter=max_iterations,
        callback=lambda _k, _theta, fun: costs.append(fun),
    )
    n = X_.shape[0]
    return NewtonResult(
        w=result.theta[:n].reshape(n, 1),
        b=float(result.theta[n]),
        costs=costs,
        iterations=result.n_iter,
        converged=result.converged,
        engine=engine,
    )
