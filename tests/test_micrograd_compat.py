"""micrograd's programs run on micrograd_lr with only their imports changed: the demo
notebook's training loop (moons, MLP(2, [16, 16, 1]), hinge loss, SGD) and the
``draw_dot`` helper of trace_graph.ipynb, whose DOT graph has micrograd's structure."""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path

import pytest

from micrograd_lr import Value
from micrograd_lr import nn as our_nn

graphviz = pytest.importorskip("graphviz")
micrograd_nn = pytest.importorskip("micrograd.nn")
MicrogradValue = pytest.importorskip("micrograd.engine").Value

# --------------------------------------------------------------------------------------------
# micrograd's demo.ipynb, cell by cell: only the two import lines differ (and the IPython
# magic `%matplotlib inline` is left out; matplotlib draws off-screen here).
# --------------------------------------------------------------------------------------------
MICROGRAD_IMPORTS = """
from micrograd.engine import Value
from micrograd.nn import Neuron, Layer, MLP
"""
OUR_IMPORTS = """
from micrograd_lr import Value
from micrograd_lr.nn import Neuron, Layer, MLP
"""

DEMO = """
import random
import numpy as np
import matplotlib.pyplot as plt
{imports}
np.random.seed(1337)
random.seed(1337)

# make up a dataset
from sklearn.datasets import make_moons, make_blobs
X, y = make_moons(n_samples=100, noise=0.1)

y = y*2 - 1 # make y be -1 or 1
# visualize in 2D
plt.figure(figsize=(5,5))
plt.scatter(X[:,0], X[:,1], c=y, s=20, cmap='jet')

# initialize a model
model = MLP(2, [16, 16, 1]) # 2-layer neural network
print(model)
print("number of parameters", len(model.parameters()))

# loss function
def loss(batch_size=None):

    # inline DataLoader :)
    if batch_size is None:
        Xb, yb = X, y
    else:
        ri = np.random.permutation(X.shape[0])[:batch_size]
        Xb, yb = X[ri], y[ri]
    inputs = [list(map(Value, xrow)) for xrow in Xb]

    # forward the model to get scores
    scores = list(map(model, inputs))

    # svm "max-margin" loss
    losses = [(1 + -yi*scorei).relu() for yi, scorei in zip(yb, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    # L2 regularization
    alpha = 1e-4
    reg_loss = alpha * sum((p*p for p in model.parameters()))
    total_loss = data_loss + reg_loss

    # also get accuracy
    accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(yb, scores)]
    return total_loss, sum(accuracy) / len(accuracy)

total_loss, acc = loss()
print(total_loss, acc)

# optimization
for k in range({steps}):

    # forward
    total_loss, acc = loss()

    # backward
    model.zero_grad()
    total_loss.backward()

    # update (sgd)
    learning_rate = 1.0 - 0.9*k/100
    for p in model.parameters():
        p.data -= learning_rate * p.grad

    if k % 1 == 0:
        print(f"step {{k}} loss {{total_loss.data}}, accuracy {{acc*100}}%")
"""

DEMO_BOUNDARY = """
# visualize decision boundary

h = 0.25
x_min, x_max = X[:, 0].min() - 1, X[:, 0].max() + 1
y_min, y_max = X[:, 1].min() - 1, X[:, 1].max() + 1
xx, yy = np.meshgrid(np.arange(x_min, x_max, h),
                     np.arange(y_min, y_max, h))
Xmesh = np.c_[xx.ravel(), yy.ravel()]
inputs = [list(map(Value, xrow)) for xrow in Xmesh]
scores = list(map(model, inputs))
Z = np.array([s.data > 0 for s in scores])
Z = Z.reshape(xx.shape)

fig = plt.figure()
plt.contourf(xx, yy, Z, cmap=plt.cm.Spectral, alpha=0.8)
plt.scatter(X[:, 0], X[:, 1], c=y, s=40, cmap=plt.cm.Spectral)
plt.xlim(xx.min(), xx.max())
plt.ylim(yy.min(), yy.max())
"""

STEP = re.compile(r"step (\d+) loss (\S+), accuracy (\S+)%")


