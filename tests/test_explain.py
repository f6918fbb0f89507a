"""`micrograd_lr.explain`: every line of the forward and backward pass recomputed independently
(SymPy, from the graph's structure, in 50-digit arithmetic), the engine's order, and the
gradients equal to ``backward()``'s bit for bit."""

import json
import math
import re

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from op_cases import CASES, exact_point

import micrograd_lr
from micrograd_lr import Value, explain
from micrograd_lr.errors import GraphTooLargeError
from micrograd_lr.explain import SCHEMA, Explanation, json_number
from micrograd_lr.fused import linear, log_loss, mean
from micrograd_lr.graph import consumers_first
from micrograd_lr.names import node_names
from micrograd_lr.render import format_number, to_dot

# --------------------------------------------------------------------------------------------
# The teaching cases
# --------------------------------------------------------------------------------------------


def j_shared():
    """J = a(b+c) - (b+c): b and c feed two places."""
    a, b, c = Value(2.0, "a"), Value(3.0, "b"), Value(4.0, "c")
    return a * (b + c) - (b + c)


def j_course():
    """J = (a-1)(b+c)."""
    a, b, c = Value(2.0, "a"), Value(3.0, "b"), Value(4.0, "c")
    return (a - 1) * (b + c)


def neuron():
    """micrograd's lecture neuron: o = tanh(x1*w1 + x2*w2 + b), labels as in the lecture."""
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2 = Value(-3.0, "w1"), Value(1.0, "w2")
    b = Value(6.8813735870195432, "b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    n = x1w1 + x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def logistic():
    """Logistic regression on two features, one example, composed from primitives:
    L = -(y log a + (1-y) log(1-a)), a = sigmoid(w1 x1 + w2 x2 + b)."""
    w1, w2, b = Value(0.5, "w1"), Value(-0.25, "w2"), Value(0.1, "b")
    x1, x2, y = 1.5, -2.0, 1.0
    z = w1 * x1 + w2 * x2 + b
    a = z.sigmoid()
    loss = -(y * a.log() + (1 - y) * (1 - a).log())
    loss.label = "L"
    return loss


def logistic_fused():
    """The same cost over two examples with fused nodes: w.x + b, the log-loss, the mean."""
    w1, w2, b = Value(0.5, "w1"), Value(-0.25, "w2"), Value(0.1, "b")
    losses = [
        log_loss(linear([w1, w2], b, [1.5, -2.0]), 1.0),
        log_loss(linear([w1, w2], b, [-0.5, 0.75]), 0.0),
    ]
    J = mean(losses)
    J.label = "J"
    return J


def odd_ops():
    """Folded constants on either side, unary functions, ** with a Value exponent, abs, relu,
    division, and a variable used three times."""
    x, y = Value(1.5, "x"), Value(0.7, "y")
    u = 3 - x * 2
    v = (x**y).exp() / (1 + abs(-x))
    return (u * v).tanh() + (x - 2).relu() + x**2 + 2**y


TEACHING = [j_shared, j_course, neuron, logistic, logistic_fused, odd_ops]


# --------------------------------------------------------------------------------------------
# An independent oracle: SymPy from the graph's structure (ops and operands only, not the
# engine's numbers), in 50-digit arithmetic
# --------------------------------------------------------------------------------------------
def _symbolic_op(node, args):
    """The node's operation applied to SymPy operands (Values and folded numbers alike)."""
    symbol = node.op.symbol
    binary = {
        "+": lambda p, q: p + q,
        "-": lambda p, q: p - q,
        "*": lambda p, q: p * q,
        "/": lambda p, q: p / q,
        "**": lambda p, q: p**q,
    }
    if symbol in binary:
        return binary[symbol](*args)
    if symbol == "w·x+b":  # the row is the op's data: its constant derivatives
        *weights, bias = args
        return (
            sum(w * sp.Float(x, 50) for w, x in zip(weights, node.op.derivatives, strict=False))
            + bias
        )
    if symbol == "mean":
        return sum(args) / len(args)
    if symbol == "logloss":
        z, y = args
        return sp.log(1 + sp.exp(z)) - y * z
    unary = {
        "neg": lambda p: -p,
        "abs": sp.Abs,
        "exp": sp.exp,
        "log": sp.log,
        "tanh": sp.tanh,
        "sigmoid": lambda p: 1 / (1 + sp.exp(-p)),
        "relu": lambda p: sp.Max(p, 0),
    }
    return unary[symbol](*args)


class Oracle:
    """Values, local derivatives and d(root)/d(node) for every node, from SymPy."""

    def __init__(self, root):
        self.root = root
        self.order = list(reversed(consumers_first(root)))
        self.leaves = [n for n in self.order if n.op is None]
        self.symbols = {
            leaf: sp.Symbol(f"leaf{i}", real=True) for i, leaf in enumerate(self.leaves)
        }
        self.point = {s: sp.Float(leaf.data, 50) for leaf, s in self.symbols.items()}

    def _operands(self, node, exprs):
        return [exprs[x] if isinstance(x, Value) else sp.Float(x, 50) for x in node.operands]

    def expressions(self, cut=None, t=None):
        """Each node as an expression of the leaves, with ``cut`` replaced by ``t``."""
        exprs = {}
        for node in self.order:
            if node is cut:
                exprs[node] = t
            elif node.op is None:
                exprs[node] = self.symbols[node]
            else:
                exprs[node] = _symbolic_op(node, self._operands(node, exprs))
        return exprs

    def value(self, node):
        return float(self.expressions()[node].xreplace(self.point).evalf(50))

    def gradient(self, node):
        """d root / d node, holding everything that does not depend on node fixed."""
        if node is self.root:
            return 1.0
        t = sp.Symbol("t", real=True)
        expr = self.expressions(cut=node, t=t)[self.root]
        at = {**self.point, t: sp.Float(node.data, 50)}
        return float(sp.diff(expr, t).xreplace(at).evalf(50))

    def local(self, consumer, index):
        """d consumer / d (its index-th Value operand)."""
        exprs = self.expressions()
        dummies = []
        args = []
        values = {}
        for i, x in enumerate(consumer.operands):
            if isinstance(x, Value):
                s = sp.Symbol(f"o{i}", real=True)
                dummies.append(s)
                args.append(s)
                values[s] = exprs[x].xreplace(self.point).evalf(50)
            else:
                args.append(sp.Float(x, 50))
        expr = _symbolic_op(consumer, args)
        return float(sp.diff(expr, dummies[index]).xreplace(values).evalf(50))


def close(x, y, rel=1e-12, abs_=1e-14):
    return x == y or abs(x - y) <= max(rel * max(abs(x), abs(y)), abs_)


def _numbers(text):
    """The numbers in a line of text, as printed."""
    return re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]\d+)?", text)


