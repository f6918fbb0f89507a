"""Fused nodes: same numbers as the composed primitives, rules checked against finite
differences and closed forms, on floats and on Values."""

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from micrograd_lr import Value
from micrograd_lr.fused import LOG_LOSS, linear, linear_op, log_loss, log_loss_float, mean
from micrograd_lr.gradcheck import gradcheck
from micrograd_lr.graph import nodes


def _sigmoid(z):
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


@pytest.mark.parametrize("y", [0.0, 1.0])
@pytest.mark.parametrize("z", [-1e4, -800.0, -40.0, -3.5, -1e-9, 0.0, 2.0, 37.0, 800.0, 1e4])
def test_log_loss_is_finite_with_the_sigmoid_gradient(z, y):
    x = Value(z)
    loss = log_loss(x, y)
    loss.backward()
    assert math.isfinite(loss.data)
    # sigmoid(z) - y, as -sigmoid(-z) for y = 1: 1 - sigmoid(z) would cancel (to 0 at z = 37).
    assert x.grad == (-_sigmoid(-z) if y == 1 else _sigmoid(z))
    # The naive form where it is representable: -y log p - (1-y) log(1-p).
    if abs(z) <= 30:
        p = _sigmoid(z)
        naive = -y * math.log(p) - (1 - y) * math.log(1 - p)
        assert loss.data == pytest.approx(naive, rel=1e-13, abs=1e-15)


def test_log_loss_extremes_are_exact():
    # softplus(1e4) - 1e4 = log1p(exp(-1e4)) = 0; softplus(-1e4) = 0.
    assert log_loss_float(1e4, 1.0) == 0.0
    assert log_loss_float(1e4, 0.0) == 1e4
    assert log_loss_float(-1e4, 1.0) == 1e4
    assert log_loss_float(-1e4, 0.0) == 0.0


@given(
    st.floats(-50, 50, allow_nan=False),
    st.sampled_from([0.0, 1.0]),
)
def test_log_loss_matches_finite_differences(z, y):
    gradcheck(lambda v: log_loss(v, y), [Value(z)], atol=1e-9, rtol=1e-6)


def test_log_loss_folds_the_label_as_a_constant_operand():
    z = Value(0.5, "z")
    loss = log_loss(z, 1.0)
    assert loss.op is LOG_LOSS
    assert loss.parents == (z,)
    assert loss.operands == (z, 1.0)


def test_log_loss_second_derivative_through_create_graph():
    # d2/dz2 log-loss = sigmoid(z) (1 - sigmoid(z)), from the same rule evaluated on Values.
    z = Value(0.7)
    log_loss(z, 1.0).backward(create_graph=True)
    dz = z.grad
    z.grad = 0.0
    dz.backward()
    s = _sigmoid(0.7)
    assert z.grad == pytest.approx(s * (1 - s), rel=1e-15, abs=0)


def test_linear_equals_composed_sum_bit_for_bit():
    rng = random.Random(1)
    n = 7
    w = [Value(rng.uniform(-2, 2), f"w[{j}]") for j in range(n)]
    b = Value(0.3, "b")
    x = [rng.uniform(-3, 3) for _ in range(n)]
    composed = w[0] * x[0]
    for wj, xj in zip(w[1:], x[1:], strict=True):
        composed = composed + wj * xj
    composed = composed + b
    assert linear(w, b, x).data == composed.data
    assert linear(w, b, linear_op(x)).data == composed.data


def test_linear_gradients_are_the_inputs_and_need_nary_backward():
    # A node with 2n+2 edges: fails unless Value.backward handles any number of parents.
    x = [1.5, -2.0, 0.25, 4.0]
    w = [Value(float(j)) for j in range(4)]
    b = Value(-1.0)
    z = linear(w, b, x)
    assert len(z.parents) == 5
    z.backward()
    assert [v.grad for v in w] == x
    assert b.grad == 1.0


def test_linear_with_a_repeated_weight_accumulates():
    w = Value(2.0)
    b = Value(0.0)
    z = linear([w, w, w], b, [1.0, 2.0, 3.0])
    z.backward()
    assert w.grad == 6.0


