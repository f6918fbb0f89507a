"""Replay a traced graph in lanes: the nodes that repeat one operation on operands of the same
kinds (one per training example, say) computed together, one NumPy operation per group, bit
for bit as the engine computes them one at a time.

A cost summed over examples is the same little graph once per example: logistic regression
on 455 examples is 455 copies of ``w.x + b``, a log-loss and a share of the mean. Compiled to
straight-line code it still spends one statement per node; here each group of identical nodes
is one step, so a replay costs a step per *kind* of node rather than per node.

Exactness, which is the point of every replay in this package, holds because:

- the elementwise ``+``, ``-``, ``*``, ``/`` and negation of NumPy round as Python's floats
  do (IEEE 754), and every other function (``exp``, ``log``, ``tanh``, the sigmoid, the
  log-loss, a user's op, and the derivative rules that call them) is the engine's own Python
  function called on each element, never NumPy's own ``exp`` (which may round differently);
- a sum over examples is accumulated one term at a time in the engine's order
  (`numpy.add.accumulate` and `numpy.ufunc.at` add sequentially, unlike ``np.sum``);
- a gradient gets its shares in the engine's order: a node that every lane reads (a weight)
  collects them and adds them up in the order of ``Value.backward``; for the nodes of a
  larger class, `LanePlan` checks that the steps hand them out in that order, and refuses
  the graph (`NoLanes`) where they do not, so that `micrograd_lr.compile` falls back to its
  straight-line code.

A step costs a few microseconds however many nodes it holds, so lanes pay on graphs with many
nodes per step (`micrograd_lr.compile` uses them from 64 on) and lose on a chain, where every
node is a step of its own.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import fused, nn
from .engine import OPS, Op

__all__ = ["LanePlan", "NoLanes"]

Array = NDArray[np.float64]


class NoLanes(Exception):
    """The graph cannot be replayed in lanes (or would gain nothing); the reason is the
    message."""


class _Fail(Exception):
    """A guard saw an input the engine would refuse (the engine is then run to raise its
    own error)."""


_LINEAR_CODE = fused.LINEAR_FORWARD_CODE
_POW = operator.pow
_ADD_RULES = (1.0, 1.0)


# --------------------------------------------------------------------------------------------
# NumPy forms of the engine's functions, each used only if it computes what the engine's
# Python function does at every sample point (checked when the module is imported).
# --------------------------------------------------------------------------------------------
def _map(f: Callable[[float], float], a: Array) -> Array:
    """The engine's function of one float on each element (not NumPy's own, which may round
    differently)."""
    return np.fromiter(map(f, a.tolist()), np.float64, a.size)


def _safe_divide(a: Array, b: Array) -> Array:
    if not np.all(b):  # Python raises ZeroDivisionError where NumPy gives inf
        raise _Fail
    return a / b


def _sigmoid(z: Array) -> Array:
    # engine._stable_sigmoid elementwise: exp of -|z| only, one call per element.
    nonnegative = z >= 0
    e = _map(math.exp, np.where(nonnegative, -z, z))
    return np.where(nonnegative, 1.0 / (1.0 + e), e / (1.0 + e))


def _log_loss(z: Array, y: Array) -> Array:
    # fused.log_loss_float elementwise: max(z, 0.0) - y * z + log1p(exp(-abs(z))), where
    # Python's max(z, 0.0) keeps z unless 0.0 > z (so max(-0.0, 0.0) is -0.0, and NaN
    # stays NaN): not np.maximum.
    rest = _map(math.log1p, _map(math.exp, -np.abs(z)))
    return np.where(z < 0.0, 0.0, z) - y * z + rest


def _log_loss_dz(out: Array, z: Array, y: Array) -> Array:
    # -sigmoid(-z) where y == 1, else sigmoid(z) - y (fused._log_loss_dz).
    one = y == 1
    s = _sigmoid(np.where(one, -z, z))
    return np.where(one, -s, s - y)


def _neuron(*operands: Array) -> Array:
    # nn's neuron, b + w0 x0 + w1 x1 + ..., on operands (w0, x0, w1, x1, ..., b), in order.
    total = operands[-1]
    for k in range(0, len(operands) - 1, 2):
        total = total + operands[k] * operands[k + 1]
    return total


# The engine's functions as NumPy expressions, with their arity.
_VECTOR_FORWARD: dict[Any, tuple[int, Callable[..., Array]]] = {
    operator.add: (2, operator.add),
    operator.sub: (2, operator.sub),
    operator.mul: (2, operator.mul),
    operator.truediv: (2, _safe_divide),
    operator.neg: (1, operator.neg),
    abs: (1, np.abs),
    OPS["relu"].forward: (1, lambda a: np.where(a <= 0, 0.0, a)),
    OPS["sigmoid"].forward: (1, _sigmoid),
    fused.log_loss_float: (2, _log_loss),
}

# Derivative rules as NumPy expressions of (out, *operands), by the engine's rule function;
# an int j: the rule's value is operand j itself (a product's other factor).
_VECTOR_RULES: dict[int, Callable[..., Array] | int] = {
    id(OPS["mul"].derivatives[0]): 1,
    id(OPS["mul"].derivatives[1]): 0,
    id(OPS["div"].derivatives[0]): lambda o, a, b: 1.0 / b,
    id(OPS["div"].derivatives[1]): lambda o, a, b: -o / b,
    id(OPS["exp"].derivatives[0]): lambda o, a: o,
    id(OPS["log"].derivatives[0]): lambda o, a: 1.0 / a,
    id(OPS["tanh"].derivatives[0]): lambda o, a: 1.0 - o * o,
    id(OPS["relu"].derivatives[0]): lambda o, a: np.where(a > 0, 1.0, np.where(a <= 0, 0.0, a)),
    id(OPS["sigmoid"].derivatives[0]): lambda o, a: o * _sigmoid(-a),
    id(fused.LOG_LOSS.derivatives[0]): _log_loss_dz,
}

SAMPLE_POINTS: tuple[float, ...] = (0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 1e-300, 40.0, 710.0)
SAMPLE_POINTS += (-800.0, math.inf, -math.inf, math.nan)
"""Where every NumPy form here, and every inline form of `micrograd_lr.compile`, is checked
against the engine's function: signed zeros, both sides of exp's overflow, infinities, NaN."""
_SAMPLES = np.array(SAMPLE_POINTS)


def _same(x: Any, y: Any) -> bool:
    return bool(np.all((x == y) & (np.signbit(x) == np.signbit(y)) | (np.isnan(x) & np.isnan(y))))


def _checked() -> None:
    """Drop every NumPy form that disagrees with the engine's function on a sample point."""
    a, b = np.meshgrid(_SAMPLES, _SAMPLES)
    a, b = a.ravel(), b.ravel()
    with np.errstate(all="ignore"):
        for f, (arity, form) in list(_VECTOR_FORWARD.items()):
            keep = [k for k in range(len(a)) if arity == 1 or b[k] != 0]
            args = [x[keep] for x in (a, b)[:arity]]
            expected = np.array([f(*map(float, p)) for p in zip(*args, strict=True)])
            if not _same(form(*args), expected):
                del _VECTOR_FORWARD[f]
        for op in (*OPS.values(), fused.LOG_LOSS):
            for rule in op.derivatives:
                known = _VECTOR_RULES.get(id(rule))
                if known is None:
                    continue
                vector = known if not isinstance(known, int) else nn._operand(known)
                points = []
                for p in zip(*((a, b)[: op.arity]), strict=True):
                    try:
                        out = op.forward(*map(float, p))
                        want = float(rule(out, *map(float, p)))
                    except (ArithmeticError, ValueError):
                        continue
                    if isinstance(out, float):
                        points.append((out, *p, want))
                cols = np.array(points).T
                if not _same(vector(*cols[:-1]), cols[-1]):
                    del _VECTOR_RULES[id(rule)]