@pytest.mark.parametrize("build", TEACHING, ids=lambda f: f.__name__)
def test_every_line_recomputed_independently(build):
    root = build()
    e = explain(root)
    oracle = Oracle(root)
    shown = {}  # the gradient each line says a node has, as printed

    for step in e.forward:
        truth = oracle.value(step.node)
        assert close(step.value, truth), (step.name, step.value, truth)
        line = e.forward_line(step)
        assert line.endswith(" = " + format_number(truth)), line

    for step in e.backward:
        line = e.backward_line(step)
        if step.kind == "edge":
            upstream = oracle.gradient(step.consumer)
            local = oracle.local(step.consumer, step.operand)
            assert close(step.upstream, upstream), (line, upstream)
            assert close(step.local, local), (line, local)
            assert close(step.contribution, upstream * local), (line, upstream * local)
            # The printed factors are the printed gradient of the consumer and the local
            # derivative; the printed product is their product (to the digits shown).
            if step.consumer is not root:
                factors = line.split(" = ")[-2]
                assert factors.replace("(", "").replace(")", "") == (
                    f"{format_number(upstream)} * {format_number(local)}"
                )
                assert format_number(upstream) == shown[step.consumer]
            assert line.endswith(" = " + format_number(upstream * local)) or (
                step.consumer is root and format_number(local) in line
            )
        if step.complete:
            truth = oracle.gradient(step.node)
            assert close(step.grad, truth, abs_=1e-13), (line, truth)
            shown[step.node] = format_number(truth)
        if step.kind == "sum":
            assert math.fsum(step.terms) == pytest.approx(step.grad, rel=1e-15)
            assert f"= {format_number(step.grad)}, " in line
            assert len(step.terms) == step.paths >= 2

    for node in e.names:
        assert close(e.gradients[node], oracle.gradient(node), abs_=1e-13)