def test_linear_gradcheck_against_finite_differences():
    x = [0.3, -1.2, 2.5]
    result = gradcheck(
        lambda w0, w1, w2, b: linear([w0, w1, w2], b, x) ** 2,
        [Value(0.5, "w[0]"), Value(-0.25, "w[1]"), Value(1.0, "w[2]"), Value(0.1, "b")],
    )
    assert result.max_rel_error < 1e-8


def test_linear_refuses_a_mismatched_row():
    with pytest.raises(ValueError, match="2 weights for an input row of 3 features"):
        linear([Value(1.0), Value(2.0)], Value(0.0), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="at least one feature"):
        linear_op([])


def test_mean_matches_division_and_spreads_gradient():
    values = [Value(float(v)) for v in (1, 2, 3, 4, 5)]
    J = mean(values)
    composed = values[0]
    for v in values[1:]:
        composed = composed + v
    composed = composed / 5
    assert J.data == composed.data
    J.backward()
    assert [v.grad for v in values] == [0.2] * 5
    with pytest.raises(ValueError, match="at least one Value"):
        mean([])


def test_fused_graph_is_small():
    w = [Value(0.0), Value(0.0)]
    b = Value(0.0)
    losses = [log_loss(linear(w, b, [1.0, 2.0]), 1.0), log_loss(linear(w, b, [3.0, 4.0]), 0.0)]
    # 3 leaves + 2 linear + 2 loss + 1 mean
    assert len(nodes(mean(losses))) == 8


def test_fused_ops_differentiate_twice():
    # J = mean(logloss(w*x + b)); d2J/dw2 = mean(x^2 s (1-s)).
    xs, ys = [1.0, -2.0, 0.5], [1.0, 0.0, 1.0]
    w, b = Value(0.4), Value(-0.2)
    J = mean([log_loss(linear([w], b, [x]), y) for x, y in zip(xs, ys, strict=True)])
    J.backward(create_graph=True)
    dw = w.grad
    w.grad, b.grad = 0.0, 0.0
    dw.backward()
    expected = sum(x * x * _sigmoid(0.4 * x - 0.2) * (1 - _sigmoid(0.4 * x - 0.2)) for x in xs)
    assert w.grad == pytest.approx(expected / 3, rel=1e-14, abs=0)


def test_log_loss_rule_for_the_label_is_its_partial_derivative():
    """The label is folded (never differentiated by backward), but the Op declares its rule:
    d/dy [softplus(z) - y z] = -z, checked by a central difference in y."""
    z, y, h = 1.7, 0.3, 1e-6
    numeric = (log_loss_float(z, y + h) - log_loss_float(z, y - h)) / (2 * h)
    rule = LOG_LOSS.derivatives[1](log_loss_float(z, y), z, y)
    assert rule == pytest.approx(numeric, rel=1e-8, abs=0)


def test_fused_sums_match_the_composed_graph_even_with_a_compensated_sum(monkeypatch):
    """From Python 3.12 the builtin sum() compensates rounding (like math.fsum here), which
    made linear and mean differ from the composed graph in the last bits in about half of
    the cases. The fused nodes add left to right, as chained + nodes do."""
    import builtins

    monkeypatch.setattr(builtins, "sum", lambda terms, start=0: math.fsum(terms) + start)
    rng = random.Random(5)
    for _ in range(50):
        w = [Value(rng.uniform(-2, 2)) for _ in range(7)]
        b = Value(rng.uniform(-1, 1))
        x = [rng.uniform(-3, 3) for _ in range(7)]
        composed = w[0] * x[0]
        for wj, xj in zip(w[1:], x[1:], strict=True):
            composed = composed + wj * xj
        assert linear(w, b, x).data == (composed + b).data
        values = [Value(rng.uniform(-3, 3)) for _ in range(9)]
        total = values[0]
        for v in values[1:]:
            total = total + v
        assert mean(values).data == (total / 9).data
