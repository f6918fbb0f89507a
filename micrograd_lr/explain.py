"""Backpropagation step by step: the forward pass, then every chain-rule step of the backward
pass in the engine's order, as aligned text, Markdown or JSON records."""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import graph
from .engine import Value
from .errors import GraphTooLargeError
from .names import node_names
from .render import DEFAULT_DIGITS, _check_options, format_number

if TYPE_CHECKING:
    from .stepper import Stepper

__all__ = [
    "DEFAULT_MAX_NODES",
    "SCHEMA",
    "BackwardStep",
    "Explanation",
    "ForwardStep",
    "explain",
    "json_number",
    "values_and_gradients",
]

DEFAULT_MAX_NODES = 200
"""Largest graph explained step by step: beyond it the steps are too many to read."""

SCHEMA = "micrograd-lr/1"
"""The ``schema`` field of every JSON document the package writes (see docs/cli.md)."""

_INFIX = ("+", "-", "*", "/", "**")
_LINEAR = "w·x+b"  # the fused node of micrograd_lr.fused.linear
_COUNTS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


@dataclass(frozen=True)
class ForwardStep:
    """One node of the forward pass.

    Attributes
    ----------
    node : Value
        The node.
    name : str
        Its name (see `micrograd_lr.names.node_names`).
    op : str or None
        The operation's symbol (``"+"``, ``"tanh"``, ...), None for an input.
    operands : tuple of (str or float)
        The operands in written order: names of Values, and folded numbers as floats.
    expression : str or None
        How the node was computed, ``"a - 1"``; None for an input.
    value : float
        ``node.data``.
    """

    node: Value
    name: str
    op: str | None
    operands: tuple[str | float, ...]
    expression: str | None
    value: float


@dataclass(frozen=True)
class BackwardStep:
    """One step of the backward pass.

    ``kind`` is ``"seed"`` (the output's gradient, 1), ``"edge"`` (one chain-rule product:
    the gradient flowing from ``consumer`` into one of its operands, ``node``) or ``"sum"``
    (a node used in several places: its contributions added up).

    Attributes
    ----------
    kind : {"seed", "edge", "sum"}
    node : Value
        The node whose gradient this step fills in (for an edge: the operand receiving).
    grad : float
        ``node``'s gradient after this step: the final gradient once ``complete``, else the
        running sum of the paths so far.
    complete : bool
        Whether every path into ``node`` has now been counted.
    consumer : Value or None
        For an edge: the node being processed, whose gradient is passed on.
    operand : int or None
        For an edge: the index of ``node`` among ``consumer.parents``.
    upstream, local, contribution : float or None
        For an edge: d(output)/d(consumer), d(consumer)/d(node) as the engine computed it in
        the forward pass (``consumer.local_grads``), and their product.
    path, paths : int
        For an edge: this is path ``path`` of the ``paths`` paths into ``node``.
    terms : tuple of float
        For a sum: the contributions, in the order the engine added them.
    """

    kind: str
    node: Value
    grad: float
    complete: bool
    consumer: Value | None = None
    operand: int | None = None
    upstream: float | None = None
    local: float | None = None
    contribution: float | None = None
    path: int = 1
    paths: int = 1
    terms: tuple[float, ...] = ()


def json_number(x: float) -> float | str:
    """A float for JSON: finite numbers as they are, ``"inf"``, ``"-inf"`` and ``"nan"`` as
    strings (strict JSON has no literal for them)."""
    x = float(x)
    if math.isfinite(x):
        return x
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


def values_and_gradients(
    kind: str,
    output: tuple[str, Value],
    variables: list[tuple[str, Value]],
    *,
    formula: str | None = None,
) -> dict[str, Any]:
    """The part every JSON document shares: the output's value and each variable's value
    and gradient (d output / d variable).

    Parameters
    ----------
    kind : str
        What wrote the document: ``"gradients"``, ``"drawing"`` or ``"explanation"``.
    output : (str, Value)
        The output's name and node.
    variables : list of (str, Value)
        Each input's name and node, in order; ``.grad`` is read as its gradient.
    formula : str, optional
        The formula as typed on the command line.

    Returns
    -------
    dict
        ``{"schema", "kind", "formula", "output": {"name", "value"}, "variables": [{"name",
        "value", "grad"}, ...]}``.
    """
    name, root = output
    return {
        "schema": SCHEMA,
        "kind": kind,
        "formula": formula,
        "output": {"name": name, "value": json_number(root.data)},
        "variables": [
            {"name": n, "value": json_number(v.data), "grad": json_number(float(v.grad))}
            for n, v in variables
        ],
    }


