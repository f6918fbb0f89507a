"""benchmarks/bench_solvers.py runs and prints a row per solver (speed itself is not tested)."""

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_solvers.py"


def test_quick_run_prints_every_problem_and_solver(capsys):
    pytest.importorskip("sklearn")
    spec = importlib.util.spec_from_file_location("bench_solvers", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--quick"]) == 0
    out = capsys.readouterr().out
    for title in ("L2, C=1", "no penalty", "elastic-net"):
        assert title in out
    for row in ("| scikit-learn lbfgs |", "| scikit-learn saga |", "| newton |", "| lbfgs |",
                "| fista |", "| gd |", "| auto |"):  # fmt: skip
        assert row in out
