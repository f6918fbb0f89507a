"""Trace a Value graph once, then replay its forward and backward passes fast, bit for bit.

`compile` walks a graph built by the engine (through its public accessors only) and turns
it into straight-line Python: one statement per node for the forward pass and one per edge
for the backward pass, in the engine's own order (`graph.consumers_first`), with the same
float operations, so every value and gradient is equal to the engine's bit for bit. The code
is generated in bounded chunks (each a generator that computes its nodes forward, pauses,
and backpropagates through them when resumed), so compiling costs time linear in the graph
and a million-node graph needs no recursion. Two other replays give the same bits: a graph
that repeats itself across examples runs in lanes (`micrograd_lr.lanes`, one NumPy operation
per group of identical nodes), and with Numba installed a graph of the engine's operations,
fused nodes and neurons runs in a loop compiled to machine code (`micrograd_lr.native`).

A trace records one path through the program: it stays valid only while the program's
control flow does not depend on the data (``if x.data > 0: ...``). See ``check_every`` and
``key`` for guarding against it, and docs/compile.md.
"""

from __future__ import annotations

import builtins
import contextlib
import gc
import hashlib
import math
import operator
import zlib
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Sequence
from numbers import Real
from typing import Any, NoReturn

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import fused, nn
from . import native as native_loop
from .engine import OPS, Op, Value
from .errors import TraceMismatchError
from .graph import consumers_first
from .lanes import SAMPLE_POINTS, LanePlan, NoLanes, _Fail
from .native import NativePlan

__all__ = [
    "Compiled",
    "CompiledHessian",
    "compile",
    "compile_gradient",
    "compile_hessian",
    "logit_signs",
]

CHUNK_EDGES = 125
"""The size of the generated functions, in statements: a chunk is cut where its content says
so once it holds a quarter of this (or `REFERENCE_STATEMENTS` per value it reads from
outside, if more), and at the latest at four times that, never before this many. Compiling
one huge function costs CPython more than linear time; small ones compile faster per
statement, more of them repeat (and are compiled once), and they replay no slower: on the
benchmark's chains of 1000 ops, trace + compile took 14-19 engine passes with this size,
against 21-32 with 500 and 24-39 with 2000, measured by benchmarks/bench_compile.py."""

LANES_MIN_NODES_PER_STEP = 64
"""With ``vectorize=None`` (the default), a graph is replayed in lanes (`micrograd_lr.lanes`)
when it has at least this many nodes per lane step; otherwise as straight-line code. A lane
step costs a few microseconds however many nodes it holds, a straight-line statement about
0.05-0.1 us a node: on logistic regression's graphs (measured from 8 to 256 examples) a lane
replay is as fast as straight-line code at about 100 nodes a step (2-3x faster at 200, 3-6x
slower at 16), and its trace costs 5-15x less; from 64 on, where a replay is at most about
1.3x slower, the cheaper trace makes up for it in all but very long runs."""

NATIVE_MIN_NODES = 200
"""With ``native=None`` (the default), a graph the native loop supports (`micrograd_lr.native`)
with at least this many nodes is replayed by it when Numba is installed. A call of the loop
costs about 6 us however small the graph, and 20-35 ns a node; straight-line code costs
about 4 us a call and 50-90 ns a node: the loop is faster from about 80 nodes on (measured
on a chain of neurons), 2-6x faster on long chains (benchmarks/bench_compile.py). From 200
on, a process whose graphs are all small does not pay the loop's one-time start (about
0.6 s) for a few microseconds a call."""

REFERENCE_STATEMENTS = 40
"""Statements a chunk holds at least per value it reads from outside itself (an input or an
earlier chunk's node, each loaded on entry and its gradient handed on at exit), up to
``8 * chunk_edges``, so that those loads stay a small share of it: a chain's chunks hold
about 120-480 statements, and logistic regression's, which all read its 31 parameters,
1000-2000. No chunk holds more than ``16 * chunk_edges``, which keeps compiling linear
however much it reads."""


# --------------------------------------------------------------------------------------------
# The engine's operations as code. Known forward functions and derivative rules (found by
# identity on the engine's Op table) become inline expressions with the same float
# operations; anything else (a user's Op) is called as it is.
# --------------------------------------------------------------------------------------------
_SIGMOID_F = OPS["sigmoid"].forward
_RELU_F = OPS["relu"].forward
_LINEAR_CODE = fused.LINEAR_FORWARD_CODE
_MEAN_CODE = fused.MEAN_FORWARD_CODE

# Candidate inline forms, checked against the engine's own functions when this module is
# imported (`_verified`): a form that disagrees on any sample point, as after a change to
# the engine's rules, is dropped and the function is called instead.
_FORWARD_FORMS = {
    operator.add: "{0} + {1}",
    operator.sub: "{0} - {1}",
    operator.mul: "{0} * {1}",
    operator.truediv: "{0} / {1}",
    operator.pow: "{0} ** {1}",
    operator.neg: "-{0}",
    abs: "abs({0})",
    math.exp: "exp({0})",
    math.log: "log({0})",
    math.tanh: "tanh({0})",
    _SIGMOID_F: "sig({0})",
    _RELU_F: "(0.0 if {0} <= 0 else {0})",
    fused.log_loss_float: "logloss({0}, {1})",
}
_ARITY = {operator.neg: 1, abs: 1, math.exp: 1, math.log: 1, math.tanh: 1, _SIGMOID_F: 1}
_ARITY[_RELU_F] = 1


def _rule_forms() -> list[tuple[Op, int, str]]:
    """Inline forms of the engine's derivative rules: ``{o}`` is the node's own value, ``{0}``,
    ``{1}`` its operands (each rule's own arithmetic; the rules' int 1 written 1.0, the same
    float once converted, which CPython's float-only fast paths take: 12 ns an edge)."""
    return [
        (OPS["mul"], 0, "{1}"),
        (OPS["mul"], 1, "{0}"),
        (OPS["div"], 0, "(1.0 / {1})"),
        (OPS["div"], 1, "(-{o} / {1})"),
        (OPS["pow"], 1, "({o} * log({0}))"),
        (OPS["abs"], 0, "(1.0 if {0} > 0 else -1.0 if {0} < 0 else 0.0 if {0} == 0 else nan)"),
        (OPS["exp"], 0, "{o}"),
        (OPS["log"], 0, "(1.0 / {0})"),
        (OPS["tanh"], 0, "(1.0 - {o} * {o})"),
        (OPS["sigmoid"], 0, "({o} * sig(-{0}))"),
        (OPS["relu"], 0, "(1.0 if {0} > 0 else 0.0 if {0} <= 0 else nan)"),
        (fused.LOG_LOSS, 0, "(-sig(-{0}) if {1} == 1 else sig({0}) - {1})"),
    ]


def _outcome(f: Callable[..., Any], *args: float) -> Any:
    try:
        result = f(*args)
    except Exception as exc:
        return type(exc)
    if type(result) is not float:
        return type(result)
    return "nan" if math.isnan(result) else np.float64(result).tobytes()


def _agrees(form: str, arity: int, forward: Any, rule: Any = None) -> bool:
    """Whether an inline form computes what ``forward`` (or, given ``rule``, what the rule
    at ``out = forward(*operands)``) does at every sample point, raising alike."""
    names = [f"a{k}" for k in range(arity)]
    inline = eval(f"lambda o, {', '.join(names)}: {form.format(*names, o='o')}", dict(_NAMESPACE))
    points = [(a, b) for a in SAMPLE_POINTS for b in SAMPLE_POINTS] if arity == 2 else SAMPLE_POINTS
    for point in points:
        args: tuple[float, ...] = point if isinstance(point, tuple) else (point,)
        if rule is None:
            want, got = _outcome(forward, *args), _outcome(inline, 0.0, *args)
        else:
            out = _outcome(forward, *args)
            if type(out) is not bytes and out != "nan":
                continue  # the forward pass itself fails here: never differentiated
            o = forward(*args)
            want, got = _outcome(rule, o, *args), _outcome(inline, o, *args)
        if want != got:
            return False
    return True


