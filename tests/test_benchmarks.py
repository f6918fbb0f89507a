"""Smoke test of benchmarks/bench_engine.py: it runs on tiny chains and prints its tables.

No timing is asserted here (timings belong in the benchmark's output, not in tests)."""

import pytest
from bench_scripts import load


@pytest.fixture(scope="module")
def bench():
    return load("bench_engine")


def test_quick_run_prints_every_table_and_row(bench, capsys):
    assert bench.main(["--quick", "--sizes", "30", "60", "--memory-size", "60"]) == 0
    out = capsys.readouterr().out
    assert "| chain | ops | micrograd fwd |" in out
    assert "micrograd GC" in out
    assert "micrograd_lr bytes/op" in out
    for chain in bench.CHAINS:
        # one speed row per size, one GC row per size, one memory row
        rows = [line for line in out.splitlines() if line.startswith(f"| {chain.name} |")]
        assert len(rows) == 5, rows
    assert "targets: micrograd_lr >= 5x faster" in out


def test_chains_compute_the_same_values_and_gradients_in_both_libraries(bench):
    """The two libraries must be timed on the same computation, else the ratio means nothing."""
    libraries = bench._libraries()
    for chain in bench.CHAINS:
        results = []
        for V in libraries.values():
            root = chain.build(V, 20)
            root.backward()
            results.append(root.data)
        assert results[0] == pytest.approx(results[1], rel=1e-12), chain.name


def test_micrograd_gets_tanh_and_exp_with_correct_derivatives(bench):
    import math

    V = bench._micrograd_value()
    x = V(0.3)
    y = x.tanh()
    y.backward()
    assert y.data == pytest.approx(math.tanh(0.3), rel=1e-12)
    assert x.grad == pytest.approx(1 - math.tanh(0.3) ** 2, rel=1e-12)
    x = V(0.3)
    y = x.exp()
    y.backward()
    assert x.grad == pytest.approx(math.exp(0.3), rel=1e-12)


def test_bad_sizes_are_a_usage_error(bench, capsys):
    with pytest.raises(SystemExit) as exit_:
        bench.main(["--sizes", "0"])
    assert exit_.value.code == 2
    assert "--sizes must be positive" in capsys.readouterr().err
