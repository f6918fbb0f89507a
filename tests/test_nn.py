"""micrograd_lr.nn against micrograd 0.1.0's nn (same seed, same network, same floats), against
finite differences, and against its own composed graph; the bad-input messages."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_lr import Value, nn, no_grad
from micrograd_lr.autodiff import hessian
from micrograd_lr.engine import gradients
from micrograd_lr.graph import nodes
from micrograd_lr.nn import MLP, NEURON_SYMBOL, Layer, Module, Neuron

micrograd_nn = pytest.importorskip("micrograd.nn")
MicrogradValue = pytest.importorskip("micrograd.engine").Value

ARCHITECTURES = [(1, [1]), (2, [16, 16, 1]), (3, [4, 4, 1]), (5, [3, 2])]
# micrograd builds these but cannot run them (a hidden layer of one neuron returns a Value,
# which the next layer cannot iterate); micrograd_lr runs them.
BUILD_ONLY = [(2, [1, 3, 1])]


def twins(nin: int, nouts: list[int], seed: int = 1337, **kwargs):
    """The same network built by micrograd_lr and by micrograd from the same seed."""
    random.seed(seed)
    ours = MLP(nin, nouts, **kwargs)
    random.seed(seed)
    theirs = micrograd_nn.MLP(nin, nouts)
    return ours, theirs


def relative_difference(a: float, b: float) -> float:
    return abs(a - b) / max(abs(a), abs(b), 1e-300)


# --- the same network from the same seed --------------------------------------------------
@pytest.mark.parametrize(("nin", "nouts"), ARCHITECTURES + BUILD_ONLY)
def test_same_seed_same_weights_and_repr(nin, nouts):
    ours, theirs = twins(nin, nouts)
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    assert repr(ours) == repr(theirs)
    assert [repr(layer) for layer in ours.layers] == [repr(layer) for layer in theirs.layers]
    assert repr(ours.layers[0].neurons[0]) == repr(theirs.layers[0].neurons[0])
    # The random stream is left where micrograd leaves it: the next draw agrees too.
    random.seed(7)
    MLP(nin, nouts)
    after_ours = random.random()
    random.seed(7)
    micrograd_nn.MLP(nin, nouts)
    assert after_ours == random.random()


def test_neuron_and_layer_alone_match_micrograd():
    random.seed(3)
    ours = [Neuron(4), Neuron(4, nonlin=False), Layer(4, 3), Layer(4, 2, nonlin=False)]
    random.seed(3)
    theirs = [
        micrograd_nn.Neuron(4),
        micrograd_nn.Neuron(4, nonlin=False),
        micrograd_nn.Layer(4, 3),
        micrograd_nn.Layer(4, 2, nonlin=False),
    ]
    for a, b in zip(ours, theirs, strict=True):
        assert repr(a) == repr(b)
        assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]


def test_parameter_counts_and_order():
    random.seed(0)
    model = MLP(2, [16, 16, 1])
    params = model.parameters()
    assert len(params) == (2 + 1) * 16 + (16 + 1) * 16 + (16 + 1) * 1 == 337
    first = model.layers[0].neurons[0]
    assert params[:3] == [*first.w, first.b]
    assert Module().parameters() == []
    assert all(p.data == 0.0 for n in model.layers[1].neurons for p in [n.b])


# --- forward: the same floats, bit for bit ------------------------------------------------
@pytest.mark.parametrize(("nin", "nouts"), ARCHITECTURES)
@pytest.mark.parametrize("composed", [False, True])
def test_forward_is_bitwise_micrograds(nin, nouts, composed):
    ours, theirs = twins(nin, nouts, composed=composed)
    rng = random.Random(11)
    for _ in range(20):
        x = [rng.uniform(-3, 3) for _ in range(nin)]
        a = ours([Value(v) for v in x])
        b = theirs([MicrogradValue(v) for v in x])
        a, b = (a if isinstance(a, list) else [a]), (b if isinstance(b, list) else [b])
        assert [v.data for v in a] == [v.data for v in b]
        # Plain numbers are accepted as micrograd accepts them.
        c = ours(x)
        assert [v.data for v in (c if isinstance(c, list) else [c])] == [v.data for v in b]


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 8).flatmap(lambda n: st.tuples(
    st.lists(finite, min_size=n, max_size=n),
    st.lists(finite, min_size=n, max_size=n),
    finite,
    st.booleans(),
)))  # fmt: skip
def test_neuron_sum_is_micrograds_float(case):
    """The one-node weighted sum adds in micrograd's order, so any floats give the same
    result, rounding included."""
    weights, inputs, bias, nonlin = case
    ours = Neuron(len(weights), nonlin)
    theirs = micrograd_nn.Neuron(len(weights), nonlin)
    for p, q, v in zip(ours.parameters(), theirs.parameters(), [*weights, bias], strict=True):
        p.data = q.data = v
    out = ours([Value(v) for v in inputs])
    expected = theirs([MicrogradValue(v) for v in inputs]).data
    assert out.data == expected
    out.backward()
    # d/dw_i is x_i where the unit is active: the local derivative itself, no rounding.
    active = not nonlin or out.data > 0
    assert [w.grad for w in ours.w] == [x if active else 0.0 for x in inputs]


# --- backward -------------------------------------------------------------------------------
def hinge_loss(model, X, y, alpha=1e-4, value=Value):
    """micrograd's demo loss: max-margin with L2 regularization."""
    scores = [model([value(v) for v in row]) for row in X]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = alpha * sum(p * p for p in model.parameters())
    return data_loss + reg_loss


