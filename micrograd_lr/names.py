"""One name per node of a graph, shared by step-by-step explanations and drawings that name
intermediate results (``u = a - 1``, ``v = b + c``, ``J = u * v``)."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain, count

from . import graph
from .engine import Value

__all__ = ["OUTPUT_NAMES", "SHORT_NAMES", "node_names", "visible"]

OUTPUT_NAMES = ("J", "f", "out", "result")
"""Names tried, in order, for an unlabelled output (the first one not already a label)."""

SHORT_NAMES = ("u", "v", "w")
"""Names of unlabelled intermediate results when a graph has at most this many; larger graphs
number them ``u1, u2, ...`` instead."""


def visible(text: object) -> str:
    """``text`` on one line with every character visible: newlines, tabs and other
    non-printable characters written as escapes (``"a\\nb"`` for a newline)."""
    text = text if isinstance(text, str) else str(text)
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def node_names(root: Value) -> dict[Value, str]:
    """A distinct, readable name for every node reachable from ``root``.

    A labelled node is called by its label (shown on one line, see `visible`); a second node
    with the same label gets ``#2`` appended, and so on. An unlabelled output is ``J`` (or
    ``f``, ``out``, ``result`` when ``J`` is a label already), and unlabelled intermediate
    results and inputs are ``u``, ``v``, ``w`` in evaluation order, or ``u1``, ``u2``, ...
    when there are more than three. Names never repeat a label of the graph, and the same
    graph always gets the same names.

    Parameters
    ----------
    root : Value
        The output of the graph.

    Returns
    -------
    dict of Value to str
        Every node, in evaluation order (inputs before the results computed from them,
        ``root`` last).

    Examples
    --------
    >>> a, b, c = Value(2.0, "a"), Value(3.0, "b"), Value(4.0, "c")
    >>> J = (a - 1) * (b + c)
    >>> list(node_names(J).values())
    ['a', 'u', 'b', 'c', 'v', 'J']
    """
    order = graph.topological_order(root)
    labels = {node: visible(node.label) for node in order if str(node.label).strip()}
    taken = set(labels.values())
    names: dict[Value, str] = {}
    seen: dict[str, int] = {}
    for node in order:
        label = labels.get(node)
        if label is None:
            continue
        seen[label] = seen.get(label, 0) + 1
        name = label if seen[label] == 1 else f"{label}#{seen[label]}"
        while name in taken and seen[label] > 1:  # "x#2" may itself be a label
            seen[label] += 1
            name = f"{label}#{seen[label]}"
        taken.add(name)
        names[node] = name

    if root not in names:
        output = next((n for n in OUTPUT_NAMES if n not in taken), None)
        if output is not None:
            names[root] = output
            taken.add(output)
    unnamed = [node for node in order if node not in names]
    candidates: Iterator[str]
    if len(unnamed) <= len(SHORT_NAMES):
        candidates = chain(SHORT_NAMES, (f"u{i}" for i in count(1)))
    else:
        candidates = (f"u{i}" for i in count(1))
    for node in unnamed:
        name = next(candidates)
        while name in taken:
            name = next(candidates)
        taken.add(name)
        names[node] = name
    return {node: names[node] for node in order}