_checked()


def _elementwise(f: Callable[..., Any], n: int, *columns: Array) -> Array:
    """``f`` (a Python function of floats) on each lane: the engine's own computation."""
    lists = [np.broadcast_to(c, (n,)).tolist() for c in columns]
    return np.fromiter(map(f, *lists), np.float64, n)


# --------------------------------------------------------------------------------------------
# The plan
# --------------------------------------------------------------------------------------------
class _Ref:
    """Where one operand position of a step reads its values: a class's values at member
    indices (``idx`` None: all of them, in order; a class of one member broadcasts), or
    folded numbers (``constant``)."""

    __slots__ = ("cls", "constant", "distinct", "idx", "reverse_idx", "sole")

    def __init__(self, cls: int, idx: Any, constant: Any) -> None:
        self.cls = cls
        self.idx = idx
        self.constant = constant
        self.distinct = True
        self.reverse_idx: Any = None
        # This share is every node's of the class whole gradient, and the rule is 1.0: the
        # class's gradient is this step's own array (the engine's 0.0 + 1.0 * g is g bit
        # for bit, as no gradient is -0.0).
        self.sole = False


class _Step:
    """One class of nodes computed at once (``kind`` "lanes"), a class of one node
    ("single"), or a fold (a running sum over single-node additions)."""

    __slots__ = (
        "cls",
        "constants",
        "fractional",
        "guard",
        "is_node",
        "kind",
        "n",
        "op",
        "position",
        "refs",
        "rows",
        "rules",
        "vector_forward",
        "vector_rules",
    )

    kind: str
    cls: int  # the class it computes (a fold: its last addition's)
    n: int  # nodes in the class (a fold: additions)
    op: Op
    position: int  # forward position of its first node (a fold: its last)
    refs: list[_Ref]
    constants: Array  # a single's or a fold's folded numbers, by operand position
    is_node: list[bool]  # a single's operand positions that are nodes
    rows: Any  # a linear lane step's rows (its weights' derivatives), operand by lane
    rules: list[Any]
    vector_forward: Callable[..., Array] | None
    vector_rules: list[Any]  # a NumPy form of each rule, or the operand it equals (an int)
    guard: str | None
    fractional: Any

    def __init__(self, kind: str, cls: int, n: int, op: Op, position: int) -> None:
        self.kind, self.cls, self.n, self.op, self.position = kind, cls, n, op, position
        self.refs = []
        self.constants = np.zeros(0)
        self.is_node = []
        self.rows = None
        self.rules = []
        self.vector_forward = None
        self.vector_rules = []
        self.guard = None
        self.fractional = None