def _verified() -> tuple[dict[Any, str], dict[int, str]]:
    forward = {f: form for f, form in _FORWARD_FORMS.items() if _agrees(form, _ARITY.get(f, 2), f)}
    rules = {
        id(op.derivatives[k]): form
        for op, k, form in _rule_forms()
        if _agrees(form, op.arity, op.forward, op.derivatives[k])
    }
    return forward, rules


_POW_FORWARD = operator.pow

# How to rebuild a node with the engine itself (used to raise the engine's own error, with
# its message, when a replay fails, and to re-trace): by forward function.
_REBUILD: dict[Any, Callable[..., Value]] = {
    operator.add: operator.add,
    operator.sub: operator.sub,
    operator.mul: operator.mul,
    operator.truediv: operator.truediv,
    operator.pow: operator.pow,
    operator.neg: operator.neg,
    abs: abs,
    math.exp: Value.exp,
    math.log: Value.log,
    math.tanh: Value.tanh,
    _SIGMOID_F: Value.sigmoid,
    _RELU_F: Value.relu,
    fused.log_loss_float: fused.log_loss,
}


def _fail() -> None:
    raise _Fail


_NAMESPACE: dict[str, Any] = {
    "exp": math.exp,
    "log": math.log,
    "tanh": math.tanh,
    "sig": _SIGMOID_F,
    "logloss": fused.log_loss_float,
    "inf": math.inf,
    "_fail": _fail,
    "nan": math.nan,
}
_FORWARD, _RULES = _verified()


