"""examples/moons.py: micrograd's demo with a gradient check, timing and the decision
boundary; short runs here (the full 100-step run is in test_examples)."""

import importlib.util
import runpy
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "examples" / "moons.py"


@pytest.fixture
def moons():
    pytest.importorskip("sklearn")
    return runpy.run_path(str(SCRIPT))


def test_short_run_checks_trains_and_plots(moons, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    argv = ["--out", str(tmp_path), "--steps", "3", "--samples", "30", "--check", "8"]
    assert moons["main"]([*argv, "--micrograd-steps", "1"]) == 0
    out = capsys.readouterr().out
    assert "gradient check of step 0 (8 of 337 parameters)" in out and "-> ok" in out
    assert "step 2 loss" in out
    assert "micrograd_lr:" in out and "ms per step (median of 3)" in out
    if importlib.util.find_spec("micrograd"):
        assert "micrograd:    " in out and "x faster" in out
    assert (tmp_path / "moons.png").read_bytes().startswith(b"\x89PNG")


def test_the_gradient_check_compares_every_parameter(moons):
    """``--check all``'s machinery: every parameter of a small model, each against its own
    central difference, and a wrong gradient is caught."""
    import random

    X, y = moons["make_data"](12)
    random.seed(3)
    model = moons["MLP"](2, [4, 1])
    n = len(model.parameters())
    result = moons["check_gradients"](model, X, y, list(range(n)))
    assert result.passed and len(result.analytical) == n == 17
    assert result.labels[:3] == ("L1.n0.w[0]", "L1.n0.w[1]", "L1.n0.b")
    assert result.max_abs_error < 1e-8
    # The model's own parameters are back in place after the check.
    assert all(type(p.grad) is float and p.grad == 0.0 for p in model.parameters())


def test_a_wrong_gradient_fails_with_status_1(moons, tmp_path, monkeypatch, capsys):
    """Sabotage the hinge: its derivative is doubled, so backprop disagrees with the
    finite differences, and the script says so and exits with 1."""
    from micrograd_lr import Value

    relu = Value.relu

    def wrong_relu(self):
        out = relu(self)
        if not out.is_leaf:  # a leaf inside no_grad (the plot) has no derivative
            out._da *= 2.0  # the local derivative of a one-operand node
        return out

    monkeypatch.setattr(Value, "relu", wrong_relu)
    argv = ["--out", str(tmp_path), "--steps", "1", "--samples", "20", "--check", "5"]
    assert moons["main"]([*argv, "--micrograd-steps", "0"]) == 1
    assert "FAILED" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv", [["--steps", "0"], ["--samples", "1"], ["--check", "none"], ["--check", "0"]]
)
def test_bad_options_exit_2(moons, argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        moons["main"](argv)
    assert exit_.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_without_scikit_learn_exit_2(moons, monkeypatch, capsys):
    def missing(samples):
        raise ImportError("No module named 'sklearn'")

    monkeypatch.setitem(moons["main"].__globals__, "make_data", missing)
    assert moons["main"]([]) == 2
    assert capsys.readouterr().err == (
        "moons.py needs scikit-learn: pip install 'micrograd_lr[data]'\n"
    )