@pytest.mark.parametrize("build", TEACHING, ids=lambda f: f.__name__)
def test_gradients_are_the_engines_bit_for_bit_and_grad_is_untouched(build):
    root = build()
    e = explain(root)
    assert all(node.grad == 0.0 for node in e.names)  # explaining changes nothing
    root.backward()
    for node, g in e.gradients.items():
        assert g == node.grad or (math.isnan(g) and math.isnan(node.grad)), e.names[node]


@pytest.mark.parametrize("build", TEACHING, ids=lambda f: f.__name__)
def test_backward_follows_the_engines_order(build):
    root = build()
    e = explain(root)
    processed = [step.consumer for step in e.backward if step.kind == "edge"]
    expected = [
        node for node in consumers_first(root) for _ in node.parents
    ]  # each node once per operand, in the order backward expands it
    assert processed == expected
    # Every node's gradient is complete exactly once, and before it is passed on.
    complete = [step.node for step in e.backward if step.complete and step.kind != "edge"]
    complete += [s.node for s in e.backward if s.kind == "edge" and s.complete and s.paths == 1]
    assert sorted(map(id, complete)) == sorted(map(id, e.names))
    for i, step in enumerate(e.backward):
        if step.kind == "edge":
            done = [s for s in e.backward[:i] if s.node is step.consumer and s.complete]
            assert done, "a gradient was passed on before it was complete"


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(CASES), st.data())
def test_each_operation_against_its_own_sympy_formula(case, data):
    """The leaves' gradients against a formula written by hand for each op (not derived
    from the graph), in a graph where the op's result is used twice."""
    point = tuple(data.draw(d) for d in case.domains)
    leaves = [Value(x, name) for x, name in zip(point, "ab", strict=False)]
    try:
        out = case.build(*leaves)
    except (ValueError, ZeroDivisionError, OverflowError):
        return
    root = out * out + out
    e = explain(root)
    exact = exact_point(point)
    symbolic = case.symbolic**2 + case.symbolic
    for leaf, s in zip(leaves, sp.symbols("a b", real=True), strict=False):
        want = float(sp.diff(symbolic, s).evalf(50, subs=exact))
        assert close(e.gradients[leaf], want, rel=1e-10, abs_=1e-12)
    assert [s.kind for s in e.backward].count("sum") >= 1


# --------------------------------------------------------------------------------------------
# The text
# --------------------------------------------------------------------------------------------
def test_text_of_the_course_example():
    a, b, c = Value(2.0, "a"), Value(3.0, "b"), Value(4.0, "c")
    text = str(explain((a - 1) * (b + c)))
    assert "  u = a - 1 = 1" in text and "  v = b + c = 7" in text and "  J = u * v = 7" in text
    assert "dJ/da = dJ/du * du/da = 7 * 1 = 7" in text
    assert "dJ/du = 7 (the local derivative of J = u * v)" in text


def test_a_node_used_twice_has_its_sum_written_out():
    x = Value(2.0, "x")
    u = x * 3
    J = u * x  # dJ/dx = 3x^2 -> 6 (via u: x * 3 = 6) + 6 (directly: u = 6) = 12
    text = explain(J).to_text()
    assert "dJ/dx (path 1 of 2)" in text and "dJ/dx (path 2 of 2)" in text
    assert "dJ/dx               = 6 + 6 = 12, two paths" in text


def test_the_text_is_aligned():
    lines = explain(j_shared()).to_text().splitlines()
    backward = [line for line in lines if re.match(r"\s+\d+\. ", line)]
    columns = {line.index(" = ") for line in backward}
    assert len(columns) == 1


