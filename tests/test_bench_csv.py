"""Smoke test of benchmarks/bench_csv.py on a small file: every loader reads the same numbers
and the table is printed. No timing is asserted (timings belong in the benchmark's output)."""

import sys

import pytest
from bench_scripts import load


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_small_run_prints_a_row_per_loader(capsys):
    module = load("bench_csv")
    assert module.main(["--rows", "3000", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "CSV of 3,000 rows x 11 columns" in out
    for name in module.LOADERS:
        assert f"| {name} |" in out