# --------------------------------------------------------------------------------------------
# The traced graph: flat lists indexed by forward position (operands before consumers)
# --------------------------------------------------------------------------------------------
@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a trace is built and compiled: the graph
    stays alive until then, so the collections its allocations trigger walk it again and
    again for nothing (a third of a logistic-regression re-trace's time). Restored after,
    also on an error."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_OP = operator.attrgetter("op")
_PARENTS = operator.attrgetter("parents")
_LABEL = operator.attrgetter("label")
_CONSTANT = operator.attrgetter("constant")


class _Graph:
    """A traced graph in forward order: ``ops[i]`` (None for a leaf), ``args[i]`` (operands
    in written order: an int is a node's position, a float a folded number), ``labels[i]``,
    and for leaves either an input position or a constant value."""

    __slots__ = ("args", "data", "inputs", "labels", "n_inputs", "ops")

    def __init__(self, root: Value, inputs: Sequence[Value]) -> None:
        order = consumers_first(root)
        order.reverse()
        # Keyed by the nodes themselves: a Value hashes by identity, at C speed.
        position: dict[Value, int] = dict(zip(order, range(len(order)), strict=True))
        self.n_inputs = len(inputs)
        self.inputs: dict[int, int] = {}  # forward position -> input number
        for k, x in enumerate(inputs):
            if x.op is not None:
                raise ValueError(
                    f"inputs[{k}] ({x._describe()}) is computed from other nodes; inputs must "
                    "be leaves (Values you created), which the replay gets new data for"
                )
            i = position.get(x)
            if i is not None:
                if i in self.inputs:
                    raise ValueError(f"inputs[{k}] is inputs[{self.inputs[i]}] again")
                self.inputs[i] = k
        # Column by column (C-level maps over the public accessors): a third faster than
        # one Python loop over the nodes, and tracing is paid on every re-trace.
        find = position.__getitem__
        self.ops: list[Op | None] = list(map(_OP, order))
        self.args: list[tuple[int | float, ...]] = [
            tuple(map(find, parents)) for parents in map(_PARENTS, order)
        ]
        self.labels: list[str] = list(map(_LABEL, order))
        # a leaf's value (the constant for non-inputs); 0.0 for a computed node
        self.data: list[float] = [
            node.data if op is None else 0.0 for node, op in zip(order, self.ops, strict=True)
        ]
        for i, constant in enumerate(map(_CONSTANT, order)):
            if constant is not None:
                op, args = self.ops[i], self.args[i]
                assert op is not None
                self.args[i] = (constant, *args) if op.constant_first else (*args, constant)
        del position, order

    def __len__(self) -> int:
        return len(self.ops)

    def structure(self) -> list[tuple[Any, ...]]:
        """What a re-trace must reproduce for the compiled code to stay valid."""
        out = []
        for i, op in enumerate(self.ops):
            if op is None:
                leaf = ("input", self.inputs[i]) if i in self.inputs else ("leaf", self.data[i])
                out.append((*leaf, self.labels[i]))
            else:
                out.append((_op_key(op), self.args[i], self.labels[i]))
        return out

    def rebuild(self, xs: Sequence[float], *, node_note: bool = True) -> list[Value]:
        """The graph built again by the engine at the inputs ``xs`` (raising the engine's own
        error where it fails); returns the nodes in forward order."""
        nodes: list[Value] = []
        for i, op in enumerate(self.ops):
            label = self.labels[i]
            if op is None:
                data = xs[self.inputs[i]] if i in self.inputs else self.data[i]
                nodes.append(Value(data, label))
                continue
            operands = [nodes[a] if type(a) is int else a for a in self.args[i]]
            try:
                node = _rebuild_node(op, operands)
            except Exception as exc:
                if node_note:
                    shown = f"labelled {label!r}" if label else "unlabelled"
                    exc.add_note(
                        f"(raised by compiled node #{i} of {len(self)}, {shown}, op {op.symbol!r})"
                    )
                raise
            node.label = label
            nodes.append(node)
        return nodes


def _op_key(op: Op) -> tuple[Any, ...]:
    forward = getattr(op.forward, "__code__", op.forward)
    rules = tuple(d if type(d) is float else getattr(d, "__code__", d) for d in op.derivatives)
    return (op.symbol, forward, rules, op.constant_first)


def _rebuild_node(op: Op, operands: list[Any]) -> Value:
    apply = _REBUILD.get(op.forward)
    if apply is not None:
        return apply(*operands)
    code = getattr(op.forward, "__code__", None)
    if code is _LINEAR_CODE:
        return fused.linear(operands[:-1], operands[-1], op)
    if code is _MEAN_CODE:
        return fused.mean(operands)
    if code is nn.NEURON_FORWARD_CODE:
        return nn._weighted_sum(operands[0:-1:2], operands[1:-1:2], operands[-1])
    raise TypeError(
        f"cannot rebuild a node of the user-defined op {op.symbol!r} with the engine; "
        "only the engine's ops and micrograd_lr.fused nodes can be re-traced from a compiled "
        "graph (compile a function instead of a root to re-trace with it)"
    )


# --------------------------------------------------------------------------------------------
# Code generation
# --------------------------------------------------------------------------------------------
def _content_hash(op: Op | None, args: tuple[int | float, ...]) -> int:
    """A hash of a node's operation and folded numbers, the same in every process (not
    Python's salted ``hash``)."""
    if op is None:
        return 1
    constants = [a for a in args if type(a) is not int]
    return zlib.crc32(f"{op.symbol}{len(args)}{constants}".encode())


class _Codegen:
    """Turns a `_Graph` into chunk generators. Values and gradients that cross a chunk
    boundary travel through the list ``S``; everything else stays in fast locals."""

    def __init__(
        self, graph: _Graph, *, named: bool, chunk_edges: int, watch: Sequence[int] = ()
    ) -> None:
        self.g = graph
        n = len(graph)
        self.namespace = dict(_NAMESPACE)
        self.literals: dict[float, str] = {}  # repr is slow: once per distinct number
        self.n_slots = 0
        self.value_slot: list[int] = [-1] * n
        self.grad_slot: list[int] = [-1] * n
        # gradient state while generating the backward pass in the engine's order:
        # 0 nothing added yet, 1 partial sum in S, 2 a local of the current chunk.
        self.state = bytearray(n)
        self.chunk_of = [0] * n
        self.bounds = self._chunk_bounds(chunk_edges)
        self.output_slots: dict[int, int] = {}  # forward position -> slot of its gradient
        self.wanted = set(graph.inputs)
        if named:
            self.wanted.update(i for i, label in enumerate(graph.labels) if label)
        self.root_value_slot = self._slot()
        self.zero_slot = self._slot()  # stays 0.0: the gradient of an unused input
        self.watch_slots = {i: self._slot() for i in watch if graph.ops[i] is not None}

    def _slot(self) -> int:
        self.n_slots += 1
        return self.n_slots - 1

    def _chunk_bounds(self, chunk_edges: int) -> list[tuple[int, int]]:
        """Chunks of about ``chunk_edges / 4`` to ``chunk_edges`` statements (more where a
        chunk reads many values from outside, see `CHUNK_EDGES` and `REFERENCE_STATEMENTS`),
        cut where the content says so (after a node whose operation and folded numbers
        hash to 0 mod 32, as rsync cuts files): after a local change to a graph, such as a
        re-trace where one branch went the other way, the cuts fall in the same places
        again, so the chunks after the change have the same source as before and their
        compiled functions are reused."""
        bounds: list[tuple[int, int]] = []
        lo = cost = 0
        smallest = max(1, chunk_edges // 4)
        inputs, ops = self.g.inputs, self.g.ops
        outside: set[int] = set()  # what the chunk reads from inputs and earlier chunks
        for i, (op, args) in enumerate(zip(ops, self.g.args, strict=True)):
            cost += 1 + len(args)
            self.chunk_of[i] = len(bounds)
            for a in args:
                if type(a) is int and (a in inputs or (a < lo and ops[a] is not None)):
                    outside.add(a)
            # Cut where the content says so once the chunk is big enough for what it reads,
            # and at the latest at four times that (never later than 16 * chunk_edges).
            low = min(max(smallest, REFERENCE_STATEMENTS * len(outside)), 8 * chunk_edges)
            high = min(max(chunk_edges, 4 * low), 16 * chunk_edges)
            if cost >= high or (cost >= low and _content_hash(op, args) % 32 == 0):
                bounds.append((lo, i + 1))
                lo, cost = i + 1, 0
                outside.clear()
        if lo < len(self.g):
            bounds.append((lo, len(self.g)))
        return bounds

    def literal(self, x: float) -> str:
        text = self.literals.get(x)
        if text is not None:
            return text
        if math.isfinite(x):
            text = repr(x)
            text = f"({text})" if text.startswith("-") else text
            if x != 0:  # 0.0 and -0.0 are equal keys
                self.literals[x] = text
            return text
        key = f"k_{x!r}_{np.float64(x).tobytes().hex()}".replace("-", "m")
        self.namespace[key] = x
        return key

    def functions(
        self, cache: dict[bytes, Any] | None = None
    ) -> tuple[list[tuple[Any, tuple[int, ...]]], list[bytes]]:
        """``(chunk function, its parameters)`` for each chunk, first chunk first, and each
        chunk's key in ``cache``: chunks with the same source share one function, within
        this graph and with earlier traces that put their functions in ``cache``."""
        functions = []
        keys = []
        made: dict[bytes, Any] = {} if cache is None else cache
        # Names of a user's functions in the namespace differ between traces: part of the key.
        custom = repr(sorted((k, id(v)) for k, v in self.namespace.items() if k[0] in "fr"))
        # Backward runs in the engine's order, the last chunk first, and the gradient state
        # must follow it: generate the chunks in that order.
        for lo, hi in reversed(self.bounds):
            source, params = self._chunk_source(lo, hi)
            key = hashlib.blake2b((source + custom).encode(), digest_size=16).digest()
            function = made.get(key)
            if function is None:
                code = builtins.compile(source, f"<compiled chunk {lo}-{hi}>", "exec")
                local: dict[str, Any] = {}
                exec(code, self.namespace, local)
                function = made[key] = local["chunk"]
            functions.append((function, params))
            keys.append(key)
        functions.reverse()
        keys.reverse()
        return functions, keys

    def _chunk_source(self, lo: int, hi: int) -> tuple[str, tuple[int, ...]]:
        """One chunk's source and its parameters ``P``: the positions in ``X`` and ``S`` it
        reads and writes. Kept out of the source, so that chunks of the same shape (a long
        chain) share one compiled function."""
        g = self.g
        names: dict[int, str] = {}
        head: list[str] = []
        body: list[str] = []
        params: list[int] = []
        lit = self.literal

        def param(index: int) -> str:
            params.append(index)
            return f"P[{len(params) - 1}]"

        def name(j: int | float) -> str:
            if type(j) is not int:
                return lit(j)
            found = names.get(j)
            if found is not None:
                return found
            if g.ops[j] is None and j not in g.inputs:
                return lit(g.data[j])
            found = names[j] = f"v{len(names)}"
            if j in g.inputs:
                head.append(f"{found} = X[{param(g.inputs[j])}]")
            else:  # computed in an earlier chunk
                if self.value_slot[j] < 0:
                    self.value_slot[j] = self._slot()
                head.append(f"{found} = S[{param(self.value_slot[j])}]")
            return found

        # Forward: one statement per node (leaves are loaded where used).
        for i in range(lo, hi):
            op = g.ops[i]
            if op is None:
                continue
            operands = [name(a) for a in g.args[i]]
            out = names[i] = f"v{len(names)}"
            body.append(f"{out} = {self._forward(i, op, operands)}")
            body.extend(self._guards(i, op, operands))
        stores = []
        for i in range(lo, hi):
            if self.value_slot[i] >= 0:
                stores.append(f"S[{param(self.value_slot[i])}] = {names[i]}")
            if i in self.watch_slots:
                stores.append(f"S[{param(self.watch_slots[i])}] = {names[i]}")
        if hi == len(g):
            stores.append(f"S[{param(self.root_value_slot)}] = {name(hi - 1)}")

        # Backward: the engine's order (consumers first) is this chunk's nodes from last to
        # first; each edge adds local derivative * gradient to the operand's sum, as
        # Value.backward does (in the same order). A sum belonging to an earlier chunk's
        # node is carried in a local here and handed on through S at the end.
        #
        # A sum starts at its first share, where the engine's starts at 0.0 + share: one
        # addition fewer per node. The two differ only where the share is -0.0, and only in
        # the sign of a zero, ever after: a product with +-0 is +-0 (or the default NaN, the
        # same either way), and a sum of terms that agree up to the signs of zeros agrees
        # exactly unless it is zero. The engine's sums are never -0.0 (0.0 + x is not, nor
        # is x + y unless both are), so each output adds 0.0 once and is the engine's, bit
        # for bit.
        back: list[str] = []
        gnames: dict[int, str] = {}
        carried: list[int] = []
        state = self.state
        for i in range(hi - 1, lo - 1, -1):
            if i == len(g) - 1:
                gi = gnames[i] = "g_root"
                back.append("g_root = 1.0")
            elif state[i] == 2:
                gi = gnames[i]
            elif state[i] == 1:
                gi = gnames[i] = f"g{len(gnames)}"
                back.append(f"{gi} = S[{param(self.grad_slot[i])}]")
            else:
                continue  # unreachable: every node but the root has a consumer
            if i in self.wanted:
                # + 0.0: where a sum's sign of zero is settled (see below).
                slot = self.output_slots[i] = self._slot()
                back.append(f"S[{param(slot)}] = {gi} + 0.0")
            op = g.ops[i]
            if op is None:
                continue
            args = g.args[i]
            operands = [name(a) for a in args]
            handed_on = False
            for k, a in enumerate(args):
                if type(a) is not int:
                    continue
                d = self._derivative(i, op, k, names[i], operands)
                term = gi if d == "1.0" else f"{d} * {gi}"
                if a in gnames:
                    back.append(f"{gnames[a]} += {term}")
                    continue
                if term == gi and state[a] == 0 and not handed_on and a not in args[k + 1 :]:
                    # The operand's sum starts as gi: it takes over this node's variable,
                    # which is final now; once per node, so that two operands never share
                    # one sum (a second one gets a copy, below), and only where this node
                    # has no later share for the same operand (whose term reads gi, by then
                    # the operand's growing sum).
                    gnames[a] = gi
                    handed_on = True
                    if a < lo:
                        carried.append(a)
                        self.grad_slot[a] = self._slot()
                        state[a] = 1
                    else:
                        state[a] = 2
                    continue
                ga = gnames[a] = f"g{len(gnames)}"
                if state[a] == 0:
                    back.append(f"{ga} = {term}")
                else:  # state 1: the partial sum from later chunks
                    back.append(f"{ga} = S[{param(self.grad_slot[a])}] + {term}")
                if a < lo:
                    carried.append(a)
                    if state[a] == 0:
                        self.grad_slot[a] = self._slot()
                    state[a] = 1
                else:
                    state[a] = 2
        for a in carried:
            back.append(f"S[{param(self.grad_slot[a])}] = {gnames[a]}")
        lines = ["def chunk(X, S, P):", *head, *body, *stores, "yield", *back, "return"]
        return "\n    ".join(lines) + "\n", tuple(params)

    def _forward(self, i: int, op: Op, operands: list[str]) -> str:
        f = op.forward
        template = _FORWARD.get(f) if len(operands) == _ARITY.get(f, 2) else None
        if template is not None:
            return template.format(*operands)
        code = getattr(f, "__code__", None)
        if code is _LINEAR_CODE:  # ((w0 x0 + w1 x1) + ...) + b, as fused.linear sums
            row = op.derivatives[:-1]
            terms = [f"{w} * {self.literal(x)}" for w, x in zip(operands, row, strict=False)]
            return " + ".join(terms) + f" + {operands[-1]}"
        if code is _MEAN_CODE:
            return f"({' + '.join(operands)}) / {len(operands)}"
        if code is nn.NEURON_FORWARD_CODE:  # micrograd's order: b + w0 x0 + w1 x1 + ...
            products = [f"{w} * {x}" for w, x in zip(operands[0:-1:2], operands[1::2], strict=True)]
            return " + ".join([operands[-1], *products])
        fname = f"f{len(self.namespace)}"
        self.namespace[fname] = f
        return f"{fname}({', '.join(operands)})"

    def _guards(self, i: int, op: Op, operands: list[str]) -> list[str]:
        # The float operations raise wherever the engine refuses an input, except a
        # negative base to a fractional power (Python returns a complex number) and a
        # Value exponent on a base <= 0 (caught only later, by log): check those here.
        if op.forward is not _POW_FORWARD:
            return []
        base, exponent = self.g.args[i]
        if type(exponent) is int and type(base) is int:
            return [f"if {operands[0]} <= 0: _fail()"]
        if type(base) is int and not float(exponent).is_integer():
            return [f"if {operands[0]} < 0: _fail()"]
        return []

    def _derivative(self, i: int, op: Op, k: int, out: str, operands: list[str]) -> str:
        rule = op.derivatives[k]
        if type(rule) is float:
            return self.literal(rule)
        template = _RULES.get(id(rule))
        if template is not None:
            return template.format(*operands, o=out)
        index = nn.operand_rule_index(rule)
        if index is not None:  # a neuron's rule: the other factor of a product
            return operands[index]
        rname = f"r{len(self.namespace)}"
        self.namespace[rname] = rule
        return f"{rname}({out}, {', '.join(operands)})"


# --------------------------------------------------------------------------------------------
# The compiled object
# --------------------------------------------------------------------------------------------
class _Program:
    """One traced graph compiled: the chunk functions and where results land in ``S``; or,
    where the graph repeats itself across lanes, a `LanePlan` (``lanes``) filling the same
    ``S``."""

    __slots__ = (
        "branch_slots",
        "branches",
        "chunks",
        "grad_slots",
        "graph",
        "input_labels",
        "keys",
        "lane_outputs",
        "lanes",
        "n_inputs",
        "n_nodes",
        "n_slots",
        "named_slots",
        "native",
        "rule_may_raise",
        "structure",
        "value_slot",
    )

    def __init__(
        self,
        root: Value,
        inputs: Sequence[Value],
        *,
        named: bool,
        keep_structure: bool,
        chunk_edges: int,
        watch: bool = False,
        cache: dict[bytes, Any] | None = None,
        vectorize: bool | None = False,
        native: bool | None = False,
    ) -> None:
        graph = _Graph(root, inputs)
        self.branches = _branches(graph) if watch else []
        self.named_slots: dict[str, int] = {}
        if named:
            for i, label in enumerate(graph.labels):
                if label and label in self.named_slots:
                    raise ValueError(
                        f"two nodes are labelled {label!r}: named gradients need distinct "
                        "labels (relabel one, or compile with named=False)"
                    )
                if label:
                    self.named_slots[label] = i
        self.n_inputs = len(inputs)
        self.input_labels = [x.label for x in inputs]
        self.n_nodes = len(graph)
        self.structure = graph.structure() if keep_structure else None
        self.graph = graph  # kept to raise the engine's own errors (see failed)
        self.rule_may_raise = any(op is not None and op.forward is _POW_FORWARD for op in graph.ops)
        position = {k: i for i, k in graph.inputs.items()}  # input number -> position
        # The forward positions whose gradients lanes and the native loop return (-1: none).
        self.lane_outputs = [position.get(k, -1) for k in range(len(inputs))]
        self.lane_outputs += self.named_slots.values()
        self.native: NativePlan | None = None
        # The native loop first where it applies (2-7x faster than lanes on logistic
        # regression), unless lanes were asked for by name.
        if not watch and (native or (native is None and vectorize is not True)):
            self.native = _native_plan(graph, self.lane_outputs, native)
        self.lanes: LanePlan | None = None
        if vectorize is not False and not watch and self.native is None:
            with contextlib.suppress(NoLanes):
                self.lanes = LanePlan(
                    graph, min_nodes_per_step=0.0 if vectorize else LANES_MIN_NODES_PER_STEP
                )
            lanes = self.lanes
            if lanes is not None and not all(map(lanes.has_gradient, self.named_slots.values())):
                self.lanes = None  # a labelled constant leaf: the straight-line code has it
        if self.lanes is not None or self.native is not None:
            # S: the value, each input's gradient, each named node's gradient.
            self.chunks: tuple[Any, ...] = ()
            self.keys: list[bytes] = []
            self.value_slot = 0
            self.grad_slots = tuple(1 + k for k in range(len(inputs)))
            first = 1 + len(inputs)
            for slot, label in enumerate(self.named_slots, first):
                self.named_slots[label] = slot
            self.n_slots = first + len(self.named_slots)
            return
        gen = _Codegen(
            graph, named=named, chunk_edges=chunk_edges, watch=[i for i, _ in self.branches]
        )
        self.branch_slots = [gen.watch_slots.get(i, -1) for i, _ in self.branches]
        functions, self.keys = gen.functions(cache)
        self.chunks = tuple(functions)
        self.n_slots = gen.n_slots
        self.value_slot = gen.root_value_slot
        self.grad_slots = tuple(
            gen.output_slots[position[k]] if k in position else gen.zero_slot
            for k in range(len(inputs))
        )
        for label, i in self.named_slots.items():
            self.named_slots[label] = gen.output_slots[i]
        del gen

    def _run_lanes(self, lanes: LanePlan, xs: list[float]) -> list[float]:
        value, _, G = lanes.run(xs)
        gradient = lanes.gradient
        return [value, *[gradient(G, i) if i >= 0 else 0.0 for i in self.lane_outputs]]

    def _engine(self, xs: list[float], build: Callable[[list[Value]], Value] | None) -> list[Value]:
        """The traced graph rebuilt on the engine at ``xs`` (its nodes in forward order),
        where the native loop declines; raises the engine's error as `failed` does."""
        try:
            return self.graph.rebuild(xs)
        except (ArithmeticError, ValueError) as exc:
            failure = exc
        self.failed(xs, failure, build)

    def run(self, xs: list[float], build: Callable[[list[Value]], Value] | None) -> list[float]:
        if self.native is not None:
            out = self.native.run(xs)
            if out is not None:
                return out
            nodes = self._engine(xs, build)
            nodes[-1].backward()
            return [nodes[-1].data, *[nodes[i].grad if i >= 0 else 0.0 for i in self.lane_outputs]]
        if self.lanes is not None:
            try:
                return self._run_lanes(self.lanes, xs)
            except Exception as exc:
                failure = exc
            self.failed(xs, failure, build)
        S = [0.0] * self.n_slots
        gens = [chunk(xs, S, P) for chunk, P in self.chunks]
        try:
            for gen in gens:
                next(gen)
            for gen in reversed(gens):
                next(gen, None)
        except Exception as exc:
            failure = exc
        else:
            return S
        del gens  # outside the handler: the engine's error is not chained to the replay's
        self.failed(xs, failure, build)
        raise AssertionError("unreachable")

    def value(self, xs: list[float], build: Callable[[list[Value]], Value] | None) -> float:
        """The root's value alone (no backward pass, unless a derivative rule could raise)."""
        if self.rule_may_raise:
            # The engine takes each node's local derivatives with its value, so its forward
            # pass raises where a rule does (the base rule of x ** -1.0 overflows at 1e-200
            # where the value does not); a replay's forward half skips the rules.
            return self.run(xs, build)[self.value_slot]
        if self.native is not None:
            value = self.native.value(xs)
            return value if value is not None else self._engine(xs, build)[-1].data
        try:
            if self.lanes is not None:
                return self.lanes.forward(xs)
            S = [0.0] * self.n_slots
            for chunk, P in self.chunks:
                next(chunk(xs, S, P))
            return S[self.value_slot]
        except Exception as exc:
            failure = exc
        self.failed(xs, failure, build)

    def failed(
        self, xs: list[float], exc: Exception, build: Callable[[list[Value]], Value] | None
    ) -> NoReturn:
        """Run the engine at ``xs`` so that it raises its own error (same type and message).

        With the function, calling it is exactly what the engine would do (the first node to
        fail in the program's own order raises). From a root, the graph is rebuilt node by
        node in forward order, with a note naming the node."""
        try:
            if build is not None:
                leaves = [Value(x, label) for x, label in zip(xs, self.input_labels, strict=True)]
                try:
                    build(leaves)
                except (ArithmeticError, ValueError) as error:
                    error.add_note(
                        "(the compiled replay failed at these inputs; the function ran on the "
                        "engine to report the error)"
                    )
                    raise
            else:
                self.graph.rebuild(xs)
        except (ArithmeticError, ValueError):
            raise
        except TypeError:  # a user's Op cannot be rebuilt: keep the replay's error
            raise exc from None
        if build is not None and not isinstance(exc, _Fail):
            # The engine runs where the replay fails: the function took another branch.
            raise TraceMismatchError(
                f"the replay failed ({type(exc).__name__}: {exc}) at inputs "
                f"{xs if len(xs) <= 6 else '...'} where the function itself runs: its control "
                "flow depends on the data (e.g. `if x.data > 0`), so the trace is not valid "
                "here; give compile a key= that tells the branches apart"
            ) from exc
        raise exc


def _native_plan(graph: _Graph, outputs: list[int], native: bool | None) -> NativePlan | None:
    """The native loop's plan for ``graph`` if ``native`` asks for it (None: from
    `NATIVE_MIN_NODES` on) and it can run here; native=True without it raises. ``outputs``
    are the inputs' positions, then the named nodes'."""
    if native is None and len(graph) < NATIVE_MIN_NODES:
        return None
    if not NativePlan.supports(graph.ops):
        return None  # a user's op or a weighted mean: the Python replays have it
    problem = native_loop.problem()
    if problem is not None:
        if native:
            raise ImportError(f"compile(native=True) cannot use the native loop: {problem}")
        return None
    inputs = outputs[: graph.n_inputs]
    return NativePlan(graph.ops, graph.args, graph.data, inputs, outputs)


def _branches(graph: _Graph) -> list[tuple[int, str]]:
    """Where the engine's rules, evaluated on Values (``create_graph``), branch on data:
    ``(node position, "sign" or "zero")`` for the operand of abs and relu (their derivative
    is a number chosen by the operand's sign) and the base of ``x ** b`` for a folded
    0 < b < 1 (infinite at a zero base)."""
    out = []
    for op, args in zip(graph.ops, graph.args, strict=True):
        if op is None:
            continue
        if (op.forward is abs or op.forward is _RELU_F) and type(args[0]) is int:
            out.append((args[0], "sign"))
        elif (
            op.forward is _POW_FORWARD
            and type(args[0]) is int
            and type(args[1]) is float
            and 0 < args[1] < 1
        ):
            out.append((args[0], "zero"))
    return out


def _decisions(program: _Program, xs: list[float], S: list[float]) -> tuple[int, ...]:
    graph = program.graph
    out = []
    for (i, kind), slot in zip(program.branches, program.branch_slots, strict=True):
        # A watched node's value is in S; a leaf's is an input or a constant.
        x = S[slot] if slot >= 0 else xs[graph.inputs[i]] if i in graph.inputs else graph.data[i]
        out.append((x > 0) - (x < 0) if kind == "sign" else int(x == 0))
    return tuple(out)


def _point(x: tuple[Any, ...], n: int) -> list[float]:
    """The inputs of a call: the numbers given (``c(1.0, 2.0)``), or one sequence or array
    of them (``c([1.0, 2.0])``), as a list of ``n`` floats."""
    return _as_floats(x[0] if len(x) == 1 and not isinstance(x[0], Real) else x, n)


def _as_floats(x: Any, n: int) -> list[float]:
    if isinstance(x, np.ndarray):
        if x.shape != (n,):
            raise ValueError(f"expected {n} inputs (an array of shape ({n},)), got shape {x.shape}")
        if x.dtype.kind not in "fiu":
            raise TypeError(f"inputs must be numbers, got an array of dtype {x.dtype}")
        return x.astype(np.float64, copy=False).tolist()
    if len(x) != n:
        raise ValueError(f"expected {n} inputs, got {len(x)}")
    out = []
    for k, v in enumerate(x):
        if type(v) is float:
            out.append(v)
        elif isinstance(v, Real) and not isinstance(v, bool):
            out.append(float(v))
        else:
            raise TypeError(f"input {k} must be a number, got {type(v).__name__}: {v!r}")
    return out


class Compiled:
    """A Value graph traced once, replayed on new inputs: ``(value, gradient)`` bit for bit
    as the engine would compute them. Made by `compile`.

    Call it with the inputs as numbers (``c(1.0, 2.0)``), one sequence or one NumPy array
    (``c(np.array([1.0, 2.0]))``). It returns ``(value, grad)``, ``grad`` a float64 array
    of d value / d input; with ``named=True`` also a dict of the gradient of every labelled
    node.

    Attributes
    ----------
    n_inputs : int
    n_nodes : int
        Nodes in the traced graph.
    calls, retraces : int
        How many times it was called, and re-traced (by ``check_every`` or ``key``).
    """

    def __init__(
        self,
        build: Callable[[list[Value]], Value] | None,
        root: Value | None,
        inputs: Sequence[Value],
        *,
        named: bool = False,
        check_every: int | None = None,
        key: Callable[[list[float]], Hashable] | None = None,
        max_traces: int = 8,
        chunk_edges: int = CHUNK_EDGES,
        vectorize: bool | None = None,
        native: bool | None = None,
    ) -> None:
        self._build = build
        self._vectorize = vectorize
        self._native = native
        self._named = named
        self._check_every = check_every
        self._key = key
        self._max_traces = max_traces
        self._chunk_edges = chunk_edges
        self._labels = [x.label for x in inputs]
        self.n_inputs = len(inputs)
        self.calls = 0
        self.retraces = 0
        self._programs: OrderedDict[Hashable, _Program] = OrderedDict()
        self._cache: dict[bytes, Any] = {}  # chunk functions by source, shared by re-traces
        xs = [x.data for x in inputs]
        with _gc_paused():
            if root is None:
                assert build is not None
                root = build(list(inputs))
            program = self._compile(root, inputs)
            del root  # the caller's own root, or the trace's (freed while paused)
        self._programs[key(xs) if key is not None else None] = program
        self.n_nodes = program.n_nodes

    def _compile(self, root: Value, inputs: Sequence[Value]) -> _Program:
        if not isinstance(root, Value):
            raise TypeError(f"the function must return a Value, got {type(root).__name__}")
        return _Program(
            root,
            inputs,
            named=self._named,
            keep_structure=self._check_every is not None,
            chunk_edges=self._chunk_edges,
            cache=self._cache,
            vectorize=self._vectorize,
            native=self._native,
        )

    def _prune(self) -> None:
        """Keep in the chunk cache only the functions of the traces kept."""
        kept = {key for program in self._programs.values() for key in program.keys}
        if len(self._cache) > 2 * len(kept):
            self._cache = {key: f for key, f in self._cache.items() if key in kept}

    def _trace(self, xs: list[float]) -> tuple[Value, list[Value]]:
        assert self._build is not None
        leaves = [Value(x, label) for x, label in zip(xs, self._labels, strict=True)]
        root = self._build(leaves)
        if not isinstance(root, Value):
            raise TypeError(f"the function must return a Value, got {type(root).__name__}")
        return root, leaves

    def _program(self, xs: list[float]) -> _Program:
        if self._key is None:
            return next(iter(self._programs.values()))
        k = self._key(xs)
        program = self._programs.get(k)
        if program is None:
            with _gc_paused():
                root, leaves = self._trace(xs)
                program = self._compile(root, leaves)
                # Freed by reference counting while the collector is paused: it then has
                # none of the graph to walk when it resumes.
                del root, leaves
            self.retraces += 1
            self._programs[k] = program
            while len(self._programs) > self._max_traces:
                self._programs.popitem(last=False)
            self._prune()
        else:
            self._programs.move_to_end(k)
        return program

    def __call__(self, *x: Any) -> Any:
        xs = _point(x, self.n_inputs)
        program = self._program(xs)
        S = program.run(xs, self._build)
        self.calls += 1
        value = S[program.value_slot]
        grad = np.array([S[s] for s in program.grad_slots], dtype=np.float64)
        if self._check_every is not None and self.calls % self._check_every == 0:
            self._check(program, xs, value, grad)
        if self._named:
            return value, grad, {label: S[s] for label, s in program.named_slots.items()}
        return value, grad

    def check(self, *x: Any) -> None:
        """Re-trace at ``x`` and raise `TraceMismatchError` if the graph's structure, the
        value or a gradient differs from the compiled replay's."""
        xs = _point(x, self.n_inputs)
        program = self._program(xs)
        S = program.run(xs, self._build)
        value = S[program.value_slot]
        grad = np.array([S[s] for s in program.grad_slots], dtype=np.float64)
        self._check(program, xs, value, grad)

    def _check(self, program: _Program, xs: list[float], value: float, grad: Any) -> None:
        if self._build is None:
            raise TypeError(
                "check needs the function: compile(f, inputs) can re-trace, "
                "compile(root, inputs) cannot"
            )
        root, leaves = self._trace(xs)
        self.retraces += 1
        where = f"at call {self.calls} (inputs {xs if len(xs) <= 6 else '...'})"
        structure = _Graph(root, leaves).structure()
        expected = program.structure
        if expected is None:
            program.structure = expected = program.graph.structure()
        if structure != expected:
            first = next(
                (i for i, (a, b) in enumerate(zip(structure, expected, strict=False)) if a != b),
                min(len(structure), len(expected)),
            )
            raise TraceMismatchError(
                f"the function built a different graph {where}: {len(structure)} nodes "
                f"against {len(expected)} traced, first difference at node #{first}. Its "
                "control flow depends on the data (e.g. `if x.data > 0`), so the trace is not "
                "valid here: give compile a key= that tells the branches apart, or use the "
                "plain engine"
            )
        root.backward()
        engine = np.array([leaf.grad for leaf in leaves], dtype=np.float64)
        if _bits(root.data) != _bits(value) or engine.tobytes() != grad.tobytes():
            raise TraceMismatchError(
                f"the replay differs from the engine {where}: value {value!r} against "
                f"{root.data!r}, gradients {grad.tolist()} against {engine.tolist()}"
            )

    def forward(self, *x: Any) -> float:
        """The value alone (the backward pass is skipped)."""
        xs = _point(x, self.n_inputs)
        return self._program(xs).value(xs, self._build)

    def source(self) -> str:
        """The generated Python of the (most recent) trace, chunk by chunk: to read how a
        replay computes, in the engine's order. ``X`` holds the inputs, ``S`` the values and
        gradients passed between chunks and the results, ``P`` a chunk's positions in them.
        A trace replayed in lanes lists its steps instead (see `vectorized`); one replayed
        by the native loop (see `native`) shows the straight-line code of the same
        computation.
        """
        program = next(reversed(self._programs.values()))
        if program.lanes is not None:
            return program.lanes.describe()
        gen = _Codegen(program.graph, named=self._named, chunk_edges=self._chunk_edges)
        parts = [gen._chunk_source(lo, hi)[0] for lo, hi in reversed(gen.bounds)]
        return "\n".join(reversed(parts))

    def has_trace(self, *x: Any) -> bool:
        """Whether a call at ``x`` would replay a trace already made (with a ``key``: one
        for ``key(x)``), rather than trace anew."""
        if self._key is None:
            return True
        xs = _point(x, self.n_inputs)
        return self._key(xs) in self._programs

    @property
    def vectorized(self) -> bool:
        """Whether the (most recent) trace is replayed in lanes (`micrograd_lr.lanes`)."""
        return next(reversed(self._programs.values())).lanes is not None

    @property
    def native(self) -> bool:
        """Whether the (most recent) trace is replayed by the native loop
        (`micrograd_lr.native`)."""
        return next(reversed(self._programs.values())).native is not None

    def __repr__(self) -> str:
        how = ", in lanes" if self.vectorized else ", native" if self.native else ""
        return f"<Compiled: {self.n_inputs} inputs, {self.n_nodes} nodes{how}>"


class _HessianTrace:
    """The programs of one trace: the cost (with its branch decisions) and each gradient
    entry (its value and its own gradient, a row of the Hessian)."""

    __slots__ = ("cost", "decisions", "rows")

    decisions: tuple[Any, ...]

    def __init__(
        self,
        root: Value,
        leaves: list[Value],
        chunk_edges: int,
        vectorize: bool | None,
        native: bool | None,
    ) -> None:
        from .autodiff import grad

        first = grad(root, leaves, create_graph=True)
        options: dict[str, Any] = {"named": False, "keep_structure": False}
        # The cost's program watches its branch decisions (straight-line code); each row,
        # a gradient entry's graph, repeats itself over examples as the cost does: the
        # native loop or lanes.
        self.cost = _Program(root, leaves, watch=True, chunk_edges=chunk_edges, **options)
        self.rows = [
            _Program(
                d, leaves, chunk_edges=chunk_edges, vectorize=vectorize, native=native, **options
            )
            for d in first
        ]
        S = self.cost.run([x.data for x in leaves], None)
        self.decisions = _decisions(self.cost, [x.data for x in leaves], S)


class CompiledHessian:
    """A function's value, gradient and Hessian, traced once and replayed: each call returns
    ``(value, grad, hessian)`` equal bit for bit to the engine's ``backward(create_graph=
    True)`` followed by one backward pass per gradient entry (as `autodiff.hessian` and
    `newton.value_derivatives` compute them). Made by `compile_hessian`.

    The gradient graph that ``create_graph`` builds depends on the data where a rule picks a
    number (the slope of abs and relu, the infinite slope of ``x ** 0.5`` at 0): the replay
    checks those decisions on every call and re-traces when one changes (``retraces``
    counts them; the last 8 traces are kept).
    """

    def __init__(
        self,
        f: Callable[..., Value],
        leaves: list[Value],
        *,
        chunk_edges: int = CHUNK_EDGES,
        max_traces: int = 8,
        key: Callable[[list[float]], Hashable] | None = None,
        vectorize: bool | None = None,
        native: bool | None = None,
    ) -> None:
        self._f = f
        self._key = key
        self._vectorize = vectorize
        self._native = native
        self._labels = [x.label for x in leaves]
        self._chunk_edges = chunk_edges
        self._max_traces = max_traces
        self.n_inputs = len(leaves)
        self.retraces = 0
        with _gc_paused():
            root = f(*leaves)
            if not isinstance(root, Value):
                raise TypeError(f"the function must return a Value, got {type(root).__name__}")
            trace = _HessianTrace(root, leaves, chunk_edges, vectorize, native)
        if key is not None:
            trace.decisions = (key([x.data for x in leaves]), *trace.decisions)
        self._traces: OrderedDict[tuple[Any, ...], _HessianTrace] = OrderedDict()
        self._traces[trace.decisions] = trace

    def _build(self, leaves: list[Value]) -> Value:
        return self._f(*leaves)

    def _engine(self, leaves: list[Value]) -> Value:
        """Everything a replay computes, on the engine (to raise its error where a replay
        fails): the function, its gradient graph and each entry's gradient."""
        from .autodiff import grad

        root = self._f(*leaves)
        for d in grad(root, leaves, create_graph=True):
            grad(d, leaves)
        return root

    def has_trace(self, *x: Any) -> bool:
        """Whether a call at ``x`` would replay a trace already made for ``key(x)`` (without
        a ``key``: True; a change of the gradient graph's own decisions, checked during the
        call, can still re-trace)."""
        if self._key is None:
            return True
        xs = _point(x, self.n_inputs)
        prefix = (self._key(xs),)
        return any(t.decisions[:1] == prefix for t in self._traces.values())

    def _retrace(self, xs: list[float], prefix: tuple[Any, ...]) -> _HessianTrace:
        leaves = [Value(v, label) for v, label in zip(xs, self._labels, strict=True)]
        with _gc_paused():
            found = _HessianTrace(
                self._build(leaves), leaves, self._chunk_edges, self._vectorize, self._native
            )
        found.decisions = (*prefix, *found.decisions)
        self.retraces += 1
        self._traces[found.decisions] = found
        while len(self._traces) > self._max_traces:
            self._traces.popitem(last=False)
        return found

    def __call__(self, *x: Any) -> tuple[float, NDArray[np.float64], NDArray[np.float64]]:
        xs = _point(x, self.n_inputs)
        # The key names the function's own branches: only a trace with the same key may run
        # here (another one's cost program could fail where the function does not).
        prefix: tuple[Any, ...] = (self._key(xs),) if self._key is not None else ()
        trace = next(
            (t for t in reversed(self._traces.values()) if t.decisions[: len(prefix)] == prefix),
            None,
        )
        if trace is None:
            trace = self._retrace(xs, prefix)
        S = trace.cost.run(xs, self._engine)
        decisions = (*prefix, *_decisions(trace.cost, xs, S))
        if decisions != trace.decisions:  # the gradient graph branches otherwise here
            found = self._traces.get(decisions)
            trace = found if found is not None else self._retrace(xs, prefix)
            S = trace.cost.run(xs, self._engine)
        self._traces.move_to_end(trace.decisions)
        value = S[trace.cost.value_slot]
        n = self.n_inputs
        grad = np.empty(n)
        hessian = np.empty((n, n))
        for i, row in enumerate(trace.rows):
            R = row.run(xs, self._engine)
            grad[i] = R[row.value_slot]
            hessian[i] = [R[slot] for slot in row.grad_slots]
        return value, grad, hessian

    def __repr__(self) -> str:
        return f"<CompiledHessian: {self.n_inputs} inputs, {len(self._traces)} traces>"


def compile_hessian(
    f: Callable[..., Value],
    inputs: Sequence[Value | float] | ArrayLike,
    *,
    labels: Sequence[str] | None = None,
    chunk_edges: int = CHUNK_EDGES,
    key: Callable[[list[float]], Hashable] | None = None,
    vectorize: bool | None = None,
    native: bool | None = None,
) -> CompiledHessian:
    """Trace ``f``, its gradient graph (``create_graph``) and the gradient of each gradient
    entry once; return a `CompiledHessian` giving ``(value, grad, hessian)`` at new points.

    Parameters
    ----------
    f : callable
        ``f(x0, x1, ...) -> Value``.
    inputs : sequence of float or Value, or a NumPy array
        The point to trace at.
    labels : sequence of str, optional
        Labels for the leaves (default ``x0``, ``x1``, ...).
    chunk_edges : int, default 125
    key : callable, optional
        As for `compile`: names the branches ``f`` itself takes at a point.
    vectorize, native : bool or None, default None
        As for `compile`, for the programs of the gradient entries (the cost's own program,
        which checks the branch decisions, is straight-line code).

    Examples
    --------
    >>> h = compile_hessian(lambda a, b: a * a * b, [2.0, 3.0])
    >>> value, grad, hessian = h(1.0, 2.0)
    >>> value, grad.tolist(), hessian.tolist()
    (2.0, [4.0, 1.0], [[4.0, 2.0], [2.0, 0.0]])
    """
    if not callable(f) or isinstance(f, Value):
        raise TypeError(f"f must be a function of Values, got {type(f).__name__}")
    leaves = [Value(x.data, x.label) for x in _leaves(inputs, labels)]
    return CompiledHessian(
        f, leaves, chunk_edges=chunk_edges, key=key, vectorize=vectorize, native=native
    )


def _bits(x: float) -> bytes:
    return np.float64(x).tobytes()


def _leaves(inputs: Any, labels: Sequence[str] | None) -> list[Value]:
    if isinstance(inputs, int) and not isinstance(inputs, bool):
        raise TypeError(
            "give example inputs (numbers or Values) to trace at, not a count: the trace "
            "runs the function once on them, e.g. compile(f, [1.0, 2.0])"
        )
    if isinstance(inputs, np.ndarray):
        inputs = inputs.tolist()
    leaves = []
    for k, x in enumerate(inputs):
        label = labels[k] if labels is not None else f"x{k}"
        if isinstance(x, Value):
            leaves.append(x)
        elif isinstance(x, Real) and not isinstance(x, bool):
            leaves.append(Value(float(x), label))
        else:
            raise TypeError(f"inputs[{k}] must be a number or a Value, got {type(x).__name__}")
    return leaves


def compile(
    f: Callable[..., Value] | Value,
    inputs: Sequence[Value | float] | ArrayLike,
    *,
    named: bool = False,
    check_every: int | None = None,
    key: Callable[[list[float]], Hashable] | None = None,
    labels: Sequence[str] | None = None,
    chunk_edges: int = CHUNK_EDGES,
    create_graph: bool = False,
    vectorize: bool | None = None,
    native: bool | None = None,
) -> Any:
    """Trace a graph of Values once and return a `Compiled` replay of it.

    Parameters
    ----------
    f : callable or Value
        A function ``f(x0, x1, ...) -> Value`` of Values, traced by calling it once on
        leaves holding ``inputs``; or a root Value already built, with ``inputs`` its leaves.
    inputs : sequence of float or Value, or a NumPy array
        The point to trace at (for a function), or the leaf Values the root was built from.
        Leaves the graph uses that are not inputs are constants of the compiled graph.
    named : bool, default False
        Also return the gradient of every labelled node, as a dict label -> float.
    check_every : int, optional
        Every this many calls, re-trace (function form only) and raise
        `TraceMismatchError` if the graph's structure or any number differs.
    key : callable, optional
        ``key(xs) -> hashable`` naming the branches the function takes at ``xs`` (for a
        function whose control flow depends on the data): a new key re-traces, and up to 8
        traces are kept, most recently used first.
    labels : sequence of str, optional
        Labels for leaves made from numbers (default ``x0``, ``x1``, ...); error messages
        name them.
    chunk_edges : int, default 125
        The size of the generated functions, in statements (see `CHUNK_EDGES`).
    create_graph : bool, default False
        Compile the gradient graph too: return `compile_hessian`'s `CompiledHessian`,
        whose calls give ``(value, grad, hessian)`` (function form only).
    vectorize : bool or None, default None
        Replay in lanes (`micrograd_lr.lanes`): each group of nodes that repeat one
        operation on operands of the same kinds, such as one per training example, is
        computed by one NumPy operation, with the same bits. None: where the graph has at
        least `LANES_MIN_NODES_PER_STEP` nodes per group; True: wherever the graph allows it
        (an order of gradient shares the groups cannot follow falls back to straight-line
        code); False: never. `Compiled.vectorized` tells which was chosen.
    native : bool or None, default None
        Replay by `micrograd_lr.native`'s loop compiled to machine code (needs Numba:
        ``pip install 'micrograd_lr[fast]'``), with the same bits: 2-6x faster than
        straight-line code on long chains, 2-7x faster than lanes on logistic regression.
        For graphs of the engine's operations, fused linear, mean and log-loss nodes and
        nn's neurons; others (a user's op) go on to lanes or straight-line code. None: where
        the loop can run (`micrograd_lr.native.problem`), the graph has at least
        `NATIVE_MIN_NODES` nodes and ``vectorize`` is not True; True: whatever its size
        (ImportError, with the reason, where the loop cannot run); False: never.
        `Compiled.native` tells which was chosen.

    Returns
    -------
    Compiled, or CompiledHessian with ``create_graph=True``

    Examples
    --------
    >>> c = compile(lambda a, b: (a - 1) * (b + a), [2.0, 3.0])
    >>> value, grad = c(2.0, 3.0)
    >>> value, grad.tolist()
    (5.0, [6.0, 1.0])
    >>> c(3.0, 1.0)[0]
    8.0
    """
    if check_every is not None and (
        isinstance(check_every, bool) or not isinstance(check_every, int) or check_every < 1
    ):
        raise ValueError(f"check_every must be a positive int, got {check_every!r}")
    if create_graph:
        if isinstance(f, Value) or named or check_every is not None or key is not None:
            raise TypeError(
                "create_graph=True takes a function (not a root) and no named, check_every "
                "or key: it re-traces by itself where the gradient graph changes"
            )
        return compile_hessian(
            f, inputs, labels=labels, chunk_edges=chunk_edges, vectorize=vectorize, native=native
        )
    if isinstance(f, Value):
        if check_every is not None or key is not None:
            raise TypeError(
                "check_every and key re-trace by calling the function: compile(f, inputs) "
                "with a function, not a root Value"
            )
        roots_leaves: list[Value] = []
        for k, x in enumerate(inputs):  # type: ignore[arg-type]
            if not isinstance(x, Value):
                raise TypeError(
                    f"with a root Value, inputs must be its leaf Values; inputs[{k}] is a "
                    f"{type(x).__name__}"
                )
            roots_leaves.append(x)
        return Compiled(
            None,
            f,
            roots_leaves,
            named=named,
            chunk_edges=chunk_edges,
            vectorize=vectorize,
            native=native,
        )
    if not callable(f):
        raise TypeError(f"f must be a function of Values or a Value, got {type(f).__name__}")
    leaves = _leaves(inputs, labels)
    function = f
    return Compiled(
        lambda xs: function(*xs),
        None,
        leaves,
        named=named,
        check_every=check_every,
        key=key,
        chunk_edges=chunk_edges,
        vectorize=vectorize,
        native=native,
    )


def logit_signs(X: ArrayLike) -> Callable[[Sequence[float]], bytes]:
    """A ``key`` for logistic regression's composed cost graph (`logistic.cost_graph` with
    ``fused=False``), which branches on the sign of each logit ``z = w.x + b`` and on
    whether ``1 + exp(-|z|)`` rounds to 1 (its composed ``log1p``).

    The logits are computed with the graph's own float operations in its order,
    ``((w0 x0 + w1 x1) + ...) + b``, elementwise over the examples (NumPy's elementwise
    products and sums round exactly as Python floats do), so the key sees the branches the
    graph takes, even at a logit that rounds to 0.

    Parameters
    ----------
    X : array, shape (n_x, m)
        The inputs are ``(w[0], ..., w[n_x - 1], b)``.
    """
    X = np.asarray(X, dtype=np.float64)

    def key(theta: Sequence[float]) -> bytes:
        # w_j x_j for every j and example, summed over j in order: a running sum down the
        # rows (np.add.accumulate adds one row at a time, unlike np.sum's pairwise sums).
        w = np.asarray(theta[:-1], dtype=np.float64)
        z = np.add.accumulate(w[:, None] * X, axis=0)[-1] + theta[-1]
        # The second branch: log1p(t) with t = exp(-|z|) takes a shortcut where 1 + t
        # rounds to 1 (math.exp, as the engine: NumPy's exp may round differently).
        t = np.fromiter(map(math.exp, (-np.abs(z)).tolist()), np.float64, z.size)
        return (z >= 0).tobytes() + (1.0 + t == 1.0).tobytes()

    return key


def compile_gradient(
    build_cost: Callable[..., Value],
    inputs: Sequence[float] | ArrayLike,
    *,
    key: Callable[[list[float]], Hashable] | None = None,
    check_every: int | None = None,
    vectorize: bool | None = None,
    native: bool | None = None,
) -> Callable[[ArrayLike], tuple[float, NDArray[np.float64]]]:
    """``build_cost(*values) -> Value`` compiled into ``gradient(x) -> (cost, grad array)``.

    The helper for training loops: trace once at ``inputs``, then each call replays forward
    and backward at a new point ``x`` (a NumPy array or sequence of floats). See `compile`.

    Examples
    --------
    >>> gradient = compile_gradient(lambda w, b: (w * 2.0 + b - 1.0) ** 2, [0.0, 0.0])
    >>> cost, g = gradient([1.0, 0.5])
    >>> cost, g.tolist()
    (2.25, [6.0, 3.0])
    """
    compiled = compile(
        build_cost,
        inputs,
        key=key,
        check_every=check_every,
        vectorize=vectorize,
        native=native,
    )

    def gradient(x: ArrayLike) -> tuple[float, NDArray[np.float64]]:
        value, grad = compiled(x if isinstance(x, np.ndarray) else list(x))  # type: ignore[arg-type]
        return value, grad

    gradient.compiled = compiled  # type: ignore[attr-defined]
    return gradient