def run_demo(imports: str, steps: int, *, boundary: bool = True) -> tuple[list[str], dict]:
    """Run the demo's cells as one program; its printed lines and its variables."""
    pytest.importorskip("sklearn")
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    printed: list[str] = []
    namespace = {"print": lambda *args: printed.append(" ".join(map(str, args)))}
    try:
        program = DEMO.format(imports=imports, steps=steps)
        exec(program + DEMO_BOUNDARY if boundary else program, namespace)
    finally:
        plt.close("all")
    return printed, namespace


@pytest.mark.slow  # 4-15 s, by the machine's load (micrograd: about 2.5 minutes)
def test_demo_notebook_trains_to_full_accuracy():
    """100 steps of SGD reach 100% training accuracy, as in micrograd's notebook."""
    printed, ns = run_demo(OUR_IMPORTS, steps=100)
    assert printed[0] == (
        "MLP of [Layer of [ReLUNeuron(2)" + ", ReLUNeuron(2)" * 15 + "], Layer of [ReLUNeuron(16)"
        + ", ReLUNeuron(16)" * 15 + "], Layer of [LinearNeuron(16)]]"
    )  # fmt: skip
    assert printed[1] == "number of parameters 337"
    steps = [STEP.fullmatch(line) for line in printed[3:]]
    assert all(steps) and [int(m[1]) for m in steps] == list(range(100))
    losses = [float(m[2]) for m in steps]
    accuracies = [float(m[3]) for m in steps]
    assert accuracies[-1] == 100.0
    assert losses[-1] < 0.02 < losses[0]
    # The decision boundary cell ran: every training point on its side of the boundary.
    model, X, y = ns["model"], ns["X"], ns["y"]
    assert all(
        (model(list(map(Value, row))).data > 0) == (yi > 0) for row, yi in zip(X, y, strict=True)
    )
    assert ns["Z"].shape == ns["xx"].shape and ns["Z"].any() and not ns["Z"].all()


@pytest.mark.slow  # 5-18 s, by the machine's load: micrograd's own steps
def test_demo_starts_where_micrograds_does():
    """Same seed, same network, same data: the loss and accuracy micrograd prints before
    training and at the first two steps are the ones micrograd_lr prints (the forward pass
    is micrograd's floats; the update between the two steps agrees to rounding)."""
    ours, _ = run_demo(OUR_IMPORTS, steps=2, boundary=False)
    theirs, _ = run_demo(MICROGRAD_IMPORTS, steps=2, boundary=False)
    assert ours[:2] == theirs[:2]
    # micrograd prints "Value(data=..., grad=...)" for the loss; compare the numbers.
    number = re.compile(r"data=([^,]+),.* (\S+)$")
    our_loss, our_acc = number.search(ours[2]).groups()
    their_loss, their_acc = number.search(theirs[2]).groups()
    assert float(our_loss) == float(their_loss) and our_acc == their_acc
    for a, b in zip(ours[3:], theirs[3:], strict=True):
        ma, mb = STEP.fullmatch(a), STEP.fullmatch(b)
        assert ma[1] == mb[1] and ma[3] == mb[3]
        assert float(ma[2]) == pytest.approx(float(mb[2]), rel=1e-13)


# --------------------------------------------------------------------------------------------
# trace_graph.ipynb's helper, as users copy it from micrograd (MIT License, (c) 2020 Andrej
# Karpathy). Kept exactly as published: the point is that it runs unchanged.
# --------------------------------------------------------------------------------------------
Digraph = graphviz.Digraph


# fmt: off
def trace(root):
    nodes, edges = set(), set()
    def build(v):
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)
    build(root)
    return nodes, edges

def draw_dot(root, format='svg', rankdir='LR'):
    """
    format: png | svg | ...
    rankdir: TB (top to bottom graph) | LR (left to right)
    """
    assert rankdir in ['LR', 'TB']
    nodes, edges = trace(root)
    dot = Digraph(format=format, graph_attr={'rankdir': rankdir}) #, node_attr={'rankdir': 'TB'})

    for n in nodes:
        dot.node(name=str(id(n)), label = "{ data %.4f | grad %.4f }" % (n.data, n.grad), shape='record')  # noqa: E501, UP031
        if n._op:
            dot.node(name=str(id(n)) + n._op, label=n._op)
            dot.edge(str(id(n)) + n._op, str(id(n)))

    for n1, n2 in edges:
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)

    return dot
