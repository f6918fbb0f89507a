"""Solvers for the regularized logistic-regression objective: Newton, L-BFGS, gradient
descent and FISTA, all stopping on the same documented measure.

`minimize` works on any `Objective` (see `micrograd_lr.logistic.objective`): a flat
parameter vector, a smooth part with its gradient and Hessian, and an optional L1 term.

**When a solver stops.** Every solver measures optimality the same way, like scikit-learn's
``tol``: the largest entry of the *projected gradient*, the smallest subgradient of the whole
objective at ``theta``,

* ``g_j`` where there is no L1 term (``g`` the smooth part's gradient),
* ``g_j + beta_j sign(theta_j)`` where ``theta_j != 0``,
* ``sign(g_j) max(|g_j| - beta_j, 0)`` where ``theta_j == 0``,

which is 0 exactly at the optimum. A solver stops *converged* once this is ``<= tol``; it
stops unconverged, with a `ConvergenceWarning` saying how far it got, at ``max_iter``
iterations or when no step can reduce the objective any more (the rounding floor).
The objective is scaled as the mean loss (scikit-learn's primal divided by ``C`` times the
sum of sample weights), so ``tol`` means what it means in scikit-learn.
"""

from __future__ import annotations

import math
import warnings
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .. import errors
from .course import features_too_large
from .objective import Objective

__all__ = [
    "NEWTON_MAX_BYTES",
    "NEWTON_MAX_PARAMS",
    "SOLVERS",
    "SolverResult",
    "minimize",
    "optimality",
]

NEWTON_MAX_BYTES = 2**30
"""``solver="newton"`` refuses a Hessian larger than this (1 GiB: about 11,500 parameters)."""

SOLVERS: tuple[str, ...] = ("newton", "lbfgs", "gd", "fista")
"""The solvers `minimize` knows; ``"auto"`` picks one of them."""

NEWTON_MAX_PARAMS = 500
"""``solver="auto"`` uses Newton up to this many parameters (a Newton step forms and factors
the ``p x p`` Hessian, ``O(m p^2 + p^3)``), L-BFGS above it, FISTA whenever there is an L1
term."""

Vector = NDArray[np.float64]
Callback = Callable[[int, Vector, float], Any]
Steps = Iterator[tuple[Vector, float, Vector]]
"""A solver: yields each new point ``theta`` with the smooth part and its gradient there, and
ends when no step can reduce the objective any more."""

_EPS = float(np.finfo(np.float64).eps)


@dataclass
class SolverResult:
    """What `minimize` found.

    Attributes
    ----------
    theta : array, shape (n_params,)
        The parameters at the end.
    fun : float
        The objective at ``theta`` (L1 term included).
    n_iter : int
        Iterations taken (Newton steps, L-BFGS steps, gradient steps, FISTA steps).
    converged : bool
        True when the projected gradient's largest entry fell within ``tol``.
    solver : str
        The solver that ran (the one ``"auto"`` chose).
    optimality : float
        The projected gradient's largest entry at ``theta``.
    message : str
        Why the solver stopped.
    """

    theta: Vector
    fun: float
    n_iter: int
    converged: bool
    solver: str
    optimality: float = math.nan
    message: str = ""


def optimality(objective: Objective, theta: Vector, gradient: Vector) -> float:
    """The largest entry of the projected gradient (see the module docstring) at ``theta``,
    given the smooth part's ``gradient`` there."""
    beta = objective.l1_weights
    if beta is None:
        return float(np.max(np.abs(gradient)))
    at_zero = np.sign(gradient) * np.maximum(np.abs(gradient) - beta, 0.0)
    elsewhere = gradient + beta * np.sign(theta)
    return float(np.max(np.abs(np.where(theta == 0, at_zero, elsewhere))))


def _l1_term(objective: Objective, theta: Vector) -> float:
    beta = objective.l1_weights
    return 0.0 if beta is None else float(beta @ np.abs(theta))


