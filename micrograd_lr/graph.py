"""Walking a computation graph: its nodes, edges, size, depth and topological orders.

Every walk is iterative (graphs a million nodes deep are fine) and visits nodes in an order
fixed by the graph's structure alone, never by ``id()`` or hashing, so drawings and
gradients are the same in every process.
"""

from __future__ import annotations

from collections.abc import Iterator

from .engine import Value, _backward_order

__all__ = [
    "consumers_first",
    "depth",
    "edges",
    "nodes",
    "size",
    "topological_order",
    "zero_grad",
]


def nodes(root: Value) -> list[Value]:
    """Every node reachable from ``root``, each once, in depth-first preorder from the root
    (operands left to right).

    Examples
    --------
    >>> a = Value(2.0, "a")
    >>> [n.label or n.op.symbol for n in nodes((a + 1) * a)]
    ['*', '+', 'a']
    """
    seen = {root}
    order = []
    stack = [root]
    while stack:
        node = stack.pop()
        order.append(node)
        # Push in reverse so the left operand is visited first.
        for parent in reversed(node.parents):
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return order


def edges(root: Value) -> Iterator[tuple[Value, Value]]:
    """Every ``(operand, result)`` pair of the graph, once per use (``x * x`` gives two)."""
    for node in nodes(root):
        for parent in node.parents:
            yield parent, node


def size(root: Value) -> int:
    """How many distinct nodes the graph has."""
    return len(nodes(root))


def depth(root: Value) -> int:
    """The number of nodes on the longest path from a leaf to ``root`` (a leaf has depth 1)."""
    longest: dict[Value, int] = {}
    for node in topological_order(root):
        longest[node] = 1 + max((longest[p] for p in node.parents), default=0)
    return longest[root]


def consumers_first(root: Value) -> list[Value]:
    """A topological order with ``root`` first and every node before its operands.

    This is the exact order in which ``Value.backward`` applies the chain rule (Kahn's
    algorithm: a node comes once all of its consumers have come), so gradients accumulated
    in this order agree bit for bit with ``backward``. It is computed by the same walk, on
    the nodes' scratch counters: like ``backward``, two threads must not run it at the same
    time on graphs that share nodes.
    """
    return _backward_order(root)


def topological_order(root: Value) -> list[Value]:
    """A topological order with every node after its operands and ``root`` last."""
    order = consumers_first(root)
    order.reverse()
    return order


def zero_grad(root: Value) -> None:
    """Set ``.grad`` to 0.0 on ``root`` and every node it was computed from."""
    root.zero_grad()