class LanePlan:
    """A traced graph (`micrograd_lr.compile`'s ``_Graph``) as steps over lanes.

    Raises `NoLanes` when an op or the order of a gradient's shares rules it out, or when
    ``min_nodes_per_step`` is given and the graph has fewer nodes per step than that (a chain
    is one step per node: its straight-line code is faster).
    """

    def __init__(self, graph: Any, *, min_nodes_per_step: float = 0.0) -> None:
        ops, args_of, n = graph.ops, graph.args, len(graph)
        if n < 2 or ops[n - 1] is None:
            raise NoLanes("the graph is a single leaf")
        limit = n / min_nodes_per_step if min_nodes_per_step else math.inf
        inputs = graph.inputs
        cls = [0] * n
        member = [0] * n
        classes: list[list[int]] = []
        kinds: list[Any] = []  # per class: ("input", k), ("const",) or the Op
        found: dict[Any, int] = {}
        n_op_classes = 0
        consumers = [0] * n
        opkeys: dict[int, Any] = {}  # by id(op): a linear node's op is its own, per row
        for i in range(n):
            op = ops[i]
            if op is None:
                key: Any = ("input", inputs[i]) if i in inputs else ("const",)
            else:
                opkey = opkeys.get(id(op))
                if opkey is None:
                    code = getattr(op.forward, "__code__", None)
                    opkey = opkeys[id(op)] = ("linear",) if code is _LINEAR_CODE else id(op)
                args = args_of[i]
                if len(args) == 2:  # most nodes: written out, as this loop is the hot one
                    a, b = args
                    if type(a) is int:
                        consumers[a] += 1
                        a = cls[a]
                    else:
                        a = None
                    if type(b) is int:
                        consumers[b] += 1
                        b = cls[b]
                    else:
                        b = None
                    key = (opkey, a, b)
                else:
                    for a in args:
                        if type(a) is int:
                            consumers[a] += 1
                    key = (opkey, *[cls[a] if type(a) is int else None for a in args])
            c = found.get(key)
            if c is None:
                c = found[key] = len(classes)
                classes.append([i])
                kinds.append(key if op is None else op)
                # Give up early on a chain (a class per node), but not on a Python sum(),
                # whose additions are a class each until they are folded (below).
                if op is not None and op.forward is not operator.add:
                    n_op_classes += 1
                    if n_op_classes > limit:
                        raise NoLanes("too few nodes per step")
                cls[i] = c
                continue
            cls[i] = c
            members = classes[c]
            member[i] = len(members)
            members.append(i)
        self.n_nodes = n
        self.sizes = [len(m) for m in classes]
        self.input_class = [-1] * graph.n_inputs
        self._input_names: dict[int, str] = {}
        const = np.zeros(0)
        for c, kind in enumerate(kinds):
            if isinstance(kind, tuple) and kind[0] == "input":
                self.input_class[kind[1]] = c
                self._input_names[c] = graph.labels[classes[c][0]] or f"x{kind[1]}"
            elif kind == ("const",):
                const = np.array([graph.data[i] for i in classes[c]])
        self.const_class = found.get(("const",), -1)
        self.const_values = const
        self.root_class = cls[n - 1]
        self._members = classes

        # Folds: chains of single-node additions, each adding one term to the previous sum
        # (a Python sum() over examples), become one running sum.
        fold_of: dict[int, list[int]] = {}  # last node of a fold -> its nodes
        in_fold: dict[int, list[int]] = {}
        sizes = self.sizes
        # Classes of one node, in the order of their nodes (a class is numbered when its
        # first node comes).
        for i in [members[0] for members in classes if len(members) == 1]:
            a = args_of[i][0] if ops[i] is not None else None
            if (
                type(a) is int
                and _is_add(ops[i], args_of[i])
                and sizes[cls[a]] == 1
                and _is_add(ops[a], args_of[a])
                and consumers[a] == 1
                and not graph.labels[a]  # a named gradient is read from its own class
            ):
                chain = in_fold.pop(a, None) or [a]
                chain.append(i)
                in_fold[i] = chain
        for chain in in_fold.values():
            if len(chain) >= 3:
                fold_of[chain[-1]] = chain
        folded = {i for chain in fold_of.values() for i in chain}

        # Steps in class order (a class only reads classes made before it); a fold at its
        # last node's class.
        self.steps: list[_Step] = []
        step_of_class = [-1] * len(classes)
        n_steps = 0
        for c, members in enumerate(classes):
            op = kinds[c]
            if not isinstance(op, Op):
                continue
            if members[0] in folded and members[0] not in fold_of:
                continue
            step_of_class[c] = n_steps
            n_steps += 1
            if n_steps > limit:
                raise NoLanes("too few nodes per step")
            if members[0] in fold_of:
                self.steps.append(self._fold(fold_of[members[0]], graph, cls, member))
            else:
                self.steps.append(self._step(c, op, members, graph, cls, member))
        for chain in fold_of.values():
            for i in chain:
                step_of_class[cls[i]] = step_of_class[cls[chain[-1]]]
        self._check_order(graph, cls, step_of_class, folded, consumers)
        self.settle_order = self._settle_orders(graph, fold_of)
        # The classes whose gradients are summed: the steps' and the inputs' (not constant
        # leaves, nor the additions inside a fold).
        with_gradient = {step.cls for step in self.steps}
        with_gradient.update(c for c in self.input_class if c >= 0)
        with_gradient -= self._mark_sole_shares(consumers)
        self.gradient_classes = [(c, self.sizes[c]) for c in sorted(with_gradient)]
        # Where each node's value and gradient are (for `gradient`), compactly: a Python
        # list of ints would hold about 70 bytes a node.
        self.cls = np.array(cls, dtype=np.int32)
        self.member = np.array(member, dtype=np.int32)
        del self._members

    # ----------------------------------------------------------------------------------------
    def _refs(
        self, graph: Any, positions: Sequence[int], k: int, cls: list[int], member: list[int]
    ) -> _Ref:
        """Operand ``k`` of the nodes at ``positions`` (all of one class)."""
        first = graph.args[positions[0]][k]
        if type(first) is not int:
            values = [graph.args[i][k] for i in positions]
            return _Ref(-1, None, np.array(values, dtype=np.float64))
        source = cls[first]
        idx = [member[graph.args[i][k]] for i in positions]
        size = self.sizes[source]
        ref = _Ref(source, None, None)
        if size == 1:
            ref.distinct = len(positions) == 1
        elif idx != list(range(size)) or size != len(positions):
            ref.idx = np.array(idx, dtype=np.intp)
            ref.distinct = len(set(idx)) == len(idx)
        if not ref.distinct:
            # Shares reach a repeated target in the engine's order: the later lanes first.
            ref.reverse_idx = np.array(idx[::-1], dtype=np.intp)
        return ref

    def _step(
        self, c: int, op: Op, members: list[int], graph: Any, cls: list[int], member: list[int]
    ) -> _Step:
        if len(members) == 1:
            return self._single(c, op, members[0], graph, cls, member)
        step = _Step("lanes", c, len(members), op, members[0])
        arity = len(graph.args[members[0]])
        step.refs = [self._refs(graph, members, k, cls, member) for k in range(arity)]
        linear = getattr(op.forward, "__code__", None) is _LINEAR_CODE
        if linear:
            # Each lane has its own row: its derivatives with respect to the weights.
            step.rows = np.array([graph.ops[i].derivatives for i in members]).T.copy()
            step.rules = [step.rows[k] for k in range(arity)]
        else:
            step.rules = list(op.derivatives)
            if len(step.rules) != arity:
                raise NoLanes(f"op {op.symbol!r} has {len(step.rules)} rules for {arity} operands")
        vector_forward = _VECTOR_FORWARD.get(op.forward)
        step.vector_forward = None if linear or vector_forward is None else vector_forward[1]
        if getattr(op.forward, "__code__", None) is nn.NEURON_FORWARD_CODE:
            step.vector_forward = _neuron
        step.vector_rules = [
            None
            if type(r) is float or linear
            else _VECTOR_RULES.get(id(r), nn.operand_rule_index(r))
            for r in step.rules
        ]
        step.guard = _guard(op, graph.args[members[0]])
        if step.guard == "fractional":
            exponent = step.refs[1].constant
            step.fractional = np.array([not float(e).is_integer() for e in exponent])
        return step

    def _single(
        self, c: int, op: Op, i: int, graph: Any, cls: list[int], member: list[int]
    ) -> _Step:
        """One node: computed by the engine's own function on Python floats, its operands
        gathered (and its shares handed out) one NumPy operation per source class, so that
        a mean over 455 examples is a handful of operations, not 455."""
        args = graph.args[i]
        step = _Step("single", c, 1, op, i)
        step.rules = list(op.derivatives)
        if len(step.rules) != len(args):
            raise NoLanes(f"op {op.symbol!r} has {len(step.rules)} rules for {len(args)} operands")
        step.constants = np.array([0.0 if type(a) is int else a for a in args], dtype=np.float64)
        step.is_node = [type(a) is int for a in args]
        step.refs = _gathers([(k, a) for k, a in enumerate(args) if type(a) is int], cls, member)
        step.guard = _guard(op, args)
        step.fractional = step.guard == "fractional" and not float(args[1]).is_integer()
        rules = step.rules
        if all(type(rules[k]) is float for k, a in enumerate(args) if type(a) is int):
            step.vector_rules = [np.array([r if type(r) is float else 0.0 for r in rules])]
        return step

    def _fold(self, chain: list[int], graph: Any, cls: list[int], member: list[int]) -> _Step:
        """A running sum: ``t0 + t1``, then ``+ t2``, ... (``chain`` its nodes in order)."""
        step = _Step("fold", cls[chain[-1]], len(chain), graph.ops[chain[-1]], chain[-1])
        terms: list[int | float] = [graph.args[chain[0]][0], graph.args[chain[0]][1]]
        terms += [graph.args[i][1] for i in chain[1:]]
        step.constants = np.array([0.0 if type(a) is int else a for a in terms])
        step.refs = _gathers([(t, a) for t, a in enumerate(terms) if type(a) is int], cls, member)
        # The engine hands the terms their shares from the last addition back to the first,
        # whose own two operands come in written order: term K, K-1, ..., 2, then 0, 1.
        rank = np.empty(len(terms), dtype=np.intp)
        rank[[*range(len(terms) - 1, 1, -1), 0, 1]] = np.arange(len(terms))
        for ref in step.refs:
            positions, members = ref.idx
            back = np.argsort(rank[positions])
            ref.reverse_idx = (positions[back], members[back])
        return step

    def _check_order(
        self,
        graph: Any,
        cls: list[int],
        step_of_class: list[int],
        folded: set[int],
        consumers: list[int],
    ) -> None:
        """Refuse the graph (`NoLanes`) unless every node of a class of several gets its
        gradient's shares in the engine's order: the engine goes through the nodes from the
        last made to the first, each node's operands in written order; the steps go from the
        last step to the first, a lane step operand by operand (lanes from the last), a fold
        from its last addition to its first. (A class of one node, such as a weight every
        lane reads, collects its shares and adds them up in the engine's order itself.)"""
        args_of = graph.args
        n = len(args_of)
        # Every edge into a node that can get shares out of order: one with two consumer
        # edges or more, in a class of several nodes (not constant leaves).
        skip = np.array([size == 1 for size in self.sizes], dtype=bool)
        if self.const_class >= 0:
            skip[self.const_class] = True
        classes = np.array(cls)
        watched = np.array(consumers) >= 2
        watched &= ~skip[classes]
        if not watched.any():
            return
        flags = watched.tolist()  # indexing a list: a tenth of a NumPy array's cost
        edges = [
            (i, k, a)
            for i, args in enumerate(args_of)
            for k, a in enumerate(args)
            if type(a) is int and flags[a]
        ]
        consumer, position, target = np.array(edges, dtype=np.int64).T
        # The steps' order as one integer per edge: a later step first, then in a lane
        # step operand by operand and lanes from the last, in a fold additions from the
        # last (and a node's operands in written order).
        width = int(position.max()) + 1
        step = np.array(step_of_class, dtype=np.int64)[classes[consumer]]
        in_a_fold = np.zeros(n, dtype=bool)
        in_a_fold[list(folded)] = True
        lanes_key = position * (n + 1) + (n - consumer)
        fold_key = (n - consumer) * width + position
        key = (len(self.steps) - step) * (width * (n + 1)) + np.where(
            in_a_fold[consumer], fold_key, lanes_key
        )
        # The engine's order: by target, then the last consumer made first, then operands.
        order = np.lexsort((position, -consumer, target))
        key, target = key[order], target[order]
        same = target[1:] == target[:-1]
        bad = np.flatnonzero(same & (key[1:] < key[:-1]))
        if len(bad):
            raise NoLanes(
                f"node #{target[bad[0]]} gets its gradient's shares in another order than "
                "the engine"
            )

    def _mark_sole_shares(self, consumers: list[int]) -> set[int]:
        """Mark the lane steps' shares that are their target class's whole gradient with a
        rule of 1.0 (`_Ref.sole`); return those classes, whose gradient arrays are then
        the steps' own, not allocated."""
        taken: set[int] = set()
        for step in self.steps:
            if step.kind != "lanes":
                continue
            for rule, ref in zip(step.rules, step.refs, strict=True):
                c = ref.cls
                if (
                    type(rule) is float
                    and rule == 1.0
                    and ref.constant is None
                    and ref.idx is None
                    and ref.distinct
                    and self.sizes[c] > 1
                    and c != self.const_class
                    and c not in taken
                    and all(consumers[i] == 1 for i in self._members[c])
                ):
                    ref.sole = True
                    taken.add(c)
        return taken

    def _settle_orders(self, graph: Any, fold_of: dict[int, list[int]]) -> dict[int, Any]:
        """For each class of one node that gets shares: the permutation that puts them, in
        the order the steps hand them out (see `_backward`), into the engine's order (from
        the last consumer made to the first, each consumer's operands in written order)."""
        produced: dict[int, list[tuple[int, int]]] = {}
        sizes = self.sizes
        for step in reversed(self.steps):
            if step.kind == "lanes":
                members = self._members[step.cls]
                for k, ref in enumerate(step.refs):
                    if ref.constant is None and ref.cls != self.const_class and sizes[ref.cls] == 1:
                        produced.setdefault(ref.cls, []).extend((-i, k) for i in members)
                continue
            if step.kind == "fold":
                chain = fold_of[step.position]
                edge = [(-chain[0], 0), (-chain[0], 1)] + [(-i, 1) for i in chain[1:]]
            else:
                edge = [(-step.position, k) for k in range(len(graph.args[step.position]))]
            for ref in step.refs:
                if ref.cls != self.const_class and sizes[ref.cls] == 1:
                    positions = ref.reverse_idx[0].tolist()
                    produced.setdefault(ref.cls, []).extend(edge[t] for t in positions)
        orders: dict[int, Any] = {}
        for c, keys in produced.items():
            perm = sorted(range(len(keys)), key=keys.__getitem__)
            if perm == list(range(len(keys))):
                orders[c] = slice(None)
            elif perm == list(range(len(keys) - 1, -1, -1)):
                orders[c] = slice(None, None, -1)
            else:
                orders[c] = np.array(perm, dtype=np.intp)
        return orders

    # ----------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.steps)

    def _values(self, xs: Sequence[float]) -> list[Any]:
        V: list[Any] = [None] * len(self.sizes)
        for k, c in enumerate(self.input_class):
            if c >= 0:
                V[c] = np.array([xs[k]])
        if self.const_class >= 0:
            V[self.const_class] = self.const_values
        for step in self.steps:
            V[step.cls] = _forward(step, V)
        return V

    def forward(self, xs: Sequence[float]) -> float:
        """The value of the root at the inputs ``xs``."""
        with np.errstate(all="ignore"):
            return float(self._values(xs)[self.root_class][0])

    def run(self, xs: Sequence[float]) -> tuple[float, list[Any], list[Any]]:
        """Forward and backward at the inputs ``xs``: ``(value, V, G)``, the values and
        gradients of every class (arrays by member); read them with `gradient`."""
        with np.errstate(all="ignore"):
            V = self._values(xs)
            G: list[Any] = [None] * len(self.sizes)
            for c, size in self.gradient_classes:
                G[c] = np.zeros(size)
            G[self.root_class][0] = 1.0
            settle = self.settle_order
            pending: dict[int, list[Array]] = {c: [] for c in settle}
            for step in reversed(self.steps):
                if step.cls in pending:
                    G[step.cls][0] = _settle(pending.pop(step.cls), settle[step.cls])
                _backward(step, V, G, pending)
            for c, shares in pending.items():
                G[c][0] = _settle(shares, settle[c])
            return float(V[self.root_class][0]), V, G

    def has_gradient(self, position: int) -> bool:
        """Whether `run` sums the gradient of the node at forward ``position`` (not for a
        constant leaf: nothing reads it)."""
        return bool(self.cls[position] != self.const_class)

    def gradient(self, G: list[Any], position: int) -> float:
        """The gradient of the node at forward ``position`` from `run`'s ``G``."""
        return float(G[self.cls[position]][self.member[position]])

    def describe(self) -> str:
        """The steps, one line each, for reading: ``v3[40] = v1 + b`` computes the 40
        nodes of class 3 at once, from class 1's values and the input ``b``; ``numbers``
        are folded numbers, one per node; ``[i]`` marks operands gathered from a class
        in another order."""

        def name(c: int) -> str:
            if c in self._input_names:
                return self._input_names[c]
            return "leaves" if c == self.const_class else f"v{c}"

        lines = [f"# {self.n_nodes} nodes in {len(self.steps)} steps"]
        for step in self.steps:
            target = f"v{step.cls}" + (f"[{step.n}]" if step.kind == "lanes" else "")
            if step.kind == "fold":
                names = [name(ref.cls) for ref in step.refs]
                if sum(len(ref.idx[0]) for ref in step.refs) < step.n + 1:
                    names.append("numbers")
                sources = ", ".join(names)
                lines.append(f"{target} = running sum of {step.n + 1} terms from {sources}")
                continue
            if step.kind == "single":
                operands = []
                for ref in step.refs:
                    operands += [name(ref.cls)] * len(ref.idx[0])
                operands += ["numbers"] * (len(step.is_node) - sum(step.is_node))
            else:
                operands = [
                    "numbers"
                    if r.constant is not None
                    else name(r.cls) + ("[i]" if r.idx is not None else "")
                    for r in step.refs
                ]
            symbol = step.op.symbol
            if step.rows is not None:
                text = f"linear({', '.join(operands)})"
            elif len(operands) == 2 and symbol in ("+", "-", "*", "/", "**"):
                text = f"{operands[0]} {symbol} {operands[1]}"
            elif len(operands) > 4:
                text = f"{symbol}({', '.join(operands[:3])}, ... {len(operands)} operands)"
            else:
                text = f"{symbol}({', '.join(operands)})"
            lines.append(f"{target} = {text}")
        return "\n".join(lines)


