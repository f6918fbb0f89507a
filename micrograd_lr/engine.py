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

import contextlib
import functools
import math
import operator
import threading
from collections.abc import Callable
from itertools import repeat
from numbers import Real
from typing import Any, Literal, overload

from .errors import DomainError

__all__ = ["NONFINITE", "OPS", "Op", "Value", "gradients", "is_grad_enabled", "no_grad"]

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
    # NaN in, NaN out ("NaN propagates through values and gradients").
    d = _data(x)
    return 1.0 if d > 0 else -1.0 if d < 0 else 0.0 if d == 0 else math.nan


def _step(x: Any) -> float:
    d = _data(x)
    return 1.0 if d > 0 else 0.0 if d <= 0 else math.nan


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
    return 0.0 if a <= 0 else a  # NaN is not <= 0: it stays NaN


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


def _nonfinite(x: Any, value: float) -> Any:
    """``value`` (inf or NaN) as a function of ``x`` whose own derivative is undefined."""
    if type(x) is not Value:
        return value
    return _node1(value, NONFINITE, x, math.nan, value)


NONFINITE = Op(
    "nonfinite", lambda a, value: value, (lambda out, a, value: _nonfinite(a, math.nan), 0.0)
)
"""``nonfinite(x, value)``: an infinite or NaN derivative, held as the folded number, that
``backward(create_graph=True)`` builds where a rule's limit is not finite (d sqrt(x)/dx at
0 is inf). Its own derivative is NaN: a derivative of an infinite or NaN derivative is
undefined, not the 0 of a constant. Not in `OPS`: never built by user code."""

OPS: dict[str, Op] = {
    "add": ADD, "sub": SUB, "mul": MUL, "div": DIV, "pow": POW, "neg": NEG, "abs": ABS,
    "exp": EXP, "log": LOG, "tanh": TANH, "sigmoid": SIGMOID, "relu": RELU,
}  # fmt: skip
"""Every primitive operation by name."""


