"""Smoke test of benchmarks/bench_nn.py: it runs on a tiny data set, prints its table, and
every variant computes the same loss (else the ratio would compare different work).

No timing is asserted here (timings belong in the benchmark's output, not in tests)."""

import importlib.util
import random

import pytest
from bench_scripts import load


@pytest.fixture(scope="module")
def bench():
    pytest.importorskip("sklearn")
    module = load("bench_nn")
    return module


def test_quick_run_prints_every_variant(bench, capsys):
    assert bench.main(["--samples", "6", "--repeats", "2", "--steps", "2"]) == 0
    out = capsys.readouterr().out
    assert "| variant | ms per step | graph nodes | GC share | micrograd's time / this |" in out
    names = [line.split(" | ")[0].lstrip("| ") for line in out.splitlines()[4:]]
    expected = list(bench.VARIANTS)
    if importlib.util.find_spec("micrograd") is None:
        expected.remove("micrograd")
    assert names[: len(expected)] == expected
    # One loss for every variant: the same forward floats, bit for bit.
    assert out.count("loss at step 0, every variant: ") == 1
    assert "," not in out.split("every variant: ")[1]


def test_every_variant_takes_the_same_step(bench):
    np = pytest.importorskip("numpy")
    X = np.array([[0.5, -0.25], [1.0, 0.75], [-1.5, 0.5]])
    y = np.array([1, -1, 1])
    after = {}
    for name, (build, value) in bench._variants().items():
        random.seed(bench.SEED)
        model = build()
        bench.step(model, value, X, y)
        after[name] = [p.data for p in model.parameters()]
    first, *others = after.values()
    for other in others:
        assert other == pytest.approx(first, rel=1e-12, abs=1e-15)