def _is_add(op: Op | None, args: tuple[Any, ...]) -> bool:
    return (
        op is not None
        and op.forward is operator.add
        and len(args) == 2
        and all(type(d) is float for d in op.derivatives)
        and tuple(op.derivatives) == _ADD_RULES
    )


def _guard(op: Op, args: tuple[Any, ...]) -> str | None:
    """Where the float ``**`` does not refuse what the engine does (see compile._guards):
    a Value exponent needs ``log(base)`` ("positive"); a negative base to a fractional
    folded exponent gives Python a complex number ("fractional")."""
    if op.forward is not _POW:
        return None
    base, exponent = args
    if type(base) is int and type(exponent) is int:
        return "positive"
    if type(base) is int:
        return "fractional"
    return None


def _gathers(operands: list[tuple[int, int]], cls: list[int], member: list[int]) -> list[_Ref]:
    """One `_Ref` per source class for ``(position, node)`` operands: ``idx`` is the pair
    (positions, members), in position order (the engine's order within a node)."""
    by_source: dict[int, tuple[list[int], list[int]]] = {}
    for k, a in operands:
        positions, members = by_source.setdefault(cls[a], ([], []))
        positions.append(k)
        members.append(member[a])
    refs = []
    for source, (positions, members) in by_source.items():
        ref = _Ref(source, (np.array(positions, np.intp), np.array(members, np.intp)), None)
        ref.distinct = len(set(members)) == len(members)
        ref.reverse_idx = ref.idx
        refs.append(ref)
    return refs