_MICROGRAD_NAMES = {RELU: "ReLU"}
"""Where micrograd 0.1.0 names an operation differently from our symbol (its ``_op``)."""


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
        example before each step of a training loop). After
        ``backward(create_graph=True)`` it holds a `Value` instead (the annotation stays
        ``float``, which is what every other use sees; `autodiff.grad` with
        ``create_graph=True`` is typed to return Values).
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

    # Memory and speed matter for million-node graphs: slots, no per-node dict, no closures
    # (and so no reference cycles for the garbage collector to chase). A node of one or two
    # operands keeps each parent and its local derivative in a slot of its own (`_a`, `_da`,
    # `_b`, `_db`): reading a slot is faster than unpacking a tuple, and no tuple is
    # allocated per node. Only a fused node of three or more operands keeps its edges in a
    # tuple, `_edges = (p0, d0, p1, d1, ...)`, with `_a` None.
    __slots__ = (
        "_a",
        "_b",
        "_const",
        "_da",
        "_db",
        "_edges",
        "_operation",
        "_pending",
        "data",
        "grad",
        "label",
    )

    data: float
    grad: float
    label: str

    # Make NumPy defer to our reflected operators instead of building object arrays.
    __array_ufunc__ = None

    def __init__(self, data: Number, label: str = "") -> None:
        if type(data) is not float:
            data = _checked_float(data)
        if type(label) is not str:
            raise TypeError(f"Value label must be a str, got {type(label).__name__}: {label!r}")
        self.data = data
        self.grad = _ZERO
        self.label = label
        self._operation: Op | None = None
        self._a: Value | None = None
        # Any, not float | None: backward multiplies them after checking _a and _b, which
        # mypy cannot connect.
        self._da: Any = None
        self._b: Value | None = None
        self._db: Any = None
        self._edges: tuple[Any, ...] = ()
        self._const: float | None = None
        self._pending = 0  # scratch for backward: consumers not yet processed (0 at rest)

    # --- introspection, for drawing and for graph walks -------------------------------------
    @property
    def op(self) -> Op | None:
        """The operation that produced this node (None for a leaf)."""
        return self._operation

    @property
    def parents(self) -> tuple[Value, ...]:
        """The Value operands this node was computed from, in operand order."""
        a = self._a
        if a is None:
            return self._edges[::2]  # a fused node's edges, or () for a leaf
        b = self._b
        return (a,) if b is None else (a, b)

    @property
    def local_grads(self) -> tuple[float, ...]:
        """d(this node)/d(parent) for each parent, as computed in the forward pass."""
        if self._a is None:
            return self._edges[1::2]
        return (self._da,) if self._b is None else (self._da, self._db)

    @property
    def constant(self) -> float | None:
        """The plain number folded into this node (``3.0`` in ``x * 3``), or None."""
        return self._const

    @property
    def operands(self) -> tuple[Value | float, ...]:
        """All operands in the order written: Values and folded numbers."""
        parents: tuple[Value | float, ...] = self.parents
        if self._const is None:
            return parents
        if self._operation is not None and self._operation.constant_first:
            return (self._const, *parents)
        return (*parents, self._const)

    # --- micrograd and PyTorch names ------------------------------------------------------------
    @property
    def _op(self) -> str:
        """The operation as micrograd names it (``'+'``, ``'*'``, ``'**2'``, ``'ReLU'``),
        our symbol for operations micrograd lacks (``'exp'``, ``'/'``), '' for a leaf.

        micrograd's ``draw_dot`` concatenates it with strings, so it is always a str.
        """
        op = self._operation
        if op is None:
            return ""
        if op is POW and self._const is not None:  # micrograd: f"**{other}"
            return f"**{_micrograd_number(self._const)}"
        return _MICROGRAD_NAMES.get(op, op.symbol)

    @property
    def _prev(self) -> set[Value]:
        """The set of parents, micrograd's ``_prev`` (unordered: use `parents` for order)."""
        return set(self.parents)

    @property
    def is_leaf(self) -> bool:
        """True for a Value made by ``Value(...)``, `detach` or inside `no_grad` (no
        operation recorded), as PyTorch's ``Tensor.is_leaf``."""
        return self._operation is None

    def item(self) -> float:
        """The data as a Python float, as PyTorch's ``Tensor.item()``."""
        return self.data

    def __float__(self) -> float:  # float(self)
        return self.data

    def detach(self) -> Value:
        """A new leaf with the same data and label, cut off from this node's graph: a
        gradient never flows through it (PyTorch's ``Tensor.detach()``)."""
        return Value(self.data, self.label)

    # --- display ------------------------------------------------------------------------------
    def __repr__(self) -> str:
        label = f"label={self.label!r}, " if self.label else ""
        return f"Value({label}data={self.data!r}, grad={self.grad!r})"

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **kwargs: Any
    ) -> dict[str, str]:
        """How Jupyter shows a Value: its drawn graph as SVG, with the repr as plain text.

        Falls back to the plain text alone (never raises) when the graph cannot be drawn:
        Graphviz missing, a graph above the drawing's node limit, ``dot`` failing or timing
        out.
        """
        bundle = {"text/plain": repr(self)}
        svg = _svg_or_none(self)
        if svg is not None:
            bundle["image/svg+xml"] = svg
        return bundle

    def _describe(self) -> str:
        if self.label:
            return f"Value {self.label!r} (data={self.data!r})"
        return f"Value(data={self.data!r})"

    # --- arithmetic ---------------------------------------------------------------------------
    # Value-with-Value and Value-with-float are the hot paths of every graph, so +, - and *
    # build those nodes right here (a call to a helper would cost a fifth of the time), with
    # their Op's rule written out. Every block is the same: the result, a zero gradient, no
    # label, the operation, the parents and local derivatives in the four edge slots (None
    # where there is no second Value), the folded number or None, a zero scratch count; a
    # test checks each against the node _binary or _unary builds from the table. Every other
    # case goes through _binary, which also checks the domain and folds in other numbers.
    def __add__(self, other: Value | Number) -> Value:  # self + other
        if type(other) is Value:
            out = self.data + other.data
            v = _new(Value)
            v.data = out
            v.grad = _ZERO
            v.label = ""
            v._operation = ADD
            v._a = self
            v._da = 1.0
            v._b = other
            v._db = 1.0
            v._edges = ()
            v._const = None
            v._pending = 0
            return v
        if type(other) is float:
            out = self.data + other
            v = _new(Value)
            v.data = out
            v.grad = _ZERO
            v.label = ""
            v._operation = ADD
            v._a = self
            v._da = 1.0
            v._b = None
            v._db = None
            v._edges = ()
            v._const = other
            v._pending = 0
            return v
        return _binary(ADD, self, other)

    def __radd__(self, other: Number) -> Value:  # other + self
        return _binary(RADD, other, self)

    def __sub__(self, other: Value | Number) -> Value:  # self - other
        if type(other) is Value:
            out = self.data - other.data
            v = _new(Value)
            v.data = out
            v.grad = _ZERO
            v.label = ""
            v._operation = SUB
            v._a = self
            v._da = 1.0
            v._b = other
            v._db = -1.0
            v._edges = ()
            v._const = None
            v._pending = 0
            return v
        if type(other) is float:
            out = self.data - other
            v = _new(Value)
            v.data = out
            v.grad = _ZERO
            v.label = ""
            v._operation = SUB
            v._a = self
            v._da = 1.0
            v._b = None
            v._db = None
            v._edges = ()
            v._const = other
            v._pending = 0
            return v
        return _binary(SUB, self, other)

    def __rsub__(self, other: Number) -> Value:  # other - self
        return _binary(RSUB, other, self)

    def __mul__(self, other: Value | Number) -> Value:  # self * other
        if type(other) is Value:
            a, b = self.data, other.data
            out = a * b
            # d(a*b)/da = b, d(a*b)/db = a
            v = _new(Value)
            v.data = out
            v.grad = _ZERO
            v.label = ""
            v._operation = MUL
            v._a = self
            v._da = b
            v._b = other
            v._db = a
            v._edges = ()
            v._const = None
            v._pending = 0
            return v
        if type(other) is float:
            out = self.data * other
            v = _new(Value)
            v.data = out
            v.grad = _ZERO
            v.label = ""
            v._operation = MUL
            v._a = self
            v._da = other
            v._b = None
            v._db = None
            v._edges = ()
            v._const = other
            v._pending = 0
            return v
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
    # The common functions build their node right here too, their Op's forward and rule
    # written out; _unary serves the rest.
    def exp(self) -> Value:
        """e ** self. OverflowError above about 709.78, where e ** x exceeds the largest
        float."""
        try:
            out = math.exp(self.data)
        except OverflowError:
            raise _overflow(EXP, self) from None
        # d/da e**a = out
        v = _new(Value)
        v.data = out
        v.grad = _ZERO
        v.label = ""
        v._operation = EXP
        v._a = self
        v._da = out
        v._b = None
        v._db = None
        v._edges = ()
        v._const = None
        v._pending = 0
        return v

    def log(self) -> Value:
        """Natural logarithm, defined for data > 0 (DomainError otherwise)."""
        return _unary(LOG, self)

    def tanh(self) -> Value:
        """Hyperbolic tangent; its local derivative is 1 - tanh**2."""
        out = math.tanh(self.data)
        v = _new(Value)
        v.data = out
        v.grad = _ZERO
        v.label = ""
        v._operation = TANH
        v._a = self
        v._da = 1.0 - out * out
        v._b = None
        v._db = None
        v._edges = ()
        v._const = None
        v._pending = 0
        return v

    def sigmoid(self) -> Value:
        """1 / (1 + e**-self), computed without overflow for every float.

        The local derivative is s(1 - s), formed as ``sigmoid(x) * sigmoid(-x)`` (the same
        number, since 1 - sigmoid(x) = sigmoid(-x)): ``1 - s`` would round to 0 for x above
        about 37, where the true derivative is about e**-x.
        """
        a = self.data
        out = _stable_sigmoid(a)
        v = _new(Value)
        v.data = out
        v.grad = _ZERO
        v.label = ""
        v._operation = SIGMOID
        v._a = self
        v._da = out * _stable_sigmoid(-a)
        v._b = None
        v._db = None
        v._edges = ()
        v._const = None
        v._pending = 0
        return v

    def relu(self) -> Value:
        """max(0, self); its derivative is taken as 0 at 0. NaN stays NaN, with a NaN
        derivative."""
        a = self.data
        if a > 0:
            out, d = a, 1.0
        elif a <= 0:
            out, d = 0.0, 0.0
        else:  # NaN: the value and the derivative are NaN
            out, d = a, a
        v = _new(Value)
        v.data = out
        v.grad = _ZERO
        v.label = ""
        v._operation = RELU
        v._a = self
        v._da = d
        v._b = None
        v._db = None
        v._edges = ()
        v._const = None
        v._pending = 0
        return v

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
            built: Any
            for node, built in gradients(self, create_graph=True).items():
                old: Any = node.grad
                # .grad holds a Value from here on, as documented (annotated float for the
                # common case).
                node.grad = built if type(old) is float and old == 0.0 else old + built
            return

        try:
            nodes = _count_consumers(self)
        except BaseException:  # interrupted (KeyboardInterrupt, MemoryError): no stale counts
            _reset_counts(self)
            raise
        # This pass's gradients are built up in .grad from zero and the earlier ones are
        # added back at the end: accumulation without a dict lookup per edge. A node whose
        # .grad is still the very _ZERO object it was created with (or reset to) has no
        # earlier gradient; when that holds for all, as on a freshly built graph, there is
        # nothing to save or reset (checked at C speed, no Python loop).
        earlier: list[Any] = []
        if any(map(operator.is_not, map(_GRAD, nodes), repeat(_ZERO))):
            earlier = [node.grad for node in nodes]
            for node in nodes:
                node.grad = _ZERO
        self.grad = 1.0
        # None at the bottom of the stack ends the loop: `iter(pop, None)` pops in C, with
        # no Python-level test of the stack per node.
        stack = [None, self]
        pop, push = stack.pop, stack.append
        finished = False
        try:
            # Kahn's algorithm fused with the chain rule: a node is expanded once all of its
            # consumers have added their share to its gradient. Parents are visited in
            # operand order (a, then b, then a fused node's further edges).
            for node in iter(pop, None):
                p = node._a
                if p is None:  # a leaf, or a fused node of three or more operands
                    edges = node._edges
                    if edges:
                        g = node.grad
                        for i in range(0, len(edges), 2):
                            p = edges[i]
                            p.grad += edges[i + 1] * g
                            p._pending -= 1
                            if not p._pending:
                                push(p)
                    continue
                g = node.grad
                p.grad += node._da * g
                q = node._b
                if q is not None:
                    q.grad += node._db * g
                    p._pending -= 1
                    if not p._pending:
                        push(p)
                    q._pending -= 1
                    if not q._pending:
                        push(q)
                else:
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
            node.grad = _ZERO
            node._pending = 0