def small_moons(n=20, seed=0):
    rng = random.Random(seed)
    X, y = [], []
    for i in range(n):
        t = rng.uniform(0, math.pi)
        if i % 2:
            X.append([math.cos(t) + rng.gauss(0, 0.1), math.sin(t) + rng.gauss(0, 0.1)])
            y.append(-1)
        else:
            X.append([1 - math.cos(t) + rng.gauss(0, 0.1), 0.5 - math.sin(t) + rng.gauss(0, 0.1)])
            y.append(1)
    return X, y


@pytest.mark.parametrize("composed", [False, True])
def test_gradients_match_micrograds(composed):
    """Each contribution to a gradient is the same product as micrograd's; where a
    parameter sums contributions from many examples the additions come in another order
    (micrograd's order itself changes between processes), so agreement is to rounding."""
    X, y = small_moons(40)
    ours, theirs = twins(2, [16, 16, 1], composed=composed)
    loss = hinge_loss(ours, X, y)
    their_loss = hinge_loss(theirs, X, y, value=MicrogradValue)
    assert loss.data == their_loss.data  # the forward pass is micrograd's floats
    ours.zero_grad()
    loss.backward()
    theirs.zero_grad()
    their_loss.backward()
    worst = max(
        relative_difference(p.grad, q.grad)
        for p, q in zip(ours.parameters(), theirs.parameters(), strict=True)
        if p.grad or q.grad
    )
    assert worst < 1e-13  # measured: up to about 3e-15 (micrograd's order varies by process)
    scale = max(abs(q.grad) for q in theirs.parameters())
    for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
        assert p.grad == pytest.approx(q.grad, rel=1e-12, abs=1e-15 * scale)


def test_gradients_match_finite_differences():
    X, y = small_moons(30, seed=4)
    random.seed(2)
    model = MLP(2, [8, 8, 1])
    loss = hinge_loss(model, X, y)
    model.zero_grad()
    loss.backward()
    checked = 0
    for p in model.parameters():
        x0 = p.data
        h = 1e-6 * max(1.0, abs(x0))
        p.data = x0 + h
        up = hinge_loss(model, X, y).data
        p.data = x0 - h
        down = hinge_loss(model, X, y).data
        p.data = x0
        numerical = (up - down) / ((x0 + h) - (x0 - h))
        assert p.grad == pytest.approx(numerical, rel=1e-6, abs=1e-9)
        checked += 1
    assert checked == len(model.parameters()) == 3 * 8 + 9 * 8 + 9