def _gather(step: _Step, V: list[Any]) -> Array:
    terms = step.constants.copy()
    for ref in step.refs:
        positions, members = ref.idx
        terms[positions] = V[ref.cls][members]
    return terms


def _settle(shares: list[Array], order: Any) -> float:
    """A class of one node: its shares added up in the engine's order, from 0.0.

    The running sum starts at the first share rather than at ``0.0 + share``: the two
    differ only in the sign of a zero, and only while every share so far is -0.0; the
    engine's sum is never -0.0 (``0.0 + x`` is not, nor is a sum of two terms unless both
    are), so adding 0.0 at the end gives its float exactly."""
    if not shares:
        return 0.0
    ordered = (shares[0] if len(shares) == 1 else np.concatenate(shares))[order]
    return float(np.add.accumulate(ordered)[-1]) + 0.0


def _scatter(step: _Step, shares: Array, G: list[Any], pending: dict[int, list[Array]]) -> None:
    for ref in step.refs:
        target = G[ref.cls]
        if target is None:  # a constant leaf: its gradient is never read
            continue
        positions, members = ref.reverse_idx
        collected = pending.get(ref.cls)
        if collected is not None:
            collected.append(shares[positions])
        elif ref.distinct:
            target[members] += shares[positions]
        else:
            np.add.at(target, members, shares[positions])