# ----------------------------------------------------------------------------------------------
# Newton
# ----------------------------------------------------------------------------------------------
def _newton_direction(hessian: Vector, gradient: Vector) -> Vector:
    try:
        direction = -np.linalg.solve(hessian, gradient)
    except np.linalg.LinAlgError:
        raise ValueError(
            "the Hessian is singular: the cost has no unique minimum (duplicated or constant "
            "features without a penalty). Remove redundant features, use a penalty (finite "
            "C), or use solver='lbfgs'"
        ) from None
    if not (np.isfinite(direction).all() and direction @ gradient < 0):
        # Rounding made the Hessian look indefinite: fall back to the gradient's direction.
        direction = -gradient
    return np.asarray(direction, dtype=np.float64)


def _newton_steps(objective: Objective, theta: Vector, f: float, g: Vector) -> Steps:
    while True:
        direction = _newton_direction(objective.smooth_hessian(theta), g)
        slope = float(g @ direction)
        # Armijo backtracking: the full Newton step is taken near the optimum (quadratic
        # convergence); far from it, halving keeps every step a decrease.
        step = 1.0
        for _ in range(60):
            candidate = theta + step * direction
            f_new, g_new = objective.smooth_value_and_gradient(candidate)
            if f_new <= f + 1e-4 * step * slope:
                break
            step *= 0.5
        else:
            return
        if f_new == f and np.array_equal(candidate, theta):
            return
        theta, f, g = candidate, f_new, g_new
        yield theta, f, g


def _no_decrease(measure: float) -> str:
    return (
        f"no step reduces the objective any more (the rounding floor) with the projected "
        f"gradient at {measure:.3g}: tol is below what float64 can resolve here; standardize "
        "the features or ask for a larger tol"
    )


# ----------------------------------------------------------------------------------------------
# L-BFGS
# ----------------------------------------------------------------------------------------------
def _two_loop(gradient: Vector, pairs: deque[tuple[Vector, Vector, float]]) -> Vector:
    """``-H g`` by the two-loop recursion over the stored ``(s, y, 1 / y.s)`` pairs, with the
    initial matrix ``(s.y / y.y) I`` from the newest pair."""
    q = gradient.copy()
    alphas = []
    for s, y, rho in reversed(pairs):
        a = rho * float(s @ q)
        alphas.append(a)
        q -= a * y
    s, y, rho = pairs[-1]
    q *= 1.0 / (rho * float(y @ y))
    for (s, y, rho), a in zip(pairs, reversed(alphas), strict=True):
        b = rho * float(y @ q)
        q += (a - b) * s
    return -q


def _wolfe_search(
    fg: Callable[[Vector], tuple[float, Vector]],
    theta: Vector,
    f0: float,
    g0: Vector,
    direction: Vector,
    step: float,
    c1: float = 1e-4,
    c2: float = 0.9,
    max_evals: int = 40,
) -> tuple[float, float, Vector] | None:
    """A step satisfying the strong Wolfe conditions (Nocedal & Wright, algorithms 3.5 and
    3.6: bracket, then zoom by safeguarded cubic interpolation); None when there is none to
    be found at this precision."""
    slope0 = float(g0 @ direction)
    evals = 0
    # Near the optimum f changes by less than its rounding: allow that much (the
    # "approximate Wolfe" condition of Hager and Zhang), so the slope condition decides.
    slack = 10 * _EPS * abs(f0)

    def phi(a: float) -> tuple[float, float, Vector]:
        nonlocal evals
        evals += 1
        f, g = fg(theta + a * direction)
        return f, float(g @ direction), g

    def interpolate(a0: float, f0_: float, d0: float, a1: float, f1: float, d1: float) -> float:
        lo, hi = min(a0, a1), max(a0, a1)
        d_1 = d0 + d1 - 3 * (f0_ - f1) / (a0 - a1)
        root = d_1 * d_1 - d0 * d1
        if root >= 0 and a1 != a0:
            d_2 = math.copysign(math.sqrt(root), a1 - a0)
            a = a1 - (a1 - a0) * (d1 + d_2 - d_1) / (d1 - d0 + 2 * d_2)
            if lo + 0.1 * (hi - lo) <= a <= hi - 0.1 * (hi - lo):
                return a
        return 0.5 * (lo + hi)

    Point = tuple[float, float, float, Vector]  # step, f, slope, gradient

    def zoom(lo: Point, hi: Point) -> tuple[float, float, Vector] | None:
        (a_lo, f_lo, d_lo, g_lo), (a_hi, f_hi, d_hi, _) = lo, hi
        while evals < max_evals:
            a = interpolate(a_lo, f_lo, d_lo, a_hi, f_hi, d_hi)
            if a in (a_lo, a_hi):
                break
            f, d, g = phi(a)
            if f > f0 + c1 * a * slope0 + slack or f >= f_lo + slack:
                a_hi, f_hi, d_hi = a, f, d
            else:
                if abs(d) <= -c2 * slope0:
                    return a, f, g
                if d * (a_hi - a_lo) >= 0:
                    a_hi, f_hi, d_hi = a_lo, f_lo, d_lo
                a_lo, f_lo, d_lo, g_lo = a, f, d, g
        # The bracket shrank to rounding: accept its best point if it decreases f at all.
        if a_lo > 0 and f_lo <= f0 + slack:
            return a_lo, f_lo, g_lo
        return None

    a_prev, f_prev, d_prev, g_prev = 0.0, f0, slope0, g0
    a = step
    while evals < max_evals:
        f, d, g = phi(a)
        if not math.isfinite(f):
            a = 0.5 * (a_prev + a)  # overshot into overflow: come back
            continue
        if f > f0 + c1 * a * slope0 + slack or (evals > 1 and f >= f_prev + slack):
            return zoom((a_prev, f_prev, d_prev, g_prev), (a, f, d, g))
        if abs(d) <= -c2 * slope0:
            return a, f, g
        if d >= 0:
            return zoom((a, f, d, g), (a_prev, f_prev, d_prev, g_prev))
        a_prev, f_prev, d_prev, g_prev = a, f, d, g
        a *= 2.0
    return None