class Explanation:
    """The forward and backward pass of one graph, step by step (made by `explain`).

    Every number is the engine's own: values are ``.data``, local derivatives are
    ``.local_grads`` (computed in the forward pass) and the gradients are accumulated in
    the order ``Value.backward`` uses, with the same float operations, so they equal
    ``.grad`` after ``backward()`` bit for bit. Explaining reads the graph only: ``.grad``
    is neither needed nor changed.

    Attributes
    ----------
    root : Value
    names : dict of Value to str
        Every node's name, in evaluation order.
    forward : list of ForwardStep
        Evaluation order: every input before the results computed from it.
    backward : list of BackwardStep
        The engine's order.
    gradients : dict of Value to float
        d(root)/d(node) for every node.
    digits : int
        Significant digits of the numbers in the text.
    """

    def __init__(
        self,
        root: Value,
        names: dict[Value, str],
        forward: list[ForwardStep],
        backward: list[BackwardStep],
        gradients: dict[Value, float],
        digits: int,
    ) -> None:
        self.root = root
        self.names = names
        self.forward = forward
        self.backward = backward
        self.gradients = gradients
        self.digits = digits
        self._steps = {step.node: step for step in forward}

    # --- pieces of text -----------------------------------------------------------------------
    def _number(self, x: float) -> str:
        return format_number(x, self.digits)

    def _factor(self, x: float) -> str:
        """A number inside a product or sum: negative ones in parentheses."""
        text = self._number(x)
        return f"({text})" if text.startswith("-") else text

    @property
    def output_name(self) -> str:
        """The output's name (``J`` unless it has a label)."""
        return self.names[self.root]

    @property
    def inputs(self) -> list[Value]:
        """The graph's inputs (leaves), in evaluation order."""
        return [step.node for step in self.forward if step.op is None]

    def gradient_name(self, node: Value) -> str:
        """``dJ/dx`` for the node named x."""
        return f"d{self.output_name}/d{self.names[node]}"

    def backward_parts(self, step: BackwardStep) -> tuple[str, str, str, str]:
        """A backward step in four parts: what it computes, how, the result, and a note;
        its line is ``target = how = result note`` (``how`` may be empty)."""
        target = self.gradient_name(step.node)
        if step.kind == "seed":
            return target, "", self._number(step.grad), "(the output's own gradient)"
        if step.kind == "sum":
            terms = " + ".join(self._factor(t) for t in step.terms)
            count = _COUNTS[step.paths] if step.paths < len(_COUNTS) else str(step.paths)
            return target, terms, self._number(step.grad), f", {count} paths"
        assert step.consumer is not None
        assert step.upstream is not None and step.local is not None
        assert step.contribution is not None
        if step.paths > 1:
            target += f" (path {step.path} of {step.paths})"
        result = self._number(step.contribution)
        if step.consumer is self.root:
            # dJ/dJ is 1: the contribution is the local derivative itself, and writing
            # it as dJ/dJ * dJ/du would read as if dJ/du were defined by itself.
            expression = self._steps[step.consumer].expression
            note = f"(the local derivative of {self.output_name} = {expression})"
            return target, "", result, note
        consumer = self.names[step.consumer]
        how = (
            f"{self.gradient_name(step.consumer)} * d{consumer}/d{self.names[step.node]} = "
            f"{self._factor(step.upstream)} * {self._factor(step.local)}"
        )
        return target, how, result, ""

    def forward_line(self, step: ForwardStep) -> str:
        """``u = a - 1 = 1`` (``a = 2`` for an input)."""
        if step.expression is None:
            return f"{step.name} = {self._number(step.value)}"
        return f"{step.name} = {step.expression} = {self._number(step.value)}"

    def backward_line(self, step: BackwardStep) -> str:
        """``dJ/da = dJ/du * du/da = 7 * 1 = 7``."""
        return _join(*self.backward_parts(step))

    # --- documents ----------------------------------------------------------------------------
    def to_text(self) -> str:
        """The explanation as aligned plain text."""
        out = ["Forward pass, in evaluation order:"]
        width = max(len(step.name) for step in self.forward)
        for step in self.forward:
            line = self.forward_line(step)
            out.append("  " + step.name.ljust(width) + line[len(step.name) :])
        out.append("Backward pass, in the order the engine applies the chain rule:")
        parts = [self.backward_parts(step) for step in self.backward]
        width = max(len(part[0]) for part in parts)
        number = len(str(len(parts)))
        for i, (target, how, result, note) in enumerate(parts, 1):
            line = _join(target.ljust(width), how, result, note)
            out.append(f"  {str(i).rjust(number)}. {line}")
        inputs = self.inputs
        if inputs and self.root not in inputs:
            out.append(f"Gradients of {self.output_name}:")
            targets = [self.gradient_name(node) for node in inputs]
            width = max(len(t) for t in targets)
            for target, node in zip(targets, inputs, strict=True):
                out.append(f"  {target.ljust(width)} = {self._number(self.gradients[node])}")
        return "\n".join(out)

    def to_markdown(self) -> str:
        """The explanation as Markdown tables, to paste into notes."""
        out = [
            "**Forward pass** (evaluation order)",
            "",
            "| name | computed as | value |",
            "| --- | --- | ---: |",
        ]
        for node_step in self.forward:
            how = "input" if node_step.expression is None else _code(node_step.expression)
            out.append(f"| {_code(node_step.name)} | {how} | {self._number(node_step.value)} |")
        out += [
            "",
            "**Backward pass** (the engine's order)",
            "",
            "| step | gradient | chain rule | value |",
            "| ---: | --- | --- | ---: |",
        ]
        for i, step in enumerate(self.backward, 1):
            target, how, result, note = self.backward_parts(step)
            rule = " ".join(part for part in (_code(how) if how else "", note.lstrip(", ")) if part)
            out.append(f"| {i} | {_code(target)} | {rule} | {result} |")
        return "\n".join(out)

    def to_dict(self) -> dict[str, Any]:
        """The explanation as JSON-ready records (the schema is in docs/cli.md)."""
        names = self.names
        doc = values_and_gradients(
            "explanation",
            (self.output_name, self.root),
            [(names[node], node) for node in self.inputs],
        )
        # The gradients of this document are the explanation's own (bitwise those of
        # backward), whether or not .grad has been filled in.
        for record, node in zip(doc["variables"], self.inputs, strict=True):
            record["grad"] = json_number(self.gradients[node])
        consumers = Counter(p for node in names for p in node.parents)
        doc["nodes"] = [
            {
                "name": step.name,
                "label": str(step.node.label),
                "op": step.op,
                "operands": [x if isinstance(x, str) else json_number(x) for x in step.operands],
                "value": json_number(step.value),
                "grad": json_number(self.gradients[step.node]),
                "uses": consumers[step.node],
                "text": self.forward_line(step),
            }
            for step in self.forward
        ]
        records = []
        for i, step in enumerate(self.backward, 1):
            record = {"step": i, "kind": step.kind, "node": names[step.node]}
            if step.kind == "edge":
                assert step.consumer is not None and step.contribution is not None
                assert step.upstream is not None and step.local is not None
                record.update(
                    consumer=names[step.consumer],
                    operand=step.operand,
                    upstream=json_number(step.upstream),
                    local=json_number(step.local),
                    contribution=json_number(step.contribution),
                    path=step.path,
                    paths=step.paths,
                )
            elif step.kind == "sum":
                record.update(terms=[json_number(t) for t in step.terms], paths=step.paths)
            record.update(
                grad=json_number(step.grad), complete=step.complete, text=self.backward_line(step)
            )
            records.append(record)
        doc["backward"] = records
        return doc

    def to_json(self, *, indent: int | None = 2) -> str:
        """`to_dict` as strict JSON text (no NaN or Infinity literals)."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    def stepper(self) -> Stepper:
        """A `micrograd_lr.stepper.Stepper` over these steps: displays inline in Jupyter,
        writes a self-contained HTML page or an animated GIF."""
        from .stepper import Stepper

        return Stepper(self)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return (
            f"<Explanation of {self.output_name}: {len(self.forward)} nodes, "
            f"{len(self.backward)} backward steps>"
        )

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


def _join(target: str, how: str, result: str, note: str) -> str:
    """``target = how = result note``, leaving out the empty parts."""
    line = f"{target} = {how} = {result}" if how else f"{target} = {result}"
    if not note:
        return line
    return line + note if note.startswith(",") else f"{line} {note}"


def _code(text: str) -> str:
    """Text as a Markdown code span that is safe inside a table cell."""
    text = text.replace("|", "\\|")
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _expression(node: Value, names: dict[Value, str], digits: int) -> str:
    """How ``node`` was computed, with its operands' names and folded numbers."""
    op = node.op
    assert op is not None

    def show(x: Value | float) -> str:
        if isinstance(x, Value):
            return names[x]
        text = format_number(x, digits)
        return f"({text})" if text.startswith("-") else text

    operands = [show(x) for x in node.operands]
    if op.symbol in _INFIX and len(operands) == 2:
        return f"{operands[0]} {op.symbol} {operands[1]}"
    if op.symbol == "neg" and len(operands) == 1:
        return f"-{operands[0]}"
    if op.symbol == _LINEAR and len(node.parents) >= 2:
        # Its local derivatives are the input row: w0*x0 + ... + b.
        *weights, bias = node.parents
        products = [
            f"{names[w]}*{show(x)}" for w, x in zip(weights, node.local_grads, strict=False)
        ]
        return " + ".join([*products, names[bias]])
    return f"{op.symbol}({', '.join(operands)})"


