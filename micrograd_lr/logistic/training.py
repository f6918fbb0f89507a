"""Gradient descent on the logistic-regression cost, with the NumPy or the Value engine."""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass, field
from numbers import Real
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..engine import Value
from ..progress import progress_bar
from ._checks import (
    _check_b,
    _check_data,
    _check_finite,
    _check_finite_w,
    _check_iterations,
    _check_learning_rate,
    _check_w,
)
from .course import _propagate, lipschitz_learning_rate
from .value_graph import CostDerivatives, _GraphBuilder

__all__ = ["ENGINES", "MAX_COSTS", "CostHistory", "Engine", "TrainingResult", "train"]

Engine = Literal["numpy", "value"]
ENGINES: tuple[str, ...] = ("numpy", "value")
"""The two ways to compute the gradient: the vectorized closed form, or a Value graph."""

MAX_COSTS = 10_000
"""How many costs `train` keeps at most by default (see `CostHistory`)."""


class CostHistory:
    """The costs of a run, evenly thinned so that memory stays flat however long it runs.

    The cost of iteration ``i`` is kept when ``i`` is a multiple of the current stride
    ``s`` (at first 1). When that would make more than ``capacity`` kept costs, every
    other one is dropped (those at odd multiples of ``s``) and ``s`` doubles. After
    iteration ``n`` the history holds the costs at iterations ``0, s, 2s, ..., ks``
    (``ks <= n``), where ``s`` is the smallest power of two with ``n // s + 1 <=
    capacity``, and then the cost at ``n`` itself when ``n`` is not a multiple of ``s``
    (`finish`): at most ``capacity + 1`` costs, the first and the last always among them.
    A run of ``capacity - 1`` iterations or fewer keeps every cost.

    Parameters
    ----------
    capacity : int
        At least 2.

    Examples
    --------
    >>> history = CostHistory(4)
    >>> for i in range(10):
    ...     history.add(i, 10.0 - i)
    >>> history.finish(9, 1.0)
    >>> history.iterations, history.costs
    ([0, 4, 8, 9], [10.0, 6.0, 2.0, 1.0])
    """

    def __init__(self, capacity: int) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 2:
            raise ValueError(f"the cost history's capacity must be an int >= 2, got {capacity!r}")
        self.capacity = capacity
        self.stride = 1
        self._kept: list[tuple[int, float]] = []

    def add(self, iteration: int, cost: float) -> None:
        """Record the cost of ``iteration`` (called for 0, 1, 2, ... in order)."""
        if iteration % self.stride:
            return
        self._kept.append((iteration, cost))
        if len(self._kept) > self.capacity:
            # One assignment, so that Ctrl-C cannot land between thinning and the stride.
            self._kept, self.stride = self._kept[::2], self.stride * 2

    def finish(self, iteration: int, cost: float) -> None:
        """Record the last cost, at ``iteration``, unless it is already kept."""
        if not self._kept or self._kept[-1][0] != iteration:
            self._kept.append((iteration, cost))

    @property
    def iterations(self) -> list[int]:
        """The iterations whose costs are kept, in increasing order."""
        return [i for i, _ in self._kept]

    @property
    def costs(self) -> list[float]:
        """The kept costs, in the order of `iterations`."""
        return [c for _, c in self._kept]


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
        The cost before each update and, last, at the returned ``w`` and ``b``, evenly
        thinned to at most ``max_costs + 1`` entries (see `CostHistory`): every one of the
        ``iterations + 1`` costs for a run shorter than ``max_costs``.
    iterations : int
        How many updates were made.
    converged : bool
        True when training stopped because the gradient fell within ``tol``.
    learning_rate : float
        The step size used (the computed one when ``"auto"`` was asked for).
    engine : str
        ``"numpy"`` or ``"value"``.
    cost_iterations : list of int
        The iteration of each entry of ``costs`` (0, then every ``s``-th, then the last).
    interrupted : bool
        True when Ctrl-C (``KeyboardInterrupt``) stopped the run early: ``w``, ``b`` and
        the last cost are those of the last iteration completed.
    """

    w: NDArray[Any]
    b: float
    costs: list[float] = field(repr=False)
    iterations: int
    converged: bool
    learning_rate: float
    engine: str
    cost_iterations: list[int] = field(default_factory=list, repr=False)
    interrupted: bool = False

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


def _compiled_value_gradient(X: NDArray[Any], Y: NDArray[Any], *, fused: bool) -> Gradient:
    """`_value_gradient` traced once and replayed (`micrograd_lr.compile`): the same floats,
    bit for bit. The composed graph branches on each logit's sign (to keep ``exp`` from
    overflowing), so its trace is keyed by those signs and re-traced when one changes."""
    # Compiled from the first step: a training run is long enough to pay for it.
    derivatives = CostDerivatives(_GraphBuilder(X, Y, fused=fused), compile_after=0)
    n = X.shape[0]

    def gradient(w: NDArray[Any], b: float) -> tuple[NDArray[Any], float, float]:
        J, g = derivatives.value_and_gradient([*w.ravel().tolist(), b])
        return g[:n].astype(X.dtype).reshape(-1, 1), float(g[n]), J

    return gradient


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
    max_costs: int = MAX_COSTS,
    compiled: bool = True,
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
    max_costs : int, default 10000
        How many costs to keep at most (evenly thinned, see `CostHistory`), so that memory
        stays flat however many iterations are asked for.
    compiled : bool, default True
        With ``engine="value"``: trace the cost graph once and replay it on every step
        (`micrograd_lr.compile`; the same numbers, bit for bit, several times faster).
        False builds and backpropagates a new graph with the plain engine at every step,
        as a learner would write it.

    Returns
    -------
    TrainingResult
        With ``interrupted=True`` when Ctrl-C stopped the run: ``KeyboardInterrupt`` is
        caught and what was done so far is returned, so that a caller can report it.

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
    history = CostHistory(max_costs)

    if engine == "value":
        make_gradient = _compiled_value_gradient if compiled else _value_gradient
        gradient = make_gradient(X, Y, fused=fused)
    else:

        def gradient(w: NDArray[Any], b: float) -> tuple[NDArray[Any], float, float]:
            return _propagate(w, b, X, Y)

    converged = interrupted = False
    bar = progress_bar(num_iterations, progress, desc=f"training ({engine})", unit="it")
    iteration = 0
    # The last point whose cost is known; what an interrupted run returns.
    known: tuple[int, NDArray[Any], float, float] | None = None
    # Each step's graph has no reference cycles and is freed by reference counting as soon
    # as the step ends; the cycle collector would only rescan its tens of thousands of live
    # nodes, again and again (a quarter of a composed step, measured). Pause it meanwhile.
    collecting = gc.isenabled() and engine == "value"
    if collecting:
        gc.disable()
    try:
        while True:
            dw, db, cost = gradient(w_, b_)
            known = (iteration, w_, b_, cost)
            history.add(iteration, cost)
            if tol and max(float(np.max(np.abs(dw))), abs(db)) <= tol:
                converged = True
                break
            if iteration == num_iterations:
                break
            # New arrays, bound in one assignment: Ctrl-C cannot leave w updated and b not.
            w_, b_ = w_ - learning_rate * dw, b_ - learning_rate * db
            iteration += 1
            if bar is not None:
                bar.set_postfix_str(f"cost={cost:.6g}", refresh=False)
                bar.update()
    except KeyboardInterrupt:
        if known is None:  # not even the first cost: nothing to report
            raise
        interrupted = True
    finally:
        if collecting:
            gc.enable()
        if bar is not None:
            bar.close()
    iteration, w_, b_, cost = known
    history.finish(iteration, cost)
    return TrainingResult(
        w=w_,
        b=b_,
        costs=history.costs,
        iterations=iteration,
        converged=converged,
        learning_rate=float(learning_rate),
        engine=engine,
        cost_iterations=history.iterations,
        interrupted=interrupted,
    )
