"""Finite-difference checks of backpropagated gradients, for any function of Values."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from numbers import Real

from .engine import Value
from .errors import DomainError, GradcheckError

__all__ = [
    "GradcheckResult",
    "backprop_gradient",
    "central_steps",
    "gradcheck",
    "numerical_gradient",
]

ScalarFunction = Callable[..., Value]
"""``f(*values) -> Value``: builds a fresh graph from its arguments each time it is called."""


def _as_floats(values: Sequence[Value | float], name: str) -> list[float]:
    floats = []
    for i, v in enumerate(values):
        if isinstance(v, Value):
            floats.append(v.data)
        elif isinstance(v, Real) and not isinstance(v, bool):  # NumPy scalars too, as Value
            floats.append(float(v))
        else:
            raise TypeError(f"{name}[{i}] must be a Value or a number, got {type(v).__name__}")
    if not floats:
        raise ValueError(f"{name} is empty: give at least one point to differentiate at")
    return floats


def _call(f: ScalarFunction, leaves: Sequence[Value]) -> Value:
    out = f(*leaves)
    if not isinstance(out, Value):
        raise TypeError(
            f"f must return a Value (a scalar built from its arguments), got {type(out).__name__}"
        )
    return out


def _labels(values: Sequence[Value | float]) -> list[str]:
    return [v.label if isinstance(v, Value) else "" for v in values]


def _leaves(point: Sequence[float], labels: Sequence[str]) -> list[Value]:
    return [Value(x, label) for x, label in zip(point, labels, strict=True)]


def backprop_gradient(f: ScalarFunction, values: Sequence[Value | float]) -> list[float]:
    """d f / d value for each value, by backpropagation through a fresh graph.

    ``f`` is called with new leaf Values holding the same data, so the ``.grad`` of the
    Values you pass is left untouched.

    Parameters
    ----------
    f : callable
        ``f(*values) -> Value``, building its graph from its arguments.
    values : sequence of Value or float
        The point at which to differentiate.

    Returns
    -------
    list of float
        One partial derivative per value.
    """
    values = list(values)  # read twice: a generator must not come out empty the second time
    leaves = _leaves(_as_floats(values, "values"), _labels(values))
    _call(f, leaves).backward()
    return [leaf.grad for leaf in leaves]


def central_steps(x: float, h: float, *, eps: float | None = None) -> tuple[float, float]:
    """``(x - h, x + h)`` as floats, refusing a step too small to move ``x``.

    Near a large ``x`` (or with a tiny ``h``) both ``x + h`` and ``x - h`` can round back to
    ``x``; the difference quotient would then divide 0 by 0. Such a step is refused rather
    than silently widened: a step of one rounding unit gives a quotient that is mostly
    rounding noise, so the caller should choose a larger one.

    Parameters
    ----------
    x : float
        The point.
    h : float
        The step, > 0.
    eps : float, optional
        The relative step ``h`` came from, named in the message.

    Raises
    ------
    ValueError
        When ``x - h == x == x + h`` in floating point; the message names ``h``, ``x`` and
        the smallest step that moves ``x``. Also for a non-finite ``x`` or a step that
        overflows.

    Examples
    --------
    >>> central_steps(1.0, 0.5)
    (0.5, 1.5)
    >>> try:
    ...     central_steps(1.0, 1e-17, eps=1e-17)
    ... except ValueError as error:
    ...     print(str(error).replace(": ", ":\\n").replace("; ", ";\\n"))
    the finite-difference step h = 1e-17 (eps = 1e-17) is too small to move x = 1.0:
    x - h and x + h both round to x;
    use h above 1.1e-16, eps above 1.1e-16
    """
    if not math.isfinite(x):
        raise ValueError(f"cannot take a central difference at x = {x!r}: the point must be finite")
    down, up = x - h, x + h
    if not (math.isfinite(down) and math.isfinite(up)):
        raise ValueError(
            f"the finite-difference step h = {h:g} from x = {x!r} leaves the floats "
            f"(x - h = {down!r}, x + h = {up!r}); use a smaller step"
        )
    if down == x and up == x:
        smallest = math.ulp(x) / 2  # any h above half the float spacing at x moves x
        source = relative = ""
        if eps is not None:
            source = f" (eps = {eps:g})"
            relative = f", eps above {smallest / max(1.0, abs(x)):.2g}"
        raise ValueError(
            f"the finite-difference step h = {h:g}{source} is too small to move x = {x!r}: "
            f"x - h and x + h both round to x; use h above {smallest:.2g}{relative}"
        )
    return down, up


def numerical_gradient(
    f: ScalarFunction, values: Sequence[Value | float], *, eps: float = 1e-6
) -> list[float]:
    """d f / d value for each value, by central differences ``(f(x+h) - f(x-h)) / 2h``.

    The step is relative: ``h = eps * max(1, |x|)``, so large inputs are not lost in
    rounding. The error of the estimate is about ``h**2 * |f'''|`` plus ``ulp(f) / h``:
    with the default ``eps=1e-6`` that is roughly 1e-10 relative for smooth functions of
    moderate size.

    Parameters
    ----------
    f : callable
        ``f(*values) -> Value``; it is called ``2 * len(values)`` times with fresh Values.
    values : sequence of Value or float
        The point at which to differentiate.
    eps : float, default 1e-6
        The relative step.

    Returns
    -------
    list of float
        One partial derivative per value.

    Raises
    ------
    DomainError, ArithmeticError
        ``f`` fails at a step ``x +- h`` (``log`` near 0, say); the message names the
        value, both steps and ``h``. A smaller ``eps`` keeps the steps inside the domain.
    ValueError
        ``eps`` is not in (0, 1), or the step is too small to move some ``x`` (``x + h`` and
        ``x - h`` both round to ``x``; see `central_steps`): the message names the step, the
        point and the smallest step that would do.
    """
    if not (isinstance(eps, float | int) and 0 < eps < 1):
        raise ValueError(f"eps must be a number in (0, 1), got {eps!r}")
    values = list(values)  # read twice: a generator must not come out empty the second time
    point = _as_floats(values, "values")
    labels = _labels(values)
    gradient = []
    for i, x in enumerate(point):
        h = eps * max(1.0, abs(x))
        up, down = list(point), list(point)
        down[i], up[i] = central_steps(x, h, eps=eps)
        # Divide by the step actually taken: x + h is rounded, and so is x - h.
        taken = up[i] - down[i]
        try:
            f_up = _call(f, _leaves(up, labels)).data
            f_down = _call(f, _leaves(down, labels)).data
        except (ArithmeticError, DomainError) as error:
            # f is fine at the point but not at a step beside it, which the caller never
            # asked about: say which step failed and how to keep inside the domain.
            name = labels[i] or f"values[{i}]"
            raise type(error)(
                f"the central difference for {name} steps from {x!r} to {down[i]!r} and "
                f"{up[i]!r} (h = eps * max(1, |x|) = {h:g}), and f fails there: {error}; "
                "use a smaller eps"
            ) from error
        gradient.append((f_up - f_down) / taken)
    return gradient


@dataclass(frozen=True)
class GradcheckResult:
    """What `gradcheck` compared.

    Attributes
    ----------
    labels : tuple of str
        The label of each value ("" for a plain number or an unlabelled Value).
    analytical, numerical : tuple of float
        Backpropagated and finite-difference partial derivatives, one per value.
    abs_errors, rel_errors : tuple of float
        ``|analytical - numerical|`` and that divided by ``max(|analytical|, |numerical|)``
        (0 where both are 0).
    atol, rtol : float
        The tolerances the comparison used.
    passed : bool
        Every partial within ``atol + rtol * |numerical|``.
    """

    labels: tuple[str, ...]
    analytical: tuple[float, ...]
    numerical: tuple[float, ...]
    abs_errors: tuple[float, ...]
    rel_errors: tuple[float, ...]
    atol: float
    rtol: float
    passed: bool

    @property
    def max_abs_error(self) -> float:
        """The largest absolute difference over all values."""
        return max(self.abs_errors)

    @property
    def max_rel_error(self) -> float:
        """The largest relative difference over all values."""
        return max(self.rel_errors)

    def worst_by_parameter(self) -> dict[str, float]:
        """The largest relative error of each parameter, in order of first appearance.

        Values labelled with an index, ``"w[0]"``, ``"w[1]"``, ..., are parts of one
        parameter ``"w"``; unlabelled values are named by position, ``"#3"``.

        Examples
        --------
        >>> f = lambda w0, w1, b: w0 * w1 + b
        >>> result = gradcheck(f, [Value(2.0, "w[0]"), Value(3.0, "w[1]"), Value(1.0, "b")])
        >>> list(result.worst_by_parameter())
        ['w', 'b']
        """
        worst: dict[str, float] = {}
        for i, (label, error) in enumerate(zip(self.labels, self.rel_errors, strict=True)):
            name = label.split("[", 1)[0] if label.endswith("]") else label
            name = name or f"#{i}"
            worst[name] = max(worst.get(name, 0.0), error)
        return worst

    def report(self) -> str:
        """A table of both sides for every value, and the worst error."""
        names = [label or f"#{i}" for i, label in enumerate(self.labels)]
        width = max(12, *(len(name) for name in names))  # long labels keep columns aligned
        lines = [f"{'value':>{width}} {'backprop':>24} {'finite diff':>24} {'rel error':>10}"]
        for name, a, n, r in zip(
            names, self.analytical, self.numerical, self.rel_errors, strict=True
        ):
            lines.append(f"{name:>{width}} {a:>24.17g} {n:>24.17g} {r:>10.2e}")
        lines.append(
            f"largest abs error {self.max_abs_error:.3e}, largest rel error "
            f"{self.max_rel_error:.3e} (atol={self.atol:g}, rtol={self.rtol:g})"
        )
        return "\n".join(lines)


def gradcheck(
    f: ScalarFunction,
    values: Sequence[Value | float],
    *,
    eps: float = 1e-6,
    atol: float = 1e-8,
    rtol: float = 1e-6,
    raise_exception: bool = True,
) -> GradcheckResult:
    """Compare backpropagation with central differences for a scalar function of Values.

    Parameters
    ----------
    f : callable
        ``f(*values) -> Value``, building a fresh graph from its arguments on every call.
    values : sequence of Value or float
        The point at which to compare.
    eps : float, default 1e-6
        Relative finite-difference step (see `numerical_gradient`).
    atol, rtol : float, default 1e-8 and 1e-6
        A partial passes when ``|backprop - numerical| <= atol + rtol * |numerical|``.
    raise_exception : bool, default True
        Raise `GradcheckError` (showing both sides) on a mismatch, instead of returning a
        result with ``passed=False``.

    Returns
    -------
    GradcheckResult

    Examples
    --------
    >>> result = gradcheck(lambda a, b: (a - 1) * (b + 2), [Value(3.0, "a"), Value(4.0, "b")])
    >>> result.passed, result.analytical
    (True, (6.0, 2.0))
    """
    values = list(values)  # read three times below
    analytical = backprop_gradient(f, values)
    numerical = numerical_gradient(f, values, eps=eps)
    abs_errors = [abs(a - n) for a, n in zip(analytical, numerical, strict=True)]
    rel_errors = [
        e / max(abs(a), abs(n)) if e else 0.0
        for e, a, n in zip(abs_errors, analytical, numerical, strict=True)
    ]
    passed = all(
        e <= atol + rtol * abs(n) and not math.isnan(e)
        for e, n in zip(abs_errors, numerical, strict=True)
    )
    result = GradcheckResult(
        labels=tuple(_labels(values)),
        analytical=tuple(analytical),
        numerical=tuple(numerical),
        abs_errors=tuple(abs_errors),
        rel_errors=tuple(rel_errors),
        atol=atol,
        rtol=rtol,
        passed=passed,
    )
    if not passed and raise_exception:
        message = "backprop and finite differences disagree:\n" + result.report()
        unusable = [i for i, n in enumerate(numerical) if not math.isfinite(n)]
        if unusable:  # not a wrong gradient: the difference quotient itself is inf or nan
            which = ", ".join(f"#{i}" for i in unusable)
            message += (
                f"\nthe finite difference of {which} is not finite: f overflowed or is undefined "
                "at x - h or x + h, so it cannot check the gradient there; try smaller values"
            )
        raise GradcheckError(message)
    return result
