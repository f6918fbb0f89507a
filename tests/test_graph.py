"""Graph walks: each function against a brute-force definition on random graphs with shared
nodes, repeated operands and folded numbers."""

import random

import pytest

from micrograd_lr import Value
from micrograd_lr.graph import (
    consumers_first,
    depth,
    edges,
    nodes,
    size,
    topological_order,
    zero_grad,
)


def random_graph(seed: int) -> tuple[Value, list[Value]]:
    """A random DAG: each new node combines earlier ones (often the same one twice)."""
    rng = random.Random(seed)
    leaves = [Value(rng.uniform(0.5, 1.5), f"x{i}") for i in range(rng.randint(1, 4))]
    pool = list(leaves)
    for _ in range(rng.randint(0, 25)):
        a, b = rng.choice(pool), rng.choice(pool)
        kind = rng.randrange(5)
        node = [a + b, a * b, (a * 0.5).tanh(), 2.0 - a, a * a][kind]
        pool.append(node)
    root = pool[-1]
    for node in pool[len(leaves) :]:  # tie every node into the root, so all are reachable
        if rng.random() < 0.3:
            root = root + node
    return root, leaves


def reachable(root: Value) -> set[Value]:
    seen, stack = set(), [root]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(node.parents)
    return seen


def longest_path(node: Value, memo: dict[Value, int]) -> int:
    if node not in memo:
        memo[node] = 1 + max((longest_path(p, memo) for p in node.parents), default=0)
    return memo[node]


SEEDS = range(40)


@pytest.mark.parametrize("seed", SEEDS)
def test_nodes_are_every_reachable_node_once_from_the_root(seed):
    root, _ = random_graph(seed)
    found = nodes(root)
    assert found[0] is root
    assert len(found) == len(set(found)) == size(root)
    assert set(found) == reachable(root)


@pytest.mark.parametrize("seed", SEEDS)
def test_edges_are_one_per_use_of_an_operand(seed):
    root, _ = random_graph(seed)
    expected = sorted((id(p), id(n)) for n in reachable(root) for p in n.parents)
    assert sorted((id(p), id(n)) for p, n in edges(root)) == expected


@pytest.mark.parametrize("seed", SEEDS)
def test_depth_is_the_longest_leaf_to_root_path(seed):
    root, _ = random_graph(seed)
    assert depth(root) == longest_path(root, {})


@pytest.mark.parametrize("seed", SEEDS)
def test_orders_are_topological(seed):
    root, _ = random_graph(seed)
    order = topological_order(root)
    assert set(order) == reachable(root) and len(order) == len(set(order))
    position = {node: i for i, node in enumerate(order)}
    assert all(position[p] < position[n] for n in order for p in n.parents)
    assert order[-1] is root
    assert consumers_first(root) == order[::-1]


@pytest.mark.parametrize("seed", SEEDS)
def test_consumers_first_gives_backwards_gradients_bit_for_bit(seed):
    root, leaves = random_graph(seed)
    root.backward()
    grads = {root: 1.0}
    for node in consumers_first(root):
        for parent, local in zip(node.parents, node.local_grads, strict=True):
            grads[parent] = grads.get(parent, 0.0) + local * grads[node]
    assert [grads.get(leaf, 0.0) for leaf in leaves] == [leaf.grad for leaf in leaves]


def test_small_graph_by_hand():
    a = Value(2.0, "a")
    b = a * a
    c = b + a
    assert nodes(c) == [c, b, a]  # preorder, left operand first
    assert [(p.label or p.op.symbol, n.op.symbol) for p, n in edges(c)] == [
        ("*", "+"),
        ("a", "+"),
        ("a", "*"),
        ("a", "*"),
    ]
    assert (size(c), depth(c), size(a), depth(a)) == (3, 3, 1, 1)


def test_zero_grad_clears_the_whole_graph_and_nothing_else():
    a, other = Value(2.0, "a"), Value(5.0, "other")
    y = (a * a).tanh() + a
    y.backward()
    (other * 2.0).backward()
    zero_grad(y)
    assert [n.grad for n in nodes(y)] == [0.0] * size(y)
    assert other.grad == 2.0