def _micrograd_number(x: float) -> str:
    """A folded number as micrograd's ``f"**{other}"`` shows it: ``2`` for the int 2."""
    return str(int(x)) if x.is_integer() else repr(x)


def _svg_or_none(value: Value) -> str | None:
    """The drawn graph of ``value`` as SVG text, or None when it cannot be drawn."""
    try:
        from . import render  # lazily: Graphviz is only needed for drawings

        digraph = render.draw(value)
        run_dot = getattr(render, "run_dot", None)  # dot with a timeout, where render has it
        if run_dot is not None:
            svg = run_dot(digraph.source, "svg", timeout=DISPLAY_TIMEOUT).decode("utf-8")
        else:
            svg = digraph.pipe(format="svg", encoding="utf-8")
    except Exception:  # no dot, too many nodes, dot failing or timing out: show the text
        return None
    return svg if isinstance(svg, str) else None


DISPLAY_TIMEOUT = 10.0
"""Seconds Graphviz may take to draw a Value shown in Jupyter before the text is shown."""


# --------------------------------------------------------------------------------------------
# Recording, and switching it off
# --------------------------------------------------------------------------------------------
_no_grad_depth: dict[int, int] = {}
"""Thread id to how many `no_grad` blocks that thread is in; empty while all record."""

_no_grad_lock = threading.Lock()


