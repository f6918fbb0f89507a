"""benchmarks/bench_compile.py runs, checks each replay against the engine bit for bit (its
own assertions) and prints a row per chain (speed itself is not tested)."""

import pytest
from bench_scripts import load


def test_small_run_prints_every_chain(capsys):
    pytest.importorskip("micrograd")
    module = load("bench_compile")
    assert module.main(["--sizes", "300", "--repeats", "1", "--no-logistic"]) == 0
    out = capsys.readouterr().out
    for chain in ("values", "constants", "unary", "neuron-tanh", "neuron-relu"):
        assert out.count(f"| {chain} |") == 2  # the speed table and the memory table
    assert "break-even replays" in out
