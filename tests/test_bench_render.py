"""Smoke test of benchmarks/bench_render.py: every shape has the size asked for, and a quick
run prints the table. No timing is asserted (timings belong in the benchmark's output)."""

import pytest
from bench_scripts import load

from micrograd_lr.graph import size


@pytest.fixture(scope="module")
def bench():
    module = load("bench_render")
    return module


@pytest.mark.parametrize("n", [20, 101, 500])
def test_every_shape_has_about_the_size_asked_for(bench, n):
    for shape, make in bench.SHAPES.items():
        assert n - 3 <= size(make(n)) <= n + 2, shape


@pytest.mark.graphviz
def test_quick_run_prints_the_table(bench, capsys):
    assert bench.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "| Values | chain | fan-out | product | fan-in | random |" in out
    assert out.count("\n| 20 |") == 1 and out.count("\n| 40 |") == 1