def _operand(ref: _Ref, V: list[Any]) -> Any:
    if ref.constant is not None:
        return ref.constant
    values = V[ref.cls]
    return values if ref.idx is None else values[ref.idx]


def _forward(step: _Step, V: list[Any]) -> Array:
    if step.kind == "fold":
        return np.add.accumulate(_gather(step, V))[-1:]
    if step.kind == "single":
        args = _gather(step, V).tolist()
        if step.guard == "positive" and args[0] <= 0:
            raise _Fail
        if step.guard == "fractional" and step.fractional and args[0] < 0:
            raise _Fail
        return np.array([step.op.forward(*args)], dtype=np.float64)
    operands = [_operand(ref, V) for ref in step.refs]
    n = step.n
    if step.guard == "positive" and np.any(operands[0] <= 0):
        raise _Fail
    if step.guard == "fractional" and np.any((operands[0] < 0) & step.fractional):
        raise _Fail
    if step.rows is not None:  # linear: ((w0 x0 + w1 x1) + ...) + b, each lane its row
        rows = step.rows
        out = operands[0] * rows[0]
        for k in range(1, len(operands) - 1):
            out = out + operands[k] * rows[k]
        out = out + operands[-1]
    elif step.vector_forward is not None:
        out = step.vector_forward(*operands)
    else:
        out = _elementwise(step.op.forward, n, *operands)
    if out.shape != (n,):
        out = np.broadcast_to(out, (n,)).copy()
    return out