class no_grad(contextlib.ContextDecorator):
    """Record nothing inside the block: every result is a leaf (no parents, no operation).

    For updates that must not become part of a graph, in both styles::

        with no_grad():
            for p in params:
                p.data -= lr * p.grad   # plain floats: never recorded anyway
                # or p = p - lr * p.grad: the new p is a leaf, not a node of the old graph

    Values are still computed and checked (``log`` of a negative number still raises).
    Blocks nest, and ``@no_grad()`` decorates a function. Like PyTorch's, it is per
    thread: other threads keep recording while one is inside the block (while any thread
    is inside one, the hot operations check the thread they run in). Outside every block
    the hot operations (``+ - *``, ``exp``, ``tanh``, ``sigmoid``, ``relu``) pay nothing
    for it.

    Examples
    --------
    >>> x = Value(2.0, "x")
    >>> with no_grad():
    ...     y = x * 3 + 1
    >>> y.data, y.is_leaf, y.parents
    (7.0, True, ())
    """

    def __enter__(self) -> no_grad:
        ident = threading.get_ident()
        with _no_grad_lock:
            if not _no_grad_depth:  # the first block in any thread: check from now on
                for name, method in _CHECKED_METHODS.items():
                    setattr(Value, name, method)
            _no_grad_depth[ident] = _no_grad_depth.get(ident, 0) + 1
        return self

    def __exit__(self, *exc: object) -> None:
        ident = threading.get_ident()
        with _no_grad_lock:
            depth = _no_grad_depth[ident] - 1
            if depth:
                _no_grad_depth[ident] = depth
            else:
                del _no_grad_depth[ident]
            if not _no_grad_depth:  # the last block ended: back to the unchecked methods
                for name, method in _RECORDING_METHODS.items():
                    setattr(Value, name, method)