def test_folded_constants_unary_functions_and_value_exponents_are_written_out():
    e = explain(odd_ops())
    texts = {step.name: step.expression for step in e.forward if step.expression}
    written = set(texts.values())
    assert "x * 2" in written and any(t.startswith("3 - ") for t in written)
    assert "x ** y" in written and "x - 2" in written and "2 ** y" in written
    assert any(t.startswith("exp(") for t in written) and any(t.startswith("abs(") for t in written)
    assert "-x" in written and any(t.startswith("relu(") for t in written)


def test_fused_nodes_are_written_out():
    e = explain(logistic_fused())
    written = [step.expression for step in e.forward if step.expression]
    assert "w1*1.5 + w2*(-2) + b" in written
    assert any(t.startswith("logloss(") and t.endswith(", 1)") for t in written)
    assert any(t.startswith("mean(") for t in written)


def test_negative_numbers_are_parenthesized_in_products():
    x = Value(2.0, "x")
    line = explain(-(x * x) * 3).to_text()
    assert "* (-" in line or "(-3)" in line


def test_names_are_the_drawings():
    root = j_course()
    names = explain(root).names
    assert names == node_names(root)
    source = to_dot(root, names=True)
    assert "<I>u</I>" in source and "<I>v</I>" in source and "<I>J</I>" in source
    assert "<I>" not in to_dot(root)  # drawings without names= are unchanged


def test_labels_and_duplicates_get_distinct_names():
    p, q = Value(1.0, "x"), Value(2.0, "x")
    weird = Value(3.0, "line\nbreak")
    J = p * q + weird
    J.label = "u"  # the output took the first short name
    names = node_names(J)
    assert sorted(names.values()) == sorted(["x", "x#2", "line\\nbreak", "v", "u"])


def test_many_intermediates_are_numbered():
    x = Value(1.0, "x")
    y = x
    for _ in range(5):
        y = y * 1.5
    names = list(node_names(y).values())
    assert names == ["x", "u1", "u2", "u3", "u4", "J"]


def test_markdown_tables():
    md = explain(j_shared()).to_markdown()
    assert "| `u` | `b + c` | 7 |" in md
    assert "| 9 | `dJ/db` | `(-1) + 2` two paths | 1 |" in md
    rows = [line for line in md.splitlines() if line.startswith("| ")]
    assert all(line.count(" | ") == rows[0].count(" | ") for line in rows[:9])


def test_markdown_escapes_pipes_in_labels():
    a = Value(1.0, "a|b")
    md = explain(a * 2).to_markdown()
    assert "`a\\|b`" in md


# --------------------------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------------------------
def strict_json(text):
    def refuse(name):
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def test_json_records():
    e = explain(j_shared())
    doc = strict_json(e.to_json())
    assert doc["schema"] == SCHEMA and doc["kind"] == "explanation"
    assert doc["output"] == {"name": "J", "value": 7.0}
    assert doc["variables"] == [
        {"name": "a", "value": 2.0, "grad": 7.0},
        {"name": "b", "value": 3.0, "grad": 1.0},
        {"name": "c", "value": 4.0, "grad": 1.0},
    ]
    assert [n["name"] for n in doc["nodes"]] == ["a", "b", "c", "u", "v", "w", "J"]
    assert doc["nodes"][3] == {
        "name": "u", "label": "", "op": "+", "operands": ["b", "c"], "value": 7.0,
        "grad": 2.0, "uses": 1, "text": "u = b + c = 7",
    }  # fmt: skip
    edge = doc["backward"][3]
    assert edge == {
        "step": 4, "kind": "edge", "node": "b", "consumer": "w", "operand": 0,
        "upstream": -1.0, "local": 1.0, "contribution": -1.0, "path": 1, "paths": 2,
        "grad": -1.0, "complete": False,
        "text": "dJ/db (path 1 of 2) = dJ/dw * dw/db = (-1) * 1 = -1",
    }  # fmt: skip
    total = doc["backward"][8]
    assert total["kind"] == "sum" and total["terms"] == [-1.0, 2.0] and total["grad"] == 1.0


