"""The compiled replay put to work: the demo's Value-graph training gives the same numbers,
bit for bit, with and without compiling."""

from __future__ import annotations

import io

import numpy as np

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