def _lbfgs_steps(
    objective: Objective, theta: Vector, f: float, g: Vector, memory: int = 10
) -> Steps:
    fg = objective.smooth_value_and_gradient
    L = _known_lipschitz(objective)
    first_step = 1.0 / L if L is not None else min(1.0, 1.0 / float(np.max(np.abs(g))))
    pairs: deque[tuple[Vector, Vector, float]] = deque(maxlen=memory)
    while True:
        if pairs:
            direction, step = _two_loop(g, pairs), 1.0
            if not direction @ g < 0:  # lost positive definiteness to rounding: restart
                pairs.clear()
        if not pairs:
            # First step (or a restart): along -g, by 1/L when the objective knows its
            # curvature bound (the right scale whatever the features' units), else at most a
            # unit move in the largest entry.
            direction, step = -g, first_step
        found = _wolfe_search(fg, theta, f, g, direction, step)
        if found is None and pairs:  # try once more from the plain gradient
            pairs.clear()
            direction = -g
            found = _wolfe_search(fg, theta, f, g, direction, first_step)
        if found is None:
            return
        a, f_new, g_new = found
        s = a * direction
        y = g_new - g
        sy = float(s @ y)
        # Keep the curvature pair only when it is positive beyond rounding (a test on the
        # angle between s and y, so that it does not depend on the features' units).
        if sy > _EPS * math.sqrt(float(s @ s) * float(y @ y)):
            pairs.append((s, y, 1.0 / sy))
        theta, f, g = theta + s, f_new, g_new
        yield theta, f, g


# ----------------------------------------------------------------------------------------------
# Gradient descent (proximal with an L1 term) and FISTA
# ----------------------------------------------------------------------------------------------
def _known_lipschitz(objective: Objective) -> float | None:
    """The objective's own curvature bound when it has one (``lipschitz()``)."""
    lipschitz = getattr(objective, "lipschitz", None)
    if lipschitz is None:
        return None
    L = float(lipschitz())
    if math.isinf(L) or math.isnan(L):
        largest = float(np.max(np.abs(getattr(objective, "X", np.full(1, np.inf)))))
        raise features_too_large(largest, "the curvature bound L (about x**2 / 4)")
    return L if L > 0 else None


