"""The teaching case: derivatives of J = a(b + c) - (b + c) = (a - 1)(b + c).

Builds J both ways as a graph of Values, backpropagates, and checks every gradient against
the closed form dJ/da = b + c and dJ/db = dJ/dc = a - 1.

    python examples/j_derivatives.py [a b c]
"""

from __future__ import annotations

import sys

from micrograd_lr import Value


def j_expanded(a: Value, b: Value, c: Value) -> Value:
    """J = a(b + c) - (b + c): the form the chain rule walks through step by step."""
    u = b + c
    u.label = "u = b + c"
    v = a * u
    v.label = "v = a * u"
    J = v - u
    J.label = "J"
    return J


def j_factored(a: Value, b: Value, c: Value) -> Value:
    """J = (a - 1)(b + c): the same function, written more compactly."""
    J = (a - 1) * (b + c)
    J.label = "J"
    return J


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    a0, b0, c0 = (float(x) for x in args) if args else (5.0, 3.0, 2.0)
    expected = {"a": b0 + c0, "b": a0 - 1, "c": a0 - 1}
    ok = True
    for name, build in (("a(b+c) - (b+c)", j_expanded), ("(a-1)(b+c)", j_factored)):
        a, b, c = Value(a0, "a"), Value(b0, "b"), Value(c0, "c")
        J = build(a, b, c)
        J.backward()
        print(f"J = {name} = {J.data:g}")
        for leaf in (a, b, c):
            closed = expected[leaf.label]
            match = leaf.grad == closed
            ok &= match
            print(
                f"  dJ/d{leaf.label} = {leaf.grad:<8g} closed form {closed:<8g} "
                f"{'ok' if match else 'MISMATCH'}"
            )
    print("both forms agree with the closed form" if ok else "gradients disagree!")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
