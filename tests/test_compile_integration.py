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


@pytest.mark.parametrize("composed", [False, True])
@pytest.mark.parametrize("vectorize", [True, False])
def test_an_mlp_loss_compiles_bitwise(composed: bool, vectorize: bool) -> None:
    # The one-node neurons' sums and rules are written out (not called per edge), in lanes
    # or in straight-line code; composed neurons are micrograd's sum() of products.
    from graph_cases import assert_bitwise, engine_at, mlp_loss

    from micrograd_lr.compile import compile

    loss, theta = mlp_loss(composed)
    c = compile(loss, theta, vectorize=vectorize, native=False)
    assert c.vectorized == vectorize
    if not vectorize:  # no function calls per node or edge: every sum and rule written out
        assert re.search(r"\b[fr]\d+\(", c.source()) is None
    for point in (theta, [t * 1.5 - 0.1 for t in theta]):
        assert_bitwise(c(point), engine_at(loss, point))