def test_fused_and_composed_graphs_agree():
    """The one-node neuron and micrograd's composed graph: same forward bitwise, the same
    gradients to rounding, on a graph a tenth of the size."""
    X, y = small_moons(25, seed=9)
    random.seed(5)
    fused = MLP(2, [6, 6, 1])
    random.seed(5)
    composed = MLP(2, [6, 6, 1], composed=True)
    a, b = hinge_loss(fused, X, y), hinge_loss(composed, X, y)
    assert a.data == b.data
    a.backward()
    b.backward()
    for p, q in zip(fused.parameters(), composed.parameters(), strict=True):
        assert p.grad == pytest.approx(q.grad, rel=1e-13, abs=1e-16)
    assert len(nodes(a)) * 3 < len(nodes(b))


def test_the_neuron_node():
    n = Neuron(3, nonlin=False)
    x = [Value(1.5), Value(-2.0), Value(0.25)]
    out = n(x)
    assert out.op.symbol == NEURON_SYMBOL
    assert out.parents == (n.w[0], x[0], n.w[1], x[1], n.w[2], x[2], n.b)
    assert out.local_grads == (1.5, n.w[0].data, -2.0, n.w[1].data, 0.25, n.w[2].data, 1.0)
    # The Op's forward recomputes the node's float from its operands' floats (replay).
    assert out.op.forward(*(p.data for p in out.parents)) == out.data
    out.backward()
    assert [xi.grad for xi in x] == [w.data for w in n.w]
    assert n.b.grad == 1.0


def test_second_derivatives_through_the_neuron():
    """backward(create_graph=True) evaluates the neuron's rules on Values: the Hessian of
    a loss through one-node neurons equals the composed graph's."""

    def through(composed):
        def f(*v):
            random.seed(21)
            n = Neuron(2, nonlin=False, composed=composed)
            n.w[0], n.w[1], n.b = v[0], v[1], v[2]
            out = n([v[3], v[4]])
            return out * out * out

        return f

    np = pytest.importorskip("numpy")
    point = [0.3, -0.7, 0.2, 1.1, 0.9]  # w0, w1, b, x0, x1
    fused = hessian(through(False), point)
    composed = hessian(through(True), point)
    np.testing.assert_allclose(fused, composed, rtol=1e-14, atol=1e-15)
    # The closed form: f = s**3 with s = b + w0 x0 + w1 x1, so
    # H = 6 s (grad s)(grad s)^T + 3 s**2 (Hessian of s), whose only entries are d2s/dw_i dx_i = 1.
    w0, w1, b, x0, x1 = point
    s = b + w0 * x0 + w1 * x1
    ds = np.array([x0, x1, 1.0, w0, w1])
    d2s = np.zeros((5, 5))
    d2s[0, 3] = d2s[3, 0] = d2s[1, 4] = d2s[4, 1] = 1.0
    np.testing.assert_allclose(fused, 6 * s * np.outer(ds, ds) + 3 * s**2 * d2s, rtol=1e-13)
    # And the first derivatives built as Values agree with the float path.
    leaves = [Value(v) for v in point]
    out = through(False)(*leaves)
    as_values = gradients(out, create_graph=True)
    as_floats = gradients(out)
    for leaf in leaves:
        assert as_values[leaf].data == pytest.approx(as_floats[leaf], rel=1e-15)


def test_no_grad_records_nothing():
    """Inference inside no_grad: the same outputs, as leaves (no graph kept), in both the
    one-node and the composed neuron."""
    for composed in (False, True):
        random.seed(8)
        model = MLP(3, [4, 4, 1], composed=composed)
        x = [0.5, -1.5, 2.0]
        recorded = model(x)
        with no_grad():
            out = model(x)
        assert out.data == recorded.data
        assert out.is_leaf and out.parents == () and not recorded.is_leaf