# fmt: on


NODE = re.compile(r'^\t(\S+) \[label="?(.*?)"?(?: shape=record)?\]$')
EDGE = re.compile(r"^\t(\S+) -> (\S+)$")


def structure(dot) -> Counter:
    """The graph up to node names (which are ``id()``s): every node described by its label
    and, recursively, the labels of everything that flows into it."""
    labels, inputs = {}, {}
    for line in dot.body:
        if m := EDGE.match(line):
            inputs.setdefault(m[2], []).append(m[1])
        elif m := NODE.match(line):
            labels[m[1]] = m[2]
    assert set(inputs) <= set(labels)

    memo: dict[str, str] = {}

    def describe(name: str) -> str:
        if name not in memo:
            memo[name] = f"{labels[name]}({','.join(sorted(map(describe, inputs.get(name, []))))})"
        return memo[name]

    return Counter(describe(name) for name in labels)


def twin_expressions():
    """The same expression built on both engines, with nothing for micrograd_lr to fold
    (no plain numbers), so both graphs have the same nodes."""

    def cases(V, nn):
        a, b, c = V(2.0), V(-3.0), V(10.0)
        yield "relu(a*b + c)", (a * b + c).relu()
        a, b = V(1.5), V(-0.5)
        yield "a*a + b (fan-out)", a * a + b
        a, b = V(1.5), V(-0.5)
        yield "relu(a**2 * b + a)", (a**2 * b + a).relu()
        random.seed(1337)
        n = nn.Neuron(2) if nn is micrograd_nn else nn.Neuron(2, composed=True)
        yield "trace_graph's 2D neuron", n([V(1.0), V(-2.0)])
        random.seed(4)
        m = nn.MLP(2, [3, 1]) if nn is micrograd_nn else nn.MLP(2, [3, 1], composed=True)
        yield "MLP(2, [3, 1])", m([V(0.5), V(-1.0)])

    return list(zip(cases(Value, our_nn), cases(MicrogradValue, micrograd_nn), strict=True))


@pytest.mark.parametrize(("ours", "theirs"), twin_expressions(), ids=lambda case: case[0])
def test_draw_dot_gives_micrograds_structure(ours, theirs):
    (name, y), (_, y_theirs) = ours, theirs
    y.backward()
    y_theirs.backward()
    dot, dot_theirs = draw_dot(y), draw_dot(y_theirs)
    assert structure(dot) == structure(dot_theirs), name
    assert len(dot.body) == len(dot_theirs.body)


def test_draw_dot_on_folded_constants_and_one_node_neurons():
    """Where micrograd_lr's graph is smaller, draw_dot draws the smaller graph: a plain
    number is folded into its operation (``x * 2`` is one node), and a neuron's weighted
    sum is one ``w·x+b`` node."""
    x = Value(1.0)
    y = (x * 2 + 1).relu()  # trace_graph's first example
    y.backward()
    dot = draw_dot(y)
    records = [line for line in dot.body if "shape=record" in line]
    assert len(records) == 4  # x, x*2, x*2+1, relu (micrograd: 6, with Value(2), Value(1))
    assert x.grad == 2.0

    random.seed(1337)
    n = our_nn.Neuron(2)
    y = n([Value(1.0), Value(-2.0)])
    y.backward()
    shape = structure(draw_dot(y))
    one_node = [s for s in shape if s.startswith(f"{our_nn.NEURON_SYMBOL}(")]
    assert len(one_node) == 1 and one_node[0].count("data") == 5  # w0, x0, w1, x1, b


@pytest.mark.graphviz
def test_draw_dot_renders(tmp_path):
    random.seed(1337)
    n = our_nn.Neuron(2)
    y = n([Value(1.0), Value(-2.0)])
    y.backward()
    dot = draw_dot(y)
    path = dot.render(tmp_path / "gout")  # trace_graph's last cell
    assert path.endswith(".svg") and "<svg" in Path(path).read_text(encoding="utf-8")