def test_json_keeps_full_precision_and_writes_infinities_as_strings():
    x = Value(0.0, "x")
    doc = strict_json(explain(x**0.5 + x / 3).to_json())
    assert doc["variables"][0]["grad"] == "inf"
    assert json_number(float("nan")) == "nan" and json_number(-math.inf) == "-inf"
    third = strict_json(explain(Value(1.0, "y") / 3).to_json())
    assert third["variables"][0]["grad"] == 1 / 3


# --------------------------------------------------------------------------------------------
# Limits and bad input
# --------------------------------------------------------------------------------------------
def test_large_graphs_are_refused_with_the_count_and_the_way_out():
    x = Value(1.0, "x")
    y = x
    for _ in range(300):
        y = y * 1.0001
    with pytest.raises(
        GraphTooLargeError, match=r"301 nodes, more than max_nodes=200.*max_nodes=301"
    ):
        explain(y)
    assert len(explain(y, max_nodes=None).forward) == 301


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"root": 3.0}, TypeError, "root must be a Value"),
        ({"digits": 0}, ValueError, "digits must be an int from 1 to 17"),
        ({"digits": True}, ValueError, "digits"),
        ({"max_nodes": 0}, ValueError, "max_nodes must be a positive int"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    args = {"root": Value(1.0, "a") * 2, **kwargs}
    with pytest.raises(error, match=match):
        explain(**args)


def test_a_lone_leaf():
    e = explain(Value(5.0))
    assert e.to_text().splitlines() == [
        "Forward pass, in evaluation order:",
        "  J = 5",
        "Backward pass, in the order the engine applies the chain rule:",
        "  1. dJ/dJ = 1 (the output's own gradient)",
    ]


def test_the_package_exports_the_function_and_the_module_keeps_its_names():
    assert micrograd_lr.explain is explain and callable(micrograd_lr.explain)
    assert isinstance(explain(j_course()), Explanation)
    assert repr(explain(j_course())) == "<Explanation of J: 6 nodes, 6 backward steps>"


@st.composite
def random_graphs(draw):
    """A random graph of +, -, *, tanh, sigmoid and folded numbers over 1-3 inputs, where
    any earlier node may be reused (fan-out, x * x)."""
    nodes = [Value(draw(st.floats(-2, 2)), f"x{i}") for i in range(draw(st.integers(1, 3)))]
    for _ in range(draw(st.integers(1, 12))):
        p = draw(st.sampled_from(nodes))
        q = draw(st.sampled_from(nodes))
        kind = draw(st.sampled_from(["+", "-", "*", "tanh", "sigmoid", "*k", "k-"]))
        k = draw(st.floats(-2, 2))
        if kind == "+":
            nodes.append(p + q)
        elif kind == "-":
            nodes.append(p - q)
        elif kind == "*":
            nodes.append(p * q)
        elif kind == "tanh":
            nodes.append(p.tanh())
        elif kind == "sigmoid":
            nodes.append(p.sigmoid())
        elif kind == "*k":
            nodes.append(p * k)
        else:
            nodes.append(k - p)
    return nodes[-1]


@settings(max_examples=60, deadline=None)
@given(random_graphs())
def test_random_graphs_bitwise_and_every_sum_adds_up(root):
    e = explain(root)
    root.backward()
    for node, g in e.gradients.items():
        assert g == node.grad
    partial = {}
    for step in e.backward:
        if step.kind == "edge":
            assert step.contribution == step.local * step.upstream
            partial.setdefault(step.node, []).append(step.contribution)
            assert step.path == len(partial[step.node])
            assert step.upstream == e.gradients[step.consumer]
        if step.kind == "sum":
            assert list(step.terms) == partial[step.node]
        if step.complete:
            assert step.grad == step.node.grad
    # Every node's gradient is completed exactly once.
    assert sum(1 for s in e.backward if s.complete and s.kind != "sum") == len(e.names)