def test_zero_grad_and_accumulation():
    random.seed(1)
    model = MLP(2, [3, 1])
    out = model([1.0, 2.0])
    out.backward()
    first = [p.grad for p in model.parameters()]
    model([1.0, 2.0]).backward()  # gradients accumulate, as in micrograd and PyTorch
    assert [p.grad for p in model.parameters()] == [2 * g for g in first]
    model.zero_grad()
    assert all(p.grad == 0.0 and type(p.grad) is float for p in model.parameters())


def test_outputs_shape_like_micrograds():
    random.seed(0)
    assert isinstance(MLP(2, [3, 1])([1.0, 2.0]), Value)
    out = MLP(2, [3, 2])([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 2
    assert isinstance(Layer(2, 1)([1.0, 2.0]), Value)
    # A hidden layer of one neuron (micrograd raises TypeError there: a Value is not a list).
    assert isinstance(MLP(2, [1, 3, 1])([1.0, 2.0]), Value)


def test_inputs_of_any_number_type():
    np = pytest.importorskip("numpy")
    random.seed(0)
    model = MLP(3, [2, 1])
    row = np.array([0.5, -1.0, 2.0])
    assert model(row).data == model([0.5, -1.0, 2.0]).data == model([Value(v) for v in row]).data
    assert model((1, 2, 3)).data == model([1.0, 2.0, 3.0]).data


# --- bad input ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: Neuron(0), ValueError, "nin must be at least 1, got 0"),
        (lambda: Neuron(2.5), TypeError, "nin must be a positive int, got float: 2.5"),
        (lambda: Neuron(True), TypeError, "nin must be a positive int"),
        (lambda: Layer(2, 0), ValueError, "nout must be at least 1"),
        (lambda: MLP(2, []), ValueError, "nouts is empty"),
        (lambda: MLP(2, 3), TypeError, "nouts must be a list of layer sizes"),
        (lambda: MLP(2, [3, -1]), ValueError, r"MLP: nouts\[1\] must be at least 1, got -1"),
        (lambda: MLP(0, [3]), ValueError, "MLP: nin must be at least 1, got 0"),
        (lambda: Layer(1.5, 2), TypeError, "nin must be a positive int, got float: 1.5"),
        (lambda: MLP(2, "16"), TypeError, "nouts must be a list of layer sizes"),
    ],
)
def test_bad_sizes_are_named(build, error, message):
    with pytest.raises(error, match=message):
        build()


@pytest.mark.parametrize(
    "build",
    [
        lambda: MLP(10**9, [1]),
        lambda: MLP(784, [10**6, 10]),
        lambda: Layer(10**4, 10**4),
        lambda: Neuron(10**12),
    ],
)
def test_sizes_too_large_are_refused_at_once(build):
    # Refused before a single Value is made: these would take minutes and gigabytes.
    with pytest.raises(ValueError, match=r"would create [\d,]+ parameters \(about .* GB"):
        build()


def test_the_size_limit_can_be_changed(monkeypatch):
    monkeypatch.setattr(nn, "MAX_PARAMETERS", 20)
    assert len(MLP(4, [4]).parameters()) == 20  # (4 + 1) * 4: at the limit
    with pytest.raises(ValueError, match=r"MLP\(4, \[4, 1\]\) would create 25 parameters"):
        MLP(4, [4, 1])


def test_bad_inputs_are_named():
    random.seed(0)
    model = MLP(2, [3, 1])
    with pytest.raises(
        ValueError, match=r"^MLP\(2, \[3, 1\]\) takes 2 inputs, got 3; give one input per weight"
    ):
        model([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"^ReLUNeuron\(2\) takes 2 inputs, got 1"):
        Neuron(2)([1.0])
    with pytest.raises(ValueError, match=r"^Layer\(3, 2\) takes 3 inputs, got 2"):
        Layer(3, 2)([1.0, 2.0])
    with pytest.raises(TypeError, match="input 1 must be a Value or a number, got str: 'x'"):
        model([1.0, "x"])
    with pytest.raises(TypeError, match="takes a sequence of 2 inputs"):
        model(Value(1.0))
    with pytest.raises(TypeError, match="takes a sequence of 2 inputs"):
        model(3.0)
