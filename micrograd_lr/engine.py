"""The `Value` node: scalar operations, their derivative rules, and backpropagation.

Every operation on a `Value` returns a new `Value` that remembers its operation, its parents
and the local derivative d(out)/d(parent) of each, computed in the forward pass as floats.
`backward()` then walks the graph once, consumers before producers, and applies the chain
rule. Python numbers mixed into an expression are folded into the node (``x * 3`` is one
node, not two), so they never receive a gradient and cost no memory.

Derivative rules are data: each `Op` holds one rule per operand, written with arithmetic that
works on floats and on Values alike. The forward pass evaluates them on floats; backward with
``create_graph=True`` evaluates the very same rules on Values, which makes gradients
differentiable again (second and higher derivatives).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from numbers import Real
from typing import Any

from .errors import DomainError

__all__ = ["OPS", "Op", "Value", "gradients"]

Number = int | float
"""A plain number that may stand beside a Value in an expression (it is folded, not a node)."""

Rule = Callable[..., Any]
"""``rule(out, *operands) -> d out / d operand``; works on floats and on Values alike."""


# --------------------------------------------------------------------------------------------
# Operations and their derivative rules
# --------------------------------------------------------------------------------------------
class Op:
    """One kind of operation: how it is computed, drawn and differentiated.

    Parameters
    ----------
    symbol : str
        What a drawing shows for the operation: ``"+"``, ``"exp"``, ...
    forward : callable
        Computes the result from the operands' floats.
    derivatives : tuple
        One rule per operand, in operand order: either a float (a constant derivative) or a
        callable ``rule(out, *operands)`` returning the derivative of the result with respect
        to that operand, where ``out`` is the result itself. Rules use only arithmetic and
        Value methods, so they work on floats (the fast path) and on Values (to build
        differentiable gradients) alike.
    constant_first : bool, default False
        For a node with a folded number: the number is the left operand (``3 - x``).
    """

    __slots__ = ("constant_first", "derivatives", "forward", "symbol")

    def __init__(
        self,
        symbol: str,
        forward: Callable[..., float],
        derivatives: tuple[Rule | float, ...],
        *,
        constant_first: bool = False,
    ) -> None:
        self.symbol = symbol
        self.forward = forward
        # Any, not Rule | float: the hot paths tell the two apart with `type(d) is float`,
        # which mypy does not narrow.
        self.derivatives: tuple[Any, ...] = derivatives
        self.constant_first = constant_first

    @property
    def arity(self) -> int:
        """How many operands the operation takes."""
        return len(self.derivatives)

    def reflected(self) -> Op:
        """The same operation with a folded number on the left (for ``__rsub__`` and kin)."""
        return Op(self.symbol, self.forward, self.derivatives, constant_first=True)

    def local_derivative(self, index: int, out: Any, *operands: Any) -> Any:
        """Evaluate the rule for operand ``index``, on floats or on Values."""
        rule = self.derivatives[index]
        return rule if type(rule) is float else rule(out, *operands)

    def __repr__(self) -> str:
        side = ", constant_first=True" if self.constant_first else ""
        return f"Op({self.symbol!r}{side})"


def _data(x: Any) -> float:
    """The float inside a Value, or the number itself."""
    return x.data if type(x) is Value else x


def _log(x: Any) -> Any:
    return x.log() if type(x) is Value else math.log(x)


def _sign(x: Any) -> float:
    # A step function: its own derivative is zero, so a constant is right on both paths.
    d = _data(x)
    return 1.0 if d > 0 else -1.0 if d < 0 else 0.0


def _step(x: Any) -> float:
    return 1.0 if _data(x) > 0 else 0.0


def _power_base_rule(out: Any, a: Any, b: Any) -> Any:
    # d(a**b)/da = b * a**(b-1). Where that formula would divide by zero at a == 0 the
    # limits are used: a**0 == 1 is a constant (derivative 0), and for 0 < b < 1 the
    # tangent is vertical (derivative +inf, as for sqrt at 0). A Value exponent never meets
    # a == 0 (its base must be positive).
    if type(b) is not Value:
        if b == 0:
            return 0.0
        if 0 < b < 1 and _data(a) == 0:
            return math.inf
    return b * a ** (b - 1)


def _stable_sigmoid(z: float) -> float:
    # Branch on the sign so that exp never sees a large positive argument (no overflow).
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _sigmoid(x: Any) -> Any:
    return x.sigmoid() if type(x) is Value else _stable_sigmoid(x)


def _relu(a: float) -> float:
    return a if a > 0 else 0.0


ADD = Op("+", operator.add, (1.0, 1.0))
SUB = Op("-", operator.sub, (1.0, -1.0))
MUL = Op("*", operator.mul, (lambda out, a, b: b, lambda out, a, b: a))
DIV = Op("/", operator.truediv, (lambda out, a, b: 1 / b, lambda out, a, b: -out / b))
POW = Op("**", operator.pow, (_power_base_rule, lambda out, a, b: out * _log(a)))
NEG = Op("neg", operator.neg, (-1.0,))
ABS = Op("abs", abs, (lambda out, a: _sign(a),))
EXP = Op("exp", math.exp, (lambda out, a: out,))
LOG = Op("log", math.log, (lambda out, a: 1 / a,))
TANH = Op("tanh", math.tanh, (lambda out, a: 1 - out * out,))
SIGMOID = Op("sigmoid", _stable_sigmoid, (lambda out, a: out * _sigmoid(-a),))
RELU = Op("relu", _relu, (lambda out, a: _step(a),))

RADD, RSUB, RMUL, RDIV, RPOW = (op.reflected() for op in (ADD, SUB, MUL, DIV, POW))

OPS: dict[str, Op] = {
    "add": ADD, "sub": SUB, "mul": MUL, "div": DIV, "pow": POW, "neg": NEG, "abs": ABS,
    "exp": EXP, "log": LOG, "tanh": TANH, "sigmoid": SIGMOID, "relu": RELU,
}  # fmt: skip
"""Every primitive operation by name."""

# The hottest operations build their node inline from these (see Value.__add__ and
# Value.tanh): the same forward functions and rules, without a lookup per call.
_ADD_DX, _ADD_DY = ADD.derivatives
_SUB_DX, _SUB_DY = SUB.derivatives
_MUL_DX, _MUL_DY = MUL.derivatives
_EXP_F, (_EXP_D,) = EXP.forward, EXP.derivatives
_TANH_F, (_TANH_D,) = TANH.forward, TANH.derivatives
_SIGMOID_F, (_SIGMOID_D,) = SIGMOID.forward, SIGMOID.derivatives
_RELU_F, (_RELU_D,) = RELU.forward, RELU.derivatives


# --------------------------------------------------------------------------------------------
# The node
# --------------------------------------------------------------------------------------------
class Value:
    """A scalar that records the operations applied to it, for backpropagation.

    Parameters
    ----------
    data : int or float
        The value. NumPy scalars are accepted. NaN and infinities are accepted too and
        propagate by IEEE-754 rules, through the values and through the gradients: no
        error is raised for them.
    label : str, default ""
        A name shown in drawings and error messages.

    Attributes
    ----------
    data : float
        The value computed in the forward pass.
    grad : float
        d(root)/d(this node), filled by ``root.backward()``. Gradients **accumulate**: a
        second ``backward()`` adds to them. Call ``root.zero_grad()`` to reset them (for
        example before each step of a training loop).
    label : str
        The node's name (empty for intermediate results unless you set it).

    Examples
    --------
    >>> a, b, c = Value(2.0, "a"), Value(3.0, "b"), Value(4.0, "c")
    >>> J = (a - 1) * (b + c)
    >>> J.backward()
    >>> J.data, a.grad, b.grad, c.grad
    (7.0, 7.0, 1.0, 1.0)
    """

    # Memory matters for million-node graphs: slots, no per-node dict, no closures (and so
    # no reference cycles for the garbage collector to chase). `_edges` interleaves each
    # parent with its local derivative, (p0, d0, p1, d1): one tuple per node instead of two.
    __slots__ = ("_const", "_edges", "_op", "_pending", "data", "grad", "label")

    # Make NumPy defer to our reflected operators instead of building object arrays.
    __array_ufunc__ = None

    def __init__(self, data: Number, label: str = "") -> None:
        if type(data) is not float:
            data = _checked_float(data)
        if type(label) is not str:
            raise TypeError(f"Value label must be a str, got {type(label).__name__}: {label!r}")
        self.data: float = data
        self.grad: Any = 0.0  # a float; a Value after backward(create_graph=True)
        self.label: str = label
        self._op: Op | None = None
        self._edges: tuple[Any, ...] = ()
        self._const: float | None = None
        self._pending = 0  # scratch for backward: consumers not yet processed (0 at rest)

    # --- introspection, for drawing and for graph walks -------------------------------------
    @property
    def op(self) -> Op | None:
        """The operation that produced this node (None for a leaf)."""
        return self._op

    @property
    def parents(self) -> tuple[Value, ...]:
        """The Value operands this node was computed from, in operand order."""
        return self._edges[::2]

    @property
    def local_grads(self) -> tuple[float, ...]:
        """d(this node)/d(parent) for each parent, as computed in the forward pass."""
        return self._edges[1::2]

    @property
    def constant(self) -> float | None:
        """The plain number folded into this node (``3.0`` in ``x * 3``), or None."""
        return self._const

    @property
    def operands(self) -> tuple[Value | float, ...]:
        """All operands in the order written: Values and folded numbers."""
        parents: tuple[Value | float, ...] = self._edges[::2]
        if self._const is None:
            return parents
        if self._op is not None and self._op.constant_first:
            return (self._const, *parents)
        return (*parents, self._const)

    def __repr__(self) -> str:
        label = f"label={self.label!r}, " if self.label else ""
        return f"Value({label}data={self.data!r}, grad={self.grad!r})"

    def _describe(self) -> str:
        if self.label:
            return f"Value {self.label!r} (data={self.data!r})"
        return f"Value(data={self.data!r})"

    # --- arithmetic ---------------------------------------------------------------------------
    # Value-with-Value and Value-with-float are the hot paths of every graph, so +, - and *
    # build those nodes inline (from the same rules); every other case goes through
    # _binary, which also checks the domain and folds in other kinds of numbers.
    def __add__(self, other: Value | Number) -> Value:  # self + other
        if type(other) is Value:
            return _node(self.data + other.data, ADD, (self, _ADD_DX, other, _ADD_DY))
        if type(other) is float:
            return _node(self.data + other, ADD, (self, _ADD_DX), other)
        return _binary(ADD, self, other)

    def __radd__(self, other: Number) -> Value:  # other + self
        return _binary(RADD, other, self)

    def __sub__(self, other: Value | Number) -> Value:  # self - other
        if type(other) is Value:
            return _node(self.data - other.data, SUB, (self, _SUB_DX, other, _SUB_DY))
        if type(other) is float:
            return _node(self.data - other, SUB, (self, _SUB_DX), other)
        return _binary(SUB, self, other)

    def __rsub__(self, other: Number) -> Value:  # other - self
        return _binary(RSUB, other, self)

    def __mul__(self, other: Value | Number) -> Value:  # self * other
        if type(other) is Value:
            a, b = self.data, other.data
            out = a * b
            return _node(out, MUL, (self, _MUL_DX(out, a, b), other, _MUL_DY(out, a, b)))
        if type(other) is float:
            a = self.data
            out = a * other
            return _node(out, MUL, (self, _MUL_DX(out, a, other)), other)
        return _binary(MUL, self, other)

    def __rmul__(self, other: Number) -> Value:  # other * self
        return _binary(RMUL, other, self)

    def __truediv__(self, other: Value | Number) -> Value:  # self / other
        return _binary(DIV, self, other)

    def __rtruediv__(self, other: Number) -> Value:  # other / self
        return _binary(RDIV, other, self)

    def __pow__(self, other: Value | Number) -> Value:  # self ** other
        return _binary(POW, self, other)

    def __rpow__(self, other: Number) -> Value:  # other ** self
        return _binary(RPOW, other, self)

    def __neg__(self) -> Value:  # -self
        return _unary(NEG, self)

    def __abs__(self) -> Value:  # abs(self)
        return _unary(ABS, self)

    # --- functions ----------------------------------------------------------------------------
    # The common functions build their node inline from their Op's forward and rule: half
    # the time of going through _unary, which serves the rest.
    def exp(self) -> Value:
        """e ** self. OverflowError above about 709.78, where e ** x exceeds the largest
        float."""
        a = self.data
        try:
            out = _EXP_F(a)
        except OverflowError:
            raise _overflow(EXP, self) from None
        return _node(out, EXP, (self, _EXP_D(out, a)))

    def log(self) -> Value:
        """Natural logarithm, defined for data > 0 (DomainError otherwise)."""
        return _unary(LOG, self)

    def tanh(self) -> Value:
        """Hyperbolic tangent; its local derivative is 1 - tanh**2."""
        a = self.data
        out = _TANH_F(a)
        return _node(out, TANH, (self, _TANH_D(out, a)))

    def sigmoid(self) -> Value:
        """1 / (1 + e**-self), computed without overflow for every float.

        The local derivative is s(1 - s), formed as ``sigmoid(x) * sigmoid(-x)`` (the same
        number, since 1 - sigmoid(x) = sigmoid(-x)): ``1 - s`` would round to 0 for x above
        about 37, where the true derivative is about e**-x.
        """
        a = self.data
        out = _SIGMOID_F(a)
        return _node(out, SIGMOID, (self, _SIGMOID_D(out, a)))

    def relu(self) -> Value:
        """max(0, self); its derivative is taken as 0 at 0."""
        a = self.data
        out = _RELU_F(a)
        return _node(out, RELU, (self, _RELU_D(out, a)))

    # --- backpropagation ----------------------------------------------------------------------
    def backward(self, *, create_graph: bool = False) -> None:
        """Add d(self)/d(node) to ``.grad`` of every node reachable from this one.

        The walk is iterative (no recursion: a chain of a million nodes is fine) and its order
        depends only on the graph's structure, never on ``id()`` or hashing, so results are
        bitwise identical in every process. Gradients accumulate: call ``zero_grad()`` first
        to start from zero.

        Each node keeps a scratch counter during the walk, so two threads must not run
        ``backward`` at the same time on graphs that share nodes.

        Parameters
        ----------
        create_graph : bool, default False
            Build the gradients themselves as Values (``node.grad`` becomes a Value), so they
            can be backpropagated again for second and higher derivatives. Without it,
            gradients are plain floats from the fast path; both give the same first
            derivatives, bit for bit.
        """
        if create_graph:
            for node, g in gradients(self, create_graph=True).items():
                old = node.grad
                node.grad = g if type(old) is float and old == 0.0 else old + g
            return

        try:
            nodes = _count_consumers(self)
        except BaseException:  # interrupted (KeyboardInterrupt, MemoryError): no stale counts
            _reset_counts(self)
            raise
        # This pass's gradients are built up in .grad from zero and the earlier ones are
        # added back at the end: accumulation without a dict lookup per edge.
        earlier = [node.grad for node in nodes]
        for node in nodes:
            node.grad = 0.0
        self.grad = 1.0
        stack = [self]
        pop, push = stack.pop, stack.append
        finished = False
        try:
            # Kahn's algorithm fused with the chain rule: a node is expanded once all of its
            # consumers have added their share to its gradient. The primitive ops have one
            # or two operands, unpacked directly (1.5x faster than the generic loop, which
            # serves n-ary nodes such as fused ones).
            while stack:
                node = pop()
                g = node.grad
                edges = node._edges
                n = len(edges)
                if n == 4:
                    p, dp, q, dq = edges
                    p.grad += dp * g
                    q.grad += dq * g
                    p._pending -= 1
                    if not p._pending:
                        push(p)
                    q._pending -= 1
                    if not q._pending:
                        push(q)
                elif n == 2:
                    p, dp = edges
                    p.grad += dp * g
                    p._pending -= 1
                    if not p._pending:
                        push(p)
                elif n:
                    for i in range(0, n, 2):
                        p = edges[i]
                        p.grad += edges[i + 1] * g
                        p._pending -= 1
                        if not p._pending:
                            push(p)
            finished = True
        finally:
            if not finished:  # interrupted: leave every node's scratch count at rest
                for node in nodes:
                    node._pending = 0
            if any(earlier):
                for node, old in zip(nodes, earlier, strict=True):
                    node.grad += old

    def zero_grad(self) -> None:
        """Set ``.grad`` to 0.0 on this node and on every node it was computed from."""
        for node in _count_consumers(self):
            node.grad = 0.0
            node._pending = 0


# --------------------------------------------------------------------------------------------
# Building nodes
# --------------------------------------------------------------------------------------------
_new = object.__new__


def _node(data: float, op: Op, edges: tuple[Any, ...], const: float | None = None) -> Value:
    # Skips __init__: the data is a float computed from checked operands.
    v = _new(Value)
    v.data = data
    v.grad = 0.0
    v.label = ""
    v._op = op
    v._edges = edges
    v._const = const
    v._pending = 0
    return v


def _unary(op: Op, x: Value) -> Value:
    """The node for ``op(x)``."""
    a = x.data
    check = _DOMAIN_CHECKS.get(op)
    if check is not None:
        check(x, a)
    try:
        out = op.forward(a)
        return _node(out, op, (x, op.local_derivative(0, out, a)))
    except OverflowError:
        raise _overflow(op, x) from None


def _binary(op: Op, x: Any, y: Any) -> Value:
    """The node for ``x op y``, operands in the order written. One is a Value, the other a
    Value or a plain number, which is folded into the node."""
    a = x.data if type(x) is Value else _number(x)
    b = y.data if type(y) is Value else _number(y)
    if a is None or b is None:
        return NotImplemented
    check = _DOMAIN_CHECKS.get(op)
    if check is not None:
        check(x, y, a, b)
    dx, dy = op.derivatives
    try:
        out = op.forward(a, b)
        # A rule is a constant derivative (a float) or a function of (out, *operands).
        if type(x) is not Value:
            return _node(out, op, (y, dy if type(dy) is float else dy(out, a, b)), a)
        if type(y) is not Value:
            return _node(out, op, (x, dx if type(dx) is float else dx(out, a, b)), b)
        return _node(
            out,
            op,
            (
                x,
                dx if type(dx) is float else dx(out, a, b),
                y,
                dy if type(dy) is float else dy(out, a, b),
            ),
        )
    except OverflowError:
        raise _overflow(op, x, y) from None


def _checked_float(data: Any) -> float:
    if isinstance(data, bool) or not isinstance(data, Real):
        hint = ""
        if isinstance(data, Value):
            hint = " (it is already a Value: use it directly, or Value(v.data) for a copy)"
        elif hasattr(data, "item"):
            hint = " (for a NumPy array of one element, pass x.item())"
        raise TypeError(
            f"Value data must be an int or a float, got {type(data).__name__}: {data!r}{hint}"
        )
    return _to_float(data, "Value data")


def _to_float(x: Any, what: str) -> float:
    try:
        return float(x)
    except OverflowError:  # an int beyond ~1.8e308 (its repr may be thousands of digits)
        size = f" of {x.bit_length()} bits" if isinstance(x, int) else ""
        raise OverflowError(
            f"{what} {type(x).__name__}{size} is too large for a float (largest about "
            "1.8e308); scale it down"
        ) from None


def _number(x: Any) -> float | None:
    """A plain number beside a Value as a float, or None when it is not a number (the
    operator then returns NotImplemented and Python raises its TypeError)."""
    if type(x) is float:
        return x
    if isinstance(x, bool) or not isinstance(x, Real):
        return None
    return _to_float(x, "a number beside a Value:")


# --------------------------------------------------------------------------------------------
# Domain checks: bad math fails with a message that names the operation and its operands,
# instead of a complex number or a bare ValueError.
# --------------------------------------------------------------------------------------------
def _describe(x: Any) -> str:
    return x._describe() if type(x) is Value else repr(x)


def _expression(op: Op, *operands: Any) -> str:
    """An operation as error messages show it: ``log(Value 'a' (data=-1.0))``."""
    shown = [_describe(x) for x in operands]
    if len(shown) == 1:
        return f"{op.symbol}({shown[0]})"
    return f"{shown[0]} {op.symbol} {shown[1]}"


def _overflow(op: Op, *operands: Any) -> OverflowError:
    hint = " (exp overflows above 709.78; sigmoid() is stable)" if op is EXP else ""
    return OverflowError(
        f"overflow in {_expression(op, *operands)}: the result or its derivative exceeds the "
        f"largest float (~1.8e308); scale the input down{hint}"
    )


def _check_division(x: Any, y: Any, a: float, b: float) -> None:
    if b == 0:
        raise ZeroDivisionError(
            f"division by zero in {_expression(DIV, x, y)}: the divisor must be non-zero"
        )


def _check_power(x: Any, y: Any, a: float, b: float) -> None:
    expression = _expression(POW, x, y)
    if type(y) is Value and a <= 0:
        raise DomainError(
            f"power with a Value exponent needs a positive base: {expression}; "
            "d/db a**b = a**b * log(a) is real only for a > 0 (make the exponent a plain "
            "number to differentiate with respect to the base alone)"
        )
    if a == 0 and b < 0:
        raise ZeroDivisionError(f"0 to a negative power: {expression} is infinite")
    if a < 0 and not b.is_integer():
        raise DomainError(
            f"negative base to a fractional power: {expression} would be a complex number"
        )


def _check_log(x: Value, a: float) -> None:
    if a <= 0:
        raise DomainError(
            f"log of a non-positive number: {_expression(LOG, x)}; log is defined for x > 0 "
            "(add a small epsilon, or clip the input)"
        )


_DOMAIN_CHECKS: dict[Op, Callable[..., None]] = {
    DIV: _check_division,
    RDIV: _check_division,
    POW: _check_power,
    RPOW: _check_power,
    LOG: _check_log,
}


# --------------------------------------------------------------------------------------------
# Walking the graph for backward
# --------------------------------------------------------------------------------------------
def _count_consumers(root: Value) -> list[Value]:
    """Every node reachable from ``root`` (root first). Sets each node's ``_pending`` to the
    number of its consumers inside this graph. Iterative, so depth is unlimited."""
    nodes = [root]
    stack = [root]
    keep, push, pop = nodes.append, stack.append, stack.pop
    while stack:
        edges = pop()._edges
        n = len(edges)
        # Unpacked by arity like backward's loop: no slice allocated per node.
        if n == 4:
            p, q = edges[0], edges[2]
            if not p._pending:
                keep(p)
                push(p)
            p._pending += 1
            if not q._pending:
                keep(q)
                push(q)
            q._pending += 1
        elif n:
            for p in edges[::2]:
                if not p._pending:
                    keep(p)
                    push(p)
                p._pending += 1
    return nodes


def _reset_counts(root: Value) -> None:
    """Set ``_pending`` back to 0 on every node reachable from ``root`` (after an
    interrupted count, when the counts themselves cannot mark what was visited)."""
    seen = {id(root)}
    stack = [root]
    while stack:
        node = stack.pop()
        node._pending = 0
        for parent in node._edges[::2]:
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)


def gradients(root: Value, *, create_graph: bool = False) -> dict[Value, Any]:
    """d(root)/d(node) for every node reachable from ``root``, without touching ``.grad``.

    The chain rule is applied in the order ``backward`` uses (`graph.consumers_first`) and
    accumulated in the same order, so the floats agree with ``backward`` bit for bit.

    Parameters
    ----------
    root : Value
        The output to differentiate.
    create_graph : bool, default False
        Return each gradient as a Value built from the graph's nodes (so it can be
        differentiated again): the local derivatives are the same rules as the fast path,
        evaluated on Values. Otherwise return floats from the local derivatives stored in
        the forward pass.

    Returns
    -------
    dict
        Node to gradient (float, or Value with ``create_graph=True``), ``root`` included.
    """
    from .graph import consumers_first  # graph.py imports this module

    grads: dict[Value, Any] = {root: 1.0}
    for node in consumers_first(root):
        if node._op is None:
            continue
        g = grads[node]
        parents = node._edges[::2]
        if create_graph:
            for parent, local in zip(parents, _local_derivatives_as_values(node), strict=True):
                term = g if type(local) is float and local == 1.0 else local * g
                grads[parent] = grads[parent] + term if parent in grads else term
        else:
            for parent, local in zip(parents, node._edges[1::2], strict=True):
                grads[parent] = grads.get(parent, 0.0) + local * g
    if create_graph:
        return {node: g if type(g) is Value else Value(g) for node, g in grads.items()}
    return grads


def _local_derivatives_as_values(node: Value) -> list[Any]:
    """The node's local derivatives from its op's rules evaluated on Values: Values that
    depend on the operands (or floats where a derivative is constant)."""
    op = node._op
    assert op is not None
    operands = node.operands
    return [
        op.local_derivative(i, node, *operands)
        for i, operand in enumerate(operands)
        if type(operand) is Value
    ]