def explain(
    root: Value, *, digits: int = DEFAULT_DIGITS, max_nodes: int | None = DEFAULT_MAX_NODES
) -> Explanation:
    """Backpropagation through ``root``'s graph, one chain-rule step at a time.

    The forward pass lists every node in evaluation order with its name (the names that
    ``draw(root, names=True)`` shows: labels, ``u``, ``v``, ... for unlabelled results, ``J``
    for an unlabelled output). The backward pass follows the order in which
    ``Value.backward`` processes nodes: the output's gradient 1, then for every edge the
    upstream gradient times the local derivative, and for a node used in several places the
    sum of its contributions. Needs no ``backward()`` beforehand and changes no ``.grad``.

    Parameters
    ----------
    root : Value
        The output.
    digits : int, default 4
        Significant digits of the numbers in the text (JSON records keep full precision).
    max_nodes : int or None, default 200
        Refuse larger graphs (`GraphTooLargeError`); None for no limit.

    Returns
    -------
    Explanation
        ``print()`` it for text; ``.to_markdown()``, ``.to_json()``, ``.stepper()``.

    Raises
    ------
    GraphTooLargeError
        When the graph has more than ``max_nodes`` nodes.

    Examples
    --------
    >>> a, b, c = Value(2.0, "a"), Value(3.0, "b"), Value(4.0, "c")
    >>> print(explain((a - 1) * (b + c)))
    Forward pass, in evaluation order:
      a = 2
      u = a - 1 = 1
      b = 3
      c = 4
      v = b + c = 7
      J = u * v = 7
    Backward pass, in the order the engine applies the chain rule:
      1. dJ/dJ = 1 (the output's own gradient)
      2. dJ/du = 7 (the local derivative of J = u * v)
      3. dJ/dv = 1 (the local derivative of J = u * v)
      4. dJ/db = dJ/dv * dv/db = 1 * 1 = 1
      5. dJ/dc = dJ/dv * dv/dc = 1 * 1 = 1
      6. dJ/da = dJ/du * du/da = 7 * 1 = 7
    Gradients of J:
      dJ/da = 7
      dJ/db = 1
      dJ/dc = 1
    """
    _check_options(root, "LR", digits, max_nodes)  # the same checks as draw's
    if max_nodes is not None:
        size = graph.size(root)
        if size > max_nodes:
            raise GraphTooLargeError(
                f"the graph has {size} nodes, more than max_nodes={max_nodes}: its "
                f"step-by-step explanation would run to over {2 * size} lines; explain a "
                f"smaller example, or raise the limit (max_nodes={size} or more)"
            )
    names = node_names(root)
    forward = [
        ForwardStep(
            node,
            name,
            node.op.symbol if node.op else None,
            tuple(names[x] if isinstance(x, Value) else float(x) for x in node.operands),
            _expression(node, names, digits) if node.op else None,
            node.data,
        )
        for node, name in names.items()
    ]

    uses = Counter(parent for node in names for parent in node.parents)
    gradients: dict[Value, float] = {root: 1.0}
    received: dict[Value, list[float]] = {}
    backward = [BackwardStep("seed", root, 1.0, True)]
    for node in graph.consumers_first(root):
        if node.op is None:
            continue
        upstream = gradients[node]
        for index, (parent, local) in enumerate(zip(node.parents, node.local_grads, strict=True)):
            # The engine's own arithmetic: parent.grad (from 0.0) += local * upstream.
            contribution = local * upstream
            total = gradients.get(parent, 0.0) + contribution
            gradients[parent] = total
            terms = received.setdefault(parent, [])
            terms.append(contribution)
            paths = uses[parent]
            done = len(terms) == paths
            backward.append(
                BackwardStep(
                    "edge",
                    parent,
                    total,
                    done,
                    consumer=node,
                    operand=index,
                    upstream=upstream,
                    local=local,
                    contribution=contribution,
                    path=len(terms),
                    paths=paths,
                )
            )
            if done and paths > 1:
                backward.append(
                    BackwardStep("sum", parent, total, True, paths=paths, terms=tuple(terms))
                )
    return Explanation(root, names, forward, backward, gradients, digits)
