"""benchmarks/bench_compile.py runs, checks each replay against the engine bit for bit (its
own assertions) and prints a row per chain (speed itself is not tested)."""

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_compile.py"


def test_small_run_prints_every_chain(capsys):
    pytest.importorskip("micrograd")
    spec = importlib.util.spec_from_file_location("bench_compile", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--sizes", "300", "--repeats", "1", "--no-logistic"]) == 0
    out = capsys.readouterr().out
    for chain in ("values", "constants", "unary", "neuron-tanh", "neuron-relu"):
        assert out.count(f"| {chain} |") == 2  # the speed table and the memory table
    assert "break-even replays" in out
