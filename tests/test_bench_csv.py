"""Smoke test of benchmarks/bench_csv.py on a small file: every loader reads the same numbers
and the table is printed. No timing is asserted (timings belong in the benchmark's output)."""

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_csv.py"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_small_run_prints_a_row_per_loader(capsys):
    spec = importlib.util.spec_from_file_location("bench_csv", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--rows", "3000", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "CSV of 3,000 rows x 11 columns" in out
    for name in module.LOADERS:
        assert f"| {name} |" in out