def _gd_steps(
    objective: Objective, theta: Vector, f: float, g: Vector, learning_rate: float | None
) -> Steps:
    fg = objective.smooth_value_and_gradient
    if learning_rate is None:
        L = _known_lipschitz(objective)
        learning_rate = 1.0 / L if L is not None else None
    fixed = learning_rate is not None
    rate = 1.0 if learning_rate is None else float(learning_rate)
    while True:
        while True:
            candidate = objective.prox_l1(theta - rate * g, rate)
            f_new, g_new = fg(candidate)
            if fixed:
                break
            # Without a known bound: halve until the quadratic upper model holds.
            d = candidate - theta
            if f_new <= f + float(g @ d) + float(d @ d) / (2 * rate) + 10 * _EPS * abs(f):
                break
            rate *= 0.5
            if rate < 1e-300:
                return
        if not math.isfinite(f_new):
            raise ValueError(
                f"gradient descent diverged (the objective became {f_new}): the learning rate "
                f"{rate:g} is too large; leave it out to use 1/L"
            )
        theta, f, g = candidate, f_new, g_new
        yield theta, f, g


def _fista_steps(
    objective: Objective, x: Vector, f_x: float, g_x: Vector, learning_rate: float | None
) -> Steps:
    """FISTA (Beck & Teboulle 2009) with backtracking on ``L``, a mild decrease of ``L``
    after each accepted step (so a pessimistic bound does not slow every step), and the
    gradient restart of O'Donoghue & Candes (2015), which keeps the convergence linear on
    strongly convex problems. Yields the proximal points ``x`` and the gradient there."""
    fg = objective.smooth_value_and_gradient
    if learning_rate is not None:
        L = 1.0 / learning_rate
    else:
        bound = _known_lipschitz(objective)
        L = bound if bound is not None else 1.0
    y, f_y, g_y, t = x, f_x, g_x, 1.0
    while True:
        for _ in range(200):
            x_new = objective.prox_l1(y - g_y / L, 1.0 / L)
            d = x_new - y
            f_new, g_new = fg(x_new)
            if f_new <= f_y + float(g_y @ d) + 0.5 * L * float(d @ d) + 10 * _EPS * abs(f_y):
                break
            L *= 2.0
        else:
            return
        if np.array_equal(x_new, x) and np.array_equal(y, x):
            return
        if float((y - x_new) @ (x_new - x)) > 0:  # momentum points uphill: restart
            t, y, f_y, g_y = 1.0, x_new, f_new, g_new
        else:
            t_new = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * t * t))
            y = x_new + ((t - 1.0) / t_new) * (x_new - x)
            t = t_new
            f_y, g_y = fg(y)
        x, f_x, g_x = x_new, f_new, g_new
        L *= 0.9
        yield x, f_x, g_x


# ----------------------------------------------------------------------------------------------
# The entry point
# ----------------------------------------------------------------------------------------------
def _choose(objective: Objective) -> str:
    if objective.l1_weights is not None:
        return "fista"
    return "newton" if objective.n_params <= NEWTON_MAX_PARAMS else "lbfgs"


