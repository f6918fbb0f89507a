"""The logistic-regression benchmark runs (tiny sizes; speed itself is not tested)."""

import runpy
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent  # the tests run from any folder


def test_benchmark_runs_quick(capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["bench_logistic.py", "--quick"])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_path(str(ROOT / "benchmarks/bench_logistic.py"), run_name="__main__")
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for row in ("micrograd_lr, composed", "micrograd_lr, fused", "NumPy, vectorized",
                "two-pass bandwidth limit"):  # fmt: skip
        assert row in out
