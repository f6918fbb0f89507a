"""`train` keeps a bounded, evenly thinned cost history and stops cleanly on Ctrl-C."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from micrograd_lr.logistic import propagate, train, training
from micrograd_lr.logistic.training import CostHistory

X = np.array([[-2.0, -1.0, 1.0, 2.0], [0.5, -0.3, 0.2, 0.1]])
Y = np.array([[0, 1, 0, 1]])


def documented_iterations(n, capacity):
    """The iterations CostHistory's docstring says are kept after iteration n."""
    stride = 1
    while n // stride + 1 > capacity:
        stride *= 2
    kept = list(range(0, n + 1, stride))
    return kept if kept[-1] == n else [*kept, n]


@given(st.integers(2, 40), st.integers(0, 3000))
def test_history_keeps_the_documented_iterations(capacity, n):
    history = CostHistory(capacity)
    for i in range(n + 1):
        history.add(i, float(-i))
    history.finish(n, float(-n))
    assert history.iterations == documented_iterations(n, capacity)
    assert history.costs == [float(-i) for i in history.iterations]
    assert len(history.costs) <= capacity + 1
    assert history.iterations[0] == 0 and history.iterations[-1] == n
    if n < capacity:
        assert history.iterations == list(range(n + 1))


@pytest.mark.parametrize("capacity", [0, 1, 2.0, True])
def test_history_refuses_a_capacity_below_two(capacity):
    with pytest.raises(ValueError, match="capacity must be an int >= 2"):
        CostHistory(capacity)


def test_a_long_run_keeps_a_bounded_history():
    """Issue 10 #8: every cost used to be kept (1e9 iterations grew to gigabytes)."""
    n = 200_000
    result = train(X, Y, num_iterations=n, max_costs=64, progress=False)
    assert result.iterations == n and not result.interrupted
    assert len(result.costs) == len(result.cost_iterations) <= 65
    assert result.cost_iterations == documented_iterations(n, 64)
    # The first cost is at the zero start, the last at the returned weights.
    assert result.costs[0] == pytest.approx(np.log(2), rel=1e-15)
    _, cost = propagate(result.w, result.b, X, Y)
    assert result.cost == cost
    # Every kept cost is the one the iteration had: replaying a short run agrees.
    short = train(X, Y, num_iterations=4096, progress=False)
    for i, c in zip(result.cost_iterations, result.costs, strict=True):
        if i <= 4096:
            assert c == short.costs[i]


def test_the_default_keeps_every_cost_of_a_short_run():
    result = train(X, Y, num_iterations=500, progress=False)
    assert result.cost_iterations == list(range(501)) and len(result.costs) == 501


class Interrupting:
    """Wraps the closed-form gradient; Ctrl-C arrives during call number ``at``."""

    def __init__(self, at):
        self.at, self.calls = at, 0

    def __call__(self, *args):
        self.calls += 1
        if self.calls == self.at:
            raise KeyboardInterrupt
        return propagate_impl(*args)


propagate_impl = training._propagate


@pytest.mark.parametrize("at", [2, 7, 300])
def test_ctrl_c_returns_what_was_done(monkeypatch, at):
    monkeypatch.setattr(training, "_propagate", Interrupting(at))
    result = train(X, Y, num_iterations=1000, max_costs=16, progress=False)
    monkeypatch.undo()
    assert result.interrupted and not result.converged
    # Call number `at` computes the gradient at iteration at - 1: the last completed one
    # is at - 2, whose cost is known and whose weights are returned.
    expected = train(X, Y, num_iterations=at - 2, max_costs=16, progress=False)
    assert result.iterations == at - 2
    np.testing.assert_array_equal(result.w, expected.w)
    assert result.b == expected.b and result.cost == expected.cost
    assert result.cost_iterations == expected.cost_iterations


def test_ctrl_c_before_any_cost_propagates(monkeypatch):
    monkeypatch.setattr(training, "_propagate", Interrupting(1))
    with pytest.raises(KeyboardInterrupt):
        train(X, Y, num_iterations=10, progress=False)


def test_ctrl_c_with_the_value_engine_reenables_the_collector(monkeypatch):
    import gc

    from micrograd_lr.logistic import value_graph

    calls = []
    original = value_graph._GraphBuilder.cost

    def cost(self, *args):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return original(self, *args)

    monkeypatch.setattr(value_graph._GraphBuilder, "cost", cost)
    assert gc.isenabled()
    # The plain engine builds the graph on every step (a compiled run builds it once).
    result = train(X, Y, engine="value", num_iterations=50, progress=False, compiled=False)
    assert result.interrupted and result.iterations == 2 and gc.isenabled()


@pytest.mark.parametrize("fused", [True, False])
def test_value_engine_replays_a_compiled_graph_with_the_plain_engines_numbers(fused):
    # Trace once and replay (the default) against a new graph per step: bit for bit, over
    # steps where logits change sign (the composed graph then re-traces).
    rng = np.random.default_rng(7)
    X = rng.normal(size=(3, 25))
    Y = (rng.random((1, 25)) < 0.5).astype(float)
    runs = [
        train(X, Y, engine="value", fused=fused, num_iterations=30, progress=False, compiled=c)
        for c in (True, False)
    ]
    assert runs[0].costs == runs[1].costs
    assert runs[0].w.tolist() == runs[1].w.tolist() and runs[0].b == runs[1].b