def minimize(
    objective: Objective,
    theta0: ArrayLike | None = None,
    *,
    solver: str = "auto",
    tol: float = 1e-4,
    max_iter: int = 100,
    learning_rate: float | None = None,
    callback: Callback | None = None,
) -> SolverResult:
    """Minimize ``objective`` from ``theta0``.

    Parameters
    ----------
    objective : Objective
        A `BinaryObjective`, or anything with the same methods.
    theta0 : array, shape (n_params,), optional
        Where to start; zeros when None. Not modified.
    solver : {"auto", "newton", "lbfgs", "gd", "fista"}, default "auto"
        ``"newton"``: Newton's method with Armijo backtracking (a handful of steps; each
        forms and solves the Hessian). ``"lbfgs"``: limited-memory BFGS, 10 pairs, strong
        Wolfe line search. ``"gd"``: gradient descent with a fixed step (proximal gradient,
        ISTA, with an L1 term). ``"fista"``: accelerated proximal gradient with backtracking
        and restarts. Newton and L-BFGS need a smooth objective (no L1 term). ``"auto"``:
        FISTA with an L1 term, else Newton up to `NEWTON_MAX_PARAMS` parameters, else L-BFGS.
    tol : float, default 1e-4
        Stop once the projected gradient's largest entry is ``<= tol`` (module docstring).
    max_iter : int, default 100
        The most iterations; stopping there emits a `ConvergenceWarning`.
    learning_rate : float, optional
        For ``"gd"`` (and the first step of ``"fista"``): the step size. None: ``1/L`` from
        the objective's ``lipschitz()`` (the largest step guaranteed to decrease the
        objective), or backtracking when the objective has no ``lipschitz``.
    callback : callable, optional
        ``callback(n_iter, theta, fun)`` after each iteration (``fun`` the objective, L1 term
        included); returning True stops the solver (``converged`` False).

    Returns
    -------
    SolverResult

    Raises
    ------
    ValueError
        For bad arguments, an L1 term with ``"newton"`` or ``"lbfgs"``, a singular Hessian
        without a penalty (Newton), features too large for float64 (with the fix).

    Warns
    -----
    ConvergenceWarning
        When the solver stops without meeting ``tol``.
    """
    if solver != "auto" and solver not in SOLVERS:
        raise ValueError(f"solver must be 'auto' or one of {', '.join(SOLVERS)}; got {solver!r}")
    if isinstance(tol, bool) or not isinstance(tol, Real) or not 0 <= float(tol) < math.inf:
        raise ValueError(f"tol must be a finite number >= 0, got {tol!r}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int | np.integer) or max_iter < 0:
        raise ValueError(f"max_iter must be an int >= 0, got {max_iter!r}")
    if learning_rate is not None and (
        isinstance(learning_rate, bool)
        or not isinstance(learning_rate, Real)
        or not 0 < float(learning_rate) < math.inf
    ):
        raise ValueError(f"learning_rate must be a positive finite number, got {learning_rate!r}")
    name = _choose(objective) if solver == "auto" else solver
    if objective.l1_weights is not None and name in ("newton", "lbfgs"):
        raise ValueError(
            f"solver {name!r} needs a smooth objective, but this one has an L1 term "
            "(l1_ratio > 0): use solver='fista' (or 'gd', or 'auto')"
        )
    p = objective.n_params
    if name == "newton" and p * p * 8 > NEWTON_MAX_BYTES:
        raise ValueError(
            f"solver 'newton' would form a {p} x {p} Hessian ({p * p * 8 / 2**30:.1f} GiB) for "
            f"{p} parameters; use solver='lbfgs' (or 'auto') for this many features"
        )
    theta = np.zeros(p) if theta0 is None else np.array(theta0, dtype=np.float64).ravel()
    if theta.shape != (p,):
        raise ValueError(f"theta0 must have shape ({p},), got {np.shape(theta0)}")
    if not np.isfinite(theta).all():
        raise ValueError("theta0 must be finite")
    tol, max_iter = float(tol), int(max_iter)
    f, g = objective.smooth_value_and_gradient(theta)
    if name == "newton":
        steps = _newton_steps(objective, theta, f, g)
    elif name == "lbfgs":
        steps = _lbfgs_steps(objective, theta, f, g)
    elif name == "gd":
        steps = _gd_steps(objective, theta, f, g, learning_rate)
    else:
        steps = _fista_steps(objective, theta, f, g, learning_rate)
    # Every solver yields its successive points; the stopping rule is applied here alone.
    n_iter, converged, message = 0, False, ""
    while True:
        measure = optimality(objective, theta, g)
        if measure <= tol:
            converged, message = True, "the projected gradient is within tol"
            break
        if n_iter == max_iter:
            message = (
                f"{name} stopped at max_iter={max_iter} with the projected gradient at "
                f"{measure:.3g} > tol={tol:g}: increase max_iter, or standardize the features"
            )
            break
        point = next(steps, None)
        if point is None:
            message = _no_decrease(measure)
            break
        theta, f, g = point
        n_iter += 1
        if callback is not None and callback(n_iter, theta, f + _l1_term(objective, theta)):
            message = "stopped by the callback"
            break
    if converged and name == "newton" and 0 < n_iter < max_iter:
        # Newton converges quadratically: one more step from a point within tol costs one
        # solve and leaves an error of order tol**2 (stopping at the first point within tol
        # left the default fit 7e-5 above the optimum in scikit-learn's scaling).
        point = next(steps, None)
        if point is not None:
            theta, f, g = point
            n_iter += 1
            measure = optimality(objective, theta, g)
            if callback is not None:
                callback(n_iter, theta, f + _l1_term(objective, theta))
    if not converged and message != "stopped by the callback":
        warnings.warn(message, errors.ConvergenceWarning, stacklevel=2)
    return SolverResult(
        theta=theta,
        fun=f + _l1_term(objective, theta),
        n_iter=n_iter,
        converged=converged,
        solver=name,
        optimality=measure,
        message=message,
    )