def is_grad_enabled() -> bool:
    """False inside a `no_grad` block of the calling thread, True otherwise."""
    return threading.get_ident() not in _no_grad_depth


# The hot operations build their node inline, with no test of `no_grad` (it would cost up to
# 8% of their time). While any thread is inside a block, Value's hot methods are replaced by
# these checking versions, which turn the node into a leaf for threads inside a block. Every
# other operation builds its node through _node1/_node2/_node, which check themselves.
def _checking(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def checked(self: Value, *args: Any) -> Any:
        out = method(self, *args)
        if out is not NotImplemented and threading.get_ident() in _no_grad_depth:
            return _leaf(out.data)
        return out

    return checked


_RECORDING_METHODS: dict[str, Callable[..., Any]] = {
    name: getattr(Value, name)
    for name in ("__add__", "__sub__", "__mul__", "exp", "tanh", "sigmoid", "relu")
}
_CHECKED_METHODS = {name: _checking(method) for name, method in _RECORDING_METHODS.items()}


# --------------------------------------------------------------------------------------------
# Building nodes
# --------------------------------------------------------------------------------------------
_new = object.__new__

_ZERO = 0.0
"""The gradient every node starts with (see `Value.backward`: compared by identity)."""

_GRAD = operator.attrgetter("grad")


def _leaf(data: float) -> Value:
    """A result computed inside `no_grad`: a leaf, like ``Value(data)``."""
    v = _new(Value)
    v.data = data
    v.grad = _ZERO
    v.label = ""
    v._operation = None
    v._a = v._da = v._b = v._db = None
    v._edges = ()
    v._const = None
    v._pending = 0
    return v


def _node1(data: float, op: Op, a: Value, da: float, const: float | None = None) -> Value:
    """The node ``op(a)`` (with a folded number ``const``, if any) of local derivative
    ``da``. Skips __init__: the data is a float computed from checked operands."""
    if _no_grad_depth and threading.get_ident() in _no_grad_depth:
        return _leaf(data)
    v = _new(Value)
    v.data = data
    v.grad = _ZERO
    v.label = ""
    v._operation = op
    v._a = a
    v._da = da
    v._b = None
    v._db = None
    v._edges = ()
    v._const = const
    v._pending = 0
    return v


def _node2(data: float, op: Op, a: Value, da: float, b: Value, db: float) -> Value:
    """The node ``a op b`` of two Values, with local derivatives ``da`` and ``db``."""
    if _no_grad_depth and threading.get_ident() in _no_grad_depth:
        return _leaf(data)
    v = _new(Value)
    v.data = data
    v.grad = _ZERO
    v.label = ""
    v._operation = op
    v._a = a
    v._da = da
    v._b = b
    v._db = db
    v._edges = ()
    v._const = None
    v._pending = 0
    return v


def _node(data: float, op: Op, edges: tuple[Any, ...], const: float | None = None) -> Value:
    """A node of any number of operands, from its edges ``(p0, d0, p1, d1, ...)``."""
    n = len(edges)
    if n == 2:
        return _node1(data, op, edges[0], edges[1], const)
    if n == 4 and const is None:
        return _node2(data, op, *edges)
    if n < 4:
        raise ValueError(f"a node needs at least one (parent, derivative) edge, got {edges!r}")
    if _no_grad_depth and threading.get_ident() in _no_grad_depth:
        return _leaf(data)
    v = _leaf(data)  # a fused node keeps its edges in one tuple, with _a None
    v._operation = op
    v._edges = edges
    v._const = const
    return v


def _unary(op: Op, x: Value) -> Value:
    """The node for ``op(x)``."""
    a = x.data
    check = _DOMAIN_CHECKS.get(op)
    if check is not None:
        check(x, a)
    try:
        out = op.forward(a)
        return _node1(out, op, x, op.local_derivative(0, out, a))
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
            return _node1(out, op, y, dy if type(dy) is float else dy(out, a, b), a)
        if type(y) is not Value:
            return _node1(out, op, x, dx if type(dx) is float else dx(out, a, b), b)
        return _node2(
            out,
            op,
            x,
            dx if type(dx) is float else dx(out, a, b),
            y,
            dy if type(dy) is float else dy(out, a, b),
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
    keep = nodes.append
    # The list is its own work queue: iterating over a list visits what is appended to it
    # during the loop, so each node is expanded once, after it is first seen.
    for node in nodes:
        p = node._a
        if p is not None:
            if not p._pending:
                keep(p)
            p._pending += 1
            q = node._b
            if q is not None:
                if not q._pending:
                    keep(q)
                q._pending += 1
        elif node._edges:  # a fused node of three or more operands
            for p in node._edges[::2]:
                if not p._pending:
                    keep(p)
                p._pending += 1
    return nodes


def _backward_order(root: Value) -> list[Value]:
    """The nodes in the order ``Value.backward`` expands them: Kahn's algorithm on the same
    scratch counters, with the same stack, so it is that order by construction (and, with
    no dict, about twice as fast as a walk keyed by node). `graph.consumers_first` is this.
    Like backward, two threads must not run it at once on graphs that share nodes."""
    try:
        _count_consumers(root)
        order: list[Value] = []
        visit = order.append
        stack: list[Value | None] = [None, root]
        pop, push = stack.pop, stack.append
        for node in iter(pop, None):
            visit(node)
            p = node._a
            if p is None:  # a leaf, or a fused node of three or more operands
                for p in node._edges[::2]:
                    p._pending -= 1
                    if not p._pending:
                        push(p)
                continue
            p._pending -= 1
            if not p._pending:
                push(p)
            q = node._b
            if q is not None:
                q._pending -= 1
                if not q._pending:
                    push(q)
    except BaseException:  # interrupted: no stale counts
        _reset_counts(root)
        raise
    return order


def _reset_counts(root: Value) -> None:
    """Set ``_pending`` back to 0 on every node reachable from ``root`` (after an
    interrupted count, when the counts themselves cannot mark what was visited)."""
    seen = {id(root)}
    stack = [root]
    while stack:
        node = stack.pop()
        node._pending = 0
        for parent in node.parents:
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)


@overload
def gradients(root: Value, *, create_graph: Literal[False] = False) -> dict[Value, float]: ...
@overload
def gradients(root: Value, *, create_graph: Literal[True]) -> dict[Value, Value]: ...
@overload
def gradients(root: Value, *, create_graph: bool) -> dict[Value, float] | dict[Value, Value]: ...
def gradients(
    root: Value, *, create_graph: bool = False
) -> dict[Value, float] | dict[Value, Value]:
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
        if node._operation is None:
            continue
        g = grads[node]
        parents = node.parents
        if create_graph:
            for parent, local in zip(parents, _local_derivatives_as_values(node), strict=True):
                term = g if type(local) is float and local == 1.0 else local * g
                grads[parent] = grads[parent] + term if parent in grads else term
        else:
            for parent, local in zip(parents, node.local_grads, strict=True):
                grads[parent] = grads.get(parent, 0.0) + local * g
    if create_graph:
        return {node: g if type(g) is Value else Value(g) for node, g in grads.items()}
    return grads


def _local_derivatives_as_values(node: Value) -> list[Any]:
    """The node's local derivatives from its op's rules evaluated on Values: Values that
    depend on the operands (or floats where a derivative is constant).

    A rule that gives an infinite or NaN constant (a limit, such as d sqrt(x)/dx = inf at
    0, or a step function's derivative at NaN) becomes a `NONFINITE` node of the operand,
    so that differentiating it again gives NaN, not the 0 of a constant.
    """
    op = node._operation
    assert op is not None
    operands = node.operands
    locals_ = []
    for i, operand in enumerate(operands):
        if type(operand) is not Value:
            continue
        try:
            local = op.local_derivative(i, node, *operands)
        except OverflowError as error:
            raise OverflowError(
                f"overflow in the derivative of {_expression(op, *operands)}, built for a "
                f"higher derivative: {error}"
            ) from None
        if type(local) is float and not math.isfinite(local):
            local = _nonfinite(operand, local)
        locals_.append(local)
    return locals_
