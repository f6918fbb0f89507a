"""The engine's operations as test cases: each built on Values and in SymPy, with the
domain where it is defined. Shared by the first- and second-derivative tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp
from hypothesis import strategies as st

from micrograd_lr import Value

A, B = sp.symbols("a b", real=True)


def moderate(lo: float = -20.0, hi: float = 20.0) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


positive = st.floats(1e-3, 50.0)
away_from_zero = moderate().filter(lambda x: abs(x) > 1e-3)


@dataclass(frozen=True)
class Case:
    """One op: how to build it on Values, the same in SymPy, and where it is defined."""

    name: str
    build: Callable[..., Value]
    symbolic: sp.Expr
    domains: tuple[st.SearchStrategy[float], ...]


CASES = [
    Case("add", lambda a, b: a + b, A + B, (moderate(), moderate())),
    Case("sub", lambda a, b: a - b, A - B, (moderate(), moderate())),
    Case("mul", lambda a, b: a * b, A * B, (moderate(), moderate())),
    Case("div", lambda a, b: a / b, A / B, (moderate(), away_from_zero)),
    Case("pow_value", lambda a, b: a**b, A**B, (st.floats(0.1, 5.0), st.floats(-3.0, 3.0))),
    Case("pow_number", lambda a: a**3, A**3, (moderate(),)),
    Case("pow_fraction", lambda a: a**0.5, sp.sqrt(A), (positive,)),
    Case("pow_negative", lambda a: a**-2, A**-2, (away_from_zero,)),
    Case("rpow", lambda a: 2.5**a, sp.Float(2.5) ** A, (moderate(),)),
    Case("neg", lambda a: -a, -A, (moderate(),)),
    Case("abs", lambda a: abs(a), sp.Abs(A), (away_from_zero,)),
    Case("exp", lambda a: a.exp(), sp.exp(A), (moderate(),)),
    Case("log", lambda a: a.log(), sp.log(A), (positive,)),
    Case("tanh", lambda a: a.tanh(), sp.tanh(A), (moderate(-5, 5),)),
    Case("sigmoid", lambda a: a.sigmoid(), 1 / (1 + sp.exp(-A)), (moderate(),)),
    Case("relu", lambda a: a.relu(), sp.Max(A, 0), (away_from_zero,)),
    Case("radd", lambda a: 3 + a, 3 + A, (moderate(),)),
    Case("rsub", lambda a: 3 - a, 3 - A, (moderate(),)),
    Case("rmul", lambda a: 3 * a, 3 * A, (moderate(),)),
    Case("rdiv", lambda a: 3 / a, 3 / A, (away_from_zero,)),
    Case("add_number", lambda a: a + 0.5, A + 0.5, (moderate(),)),
    Case("sub_number", lambda a: a - 0.5, A - 0.5, (moderate(),)),
    Case("mul_number", lambda a: a * 0.5, A * 0.5, (moderate(),)),
    Case("div_number", lambda a: a / 0.5, A / 0.5, (moderate(),)),
]
SYMBOLS = (A, B)


def exact_point(point: tuple[float, ...]) -> dict[sp.Symbol, sp.Float]:
    """SymPy substitutions holding each float exactly."""
    return {s: sp.Float(x, 60) for s, x in zip(SYMBOLS, point, strict=False)}


def close(x: float, y: float, rel: float, abs_: float = 0.0) -> bool:
    return abs(x - y) <= abs_ + rel * max(abs(x), abs(y))


def exact_gradient(case: Case, point: tuple[float, ...]) -> list[float]:
    """SymPy's symbolic derivative at the point (each float held exactly), to 30 digits."""
    subs = exact_point(point)
    return [
        float(sp.diff(case.symbolic, s).subs(subs).evalf(30)) for s in SYMBOLS[: len(case.domains)]
    ]
