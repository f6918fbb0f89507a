"""The compiled replay put to work: the demo's Value-graph training gives the same numbers,
bit for bit, with and without compiling."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest

from micrograd_lr import datasets, demo, logistic
from micrograd_lr.cli import main


def test_demo_training_is_the_same_compiled_or_not(tmp_path) -> None:
    compiled = demo.logistic_step(tmp_path, iterations=30, compiled=True, stream=io.StringIO())
    plain = demo.logistic_step(tmp_path, iterations=30, compiled=False, stream=io.StringIO())
    assert compiled.numbers["costs"] == plain.numbers["costs"]
    assert compiled.numbers["gradient_checks"] == plain.numbers["gradient_checks"]
    assert max(compiled.numbers["gradient_checks"]) < demo.GRADIENT_TOLERANCE


def test_compiled_descent_follows_train_step_for_step() -> None:
    X, Y = datasets.load("synthetic").columns()
    rate = logistic.lipschitz_learning_rate(X)
    w0 = np.zeros((X.shape[0], 1))
    w, b, costs, traces = demo.compiled_descent(
        X, Y, w=w0, b=0.0, iterations=25, learning_rate=rate
    )
    trained = logistic.train(
        X, Y, engine="value", fused=False, num_iterations=25, learning_rate=rate, progress=False
    )
    assert w.tolist() == trained.w.tolist() and b == trained.b
    assert costs == [float(c) for c in trained.costs]
    assert traces >= 1


def test_demo_cli_no_compile_switch(tmp_path, capsys) -> None:
    assert main(["demo", "--out", str(tmp_path), "--no-compile", "--no-progress"]) == 0
    assert "traced" not in capsys.readouterr().out
    assert main(["demo", "--out", str(tmp_path), "--no-progress"]) == 0
    assert "traced" in capsys.readouterr().out


def _mlp_loss(composed: bool):
    """micrograd's demo loss (max-margin, L2) on 30 moons, as a function of the MLP's
    parameters, the model written as micrograd's demo writes it."""
    import random

    from micrograd_lr import Value
    from micrograd_lr.nn import MLP

    random.seed(1337)
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 2))
    y = np.where(X[:, 0] * X[:, 1] > 0, 1.0, -1.0)
    model = MLP(2, [8, 8, 1], composed=composed)

    def loss(*ps: Value) -> Value:
        k = 0
        for layer in model.layers:
            for neuron in layer.neurons:
                neuron.w = list(ps[k : k + len(neuron.w)])
                neuron.b = ps[k + len(neuron.w)]
                k += len(neuron.w) + 1
        scores = [model([Value(float(a)) for a in x]) for x in X]
        losses = [(1 + -yi * s).relu() for yi, s in zip(y, scores, strict=True)]
        return sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in ps)

    return loss, [p.data for p in model.parameters()]


@pytest.mark.parametrize("composed", [False, True])
@pytest.mark.parametrize("vectorize", [True, False])
def test_an_mlp_loss_compiles_bitwise(composed: bool, vectorize: bool) -> None:
    # The one-node neurons' sums and rules are written out (not called per edge), in lanes
    # or in straight-line code; composed neurons are micrograd's sum() of products.
    from graph_cases import assert_bitwise, engine_at

    from micrograd_lr.compile import compile

    loss, theta = _mlp_loss(composed)
    c = compile(loss, theta, vectorize=vectorize)
    assert c.vectorized == vectorize
    if not vectorize:  # no function calls per node or edge: every sum and rule written out
        assert re.search(r"\b[fr]\d+\(", c.source()) is None
    for point in (theta, [t * 1.5 - 0.1 for t in theta]):
        assert_bitwise(c(point), engine_at(loss, point))
