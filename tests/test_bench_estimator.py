"""Smoke test of benchmarks/bench_estimator.py on tiny data (no timing is asserted)."""

import runpy
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_estimator.py"


def test_quick_run_prints_one_row_per_data_set(capsys):
    pytest.importorskip("sklearn")
    main = runpy.run_path(str(BENCH), run_name="bench_estimator")["main"]
    assert main(["--quick", "--no-value"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| breast") or "| digits" in line]
    assert len(rows) == 4, out
    assert "| 180 x 64, 10 |" in out and "| 57 x 30, 2 |" in out
