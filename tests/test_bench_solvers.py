"""benchmarks/bench_solvers.py runs and prints a row per solver (speed itself is not tested)."""

import pytest
from bench_scripts import load


def test_quick_run_prints_every_problem_and_solver(capsys):
    pytest.importorskip("sklearn")
    module = load("bench_solvers")
    assert module.main(["--quick"]) == 0
    out = capsys.readouterr().out
    for title in ("L2, C=1", "no penalty", "elastic-net"):
        assert title in out
    for row in ("| scikit-learn lbfgs |", "| scikit-learn saga |", "| newton |", "| lbfgs |",
                "| fista |", "| gd |", "| auto |"):  # fmt: skip
        assert row in out