def _backward(step: _Step, V: list[Any], G: list[Any], pending: dict[int, list[Array]]) -> None:
    g = G[step.cls]
    if step.kind == "fold":
        # Each addition hands 1.0 * g to both operands, and its left operand's gradient is
        # 0.0 + 1.0 * g: every addition before the last has that same gradient.
        last = 1.0 * g.item(0)
        shares = np.full(step.n + 1, 0.0 + last)
        shares[-1] = last
        _scatter(step, shares, G, pending)
        return
    if step.kind == "single":
        gi = g.item(0)
        if step.vector_rules:  # every rule a number
            shares = step.vector_rules[0] * gi
        else:
            args = _gather(step, V).tolist()
            out = V[step.cls].item(0)
            shares = np.array(
                [
                    (r if type(r) is float else r(out, *args)) * gi if step.is_node[k] else 0.0
                    for k, r in enumerate(step.rules)
                ],
                dtype=np.float64,
            )
        _scatter(step, shares, G, pending)
        return
    operands: list[Any] | None = None
    out = V[step.cls]
    n = step.n
    for k, ref in enumerate(step.refs):
        if ref.constant is not None:
            continue
        if ref.sole:
            G[ref.cls] = g
            continue
        target = G[ref.cls]
        if target is None:  # a constant leaf: its gradient is never read
            continue
        rule = step.rules[k]
        if type(rule) is float:
            share = g if rule == 1.0 else rule * g  # 1.0 * g is g, bit for bit
        else:
            vector = step.vector_rules[k]
            if isinstance(rule, np.ndarray):  # a linear step's row
                d = rule
            elif type(vector) is int:
                d = _operand(step.refs[vector], V)
            else:
                if operands is None:
                    operands = [_operand(r, V) for r in step.refs]
                if vector is not None:
                    d = vector(out, *operands)
                else:
                    d = _elementwise(rule, n, out, *operands)
            share = d * g
        collected = pending.get(ref.cls)
        if collected is not None:
            collected.append(share)
        elif ref.distinct:
            if ref.idx is None:
                target += share
            else:
                target[ref.idx] += share
        else:
            np.add.at(target, ref.reverse_idx, share[::-1])
