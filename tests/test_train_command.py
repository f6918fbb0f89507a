"""``micrograd-lr train``: output, options, and one-line errors with exit code 2."""

import os
import re
import sys

import numpy as np
import pytest

from micrograd_lr import datasets
from micrograd_lr.cli import main
from micrograd_lr.logistic import predict, train


def run(capsys, *argv):
    code = main(["train", "--no-progress", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def number(pattern, text):
    return float(re.search(pattern, text).group(1))


def test_default_run_matches_the_library(capsys):
    code, out, err = run(capsys, "--iterations", "300")
    assert code == 0 and err == ""
    train_set, _ = datasets.synthetic().split(0.2, seed=0)
    X, Y = train_set.columns()
    expected = train(X, Y, num_iterations=300, progress=False)
    assert number(r"final cost: (\S+)", out) == pytest.approx(expected.cost, rel=1e-9)
    accuracy = np.mean(predict(expected.w, expected.b, X) == Y)
    assert number(r"train accuracy: (\S+)%", out) == pytest.approx(100 * accuracy, abs=0.01)
    assert "160 training and 40 test examples, 2 features" in out
    assert "test accuracy: " in out


@pytest.mark.parametrize("graph", [[], ["--composed"]])
def test_value_engine_with_check(capsys, graph):
    code, out, _ = run(capsys, "--engine", "value", *graph, "--iterations", "20", "--check")
    assert code == 0
    assert ("composed graph" in out) == bool(graph)
    start = number(r"difference: (\S+) at the start", out)
    end = number(r"at the start, (\S+) at the end", out)
    assert start < 1e-14 and end < 1e-14


def test_engines_print_the_same_cost(capsys):
    _, numpy_out, _ = run(capsys, "--iterations", "50")
    _, value_out, _ = run(capsys, "--iterations", "50", "--engine", "value")
    cost = number(r"final cost: (\S+)", numpy_out)
    assert number(r"final cost: (\S+)", value_out) == pytest.approx(cost, rel=1e-9)


def test_csv_dataset_standardized_with_tolerance(capsys, tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3)) * [1, 100, 0.01]
    y = (X[:, 0] + X[:, 1] / 100 + rng.standard_normal(40) > 0).astype(int)
    path = tmp_path / "points.csv"
    rows = "".join(f"{a},{b},{c},{t}\n" for (a, b, c), t in zip(X, y, strict=True))
    path.write_text("a,b,c,label\n" + rows)
    code, out, _ = run(
        capsys, "--dataset", str(path), "--standardize", "--tol", "1e-6",
        "--iterations", "100000", "--test-fraction", "0",
    )  # fmt: skip
    assert code == 0
    assert "points, 40 training and 0 test examples, 3 features, standardized" in out
    assert "converged" in out and "test accuracy: n/a" in out


def test_plot_writes_an_image(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "cost.png"
    code, out, _ = run(capsys, "--iterations", "30", "--plot", str(path))
    assert code == 0 and f"cost curve written to {path}" in out
    assert path.read_bytes().startswith(b"\x89PNG")
    assert [p.name for p in tmp_path.iterdir()] == ["cost.png"]  # no temporary left


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--iterations", "ten"], "--iterations must be an integer >= 0, got 'ten'"),
        (["--iterations", "-1"], "--iterations must be an integer >= 0"),
        (["--learning-rate", "0"], "--learning-rate must be a number > 0, got '0'"),
        (["--learning-rate", "nan"], "--learning-rate must be a number > 0"),
        (["--tol", "-1"], "--tol must be a number >= 0"),
        (["--test-fraction", "1"], "--test-fraction must be below 1"),
        (["--engine", "torch"], "--engine must be one of numpy, value, got 'torch'"),
        (["--dataset", "iris"], "unknown data set 'iris'"),
        (["--dataset", "missing.csv"], "cannot read missing.csv"),
        (["--plot", "cost.txt"], "cannot write a plot to 'cost.txt': the suffix must be"),
        (["--plot", "/no/such/folder/cost.png"], "no folder"),
        # Weights that overflow: a traceback from the finite-parameter check, before.
        (["--learning-rate", "1.7e308"], "training diverged (final cost nan)"),
        (["--learning-rate", "1e308", "--engine", "value"], "training diverged (final cost"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_code_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("micrograd-lr train: error: ")
    assert message in err


def test_bad_csv_names_the_line(capsys, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("1,2,0\n3,4,7\n")
    code, _, err = run(capsys, "--dataset", str(path))
    assert code == 2 and "line 2: the label (last column) must be 0 or 1, got '7'" in err


def test_missing_extras_are_usage_errors(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    code, _, err = run(capsys, "--dataset", "digits")
    assert code == 2 and "pip install 'micrograd_lr[data]'" in err
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    code, _, err = run(capsys, "--plot", "cost.png")
    assert code == 2 and "pip install 'micrograd_lr[plot]'" in err


def test_unwritable_plot_folder_fails_before_training(capsys):
    """--plot into a folder where no file can be created printed the whole report, then
    failed; now it is refused first, with nothing printed to stdout."""
    if not os.path.isdir("/proc/self"):
        pytest.skip("needs Linux's /proc, where not even root can create files")
    assert main(["train", "--plot", "/proc/self/cost.png", "--no-progress"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "is not writable" in captured.err and captured.err.count("\n") == 1


def test_a_learning_rate_that_makes_the_cost_rise_is_warned_about(capsys):
    code, out, err = run(capsys, "--learning-rate", "1000", "--iterations", "50")
    assert code == 0 and "final cost" in out
    assert re.fullmatch(
        r"warning: the cost rose from 0.693147 to [\d.]+: the learning rate 1000 is too "
        r"large; leave --learning-rate out to use the safe 1/L = 1.41788\n",
        err,
    )
    code, _, err = run(capsys, "--iterations", "50")
    assert code == 0 and err == ""


def test_test_accuracy_is_measured_on_the_held_out_examples(capsys):
    _, out, _ = run(capsys, "--iterations", "300")
    train_set, test_set = datasets.synthetic().split(0.2, seed=0)
    result = train(*train_set.columns(), num_iterations=300, progress=False)
    Xt, Yt = test_set.columns()
    accuracy = np.mean(predict(result.w, result.b, Xt) == Yt)
    assert number(r"test accuracy: (\S+)%", out) == pytest.approx(100 * accuracy, abs=0.01)
    assert number(r"test accuracy: (\S+)%", out) != number(r"train accuracy: (\S+)%", out)


def test_check_compares_at_the_start_and_at_the_trained_weights(capsys, monkeypatch):
    from micrograd_lr.commands import train as command

    seen = []

    def spy(w, b, X, Y, *, fused):
        seen.append((np.abs(w).sum(), b, fused))
        return float(len(seen))

    monkeypatch.setattr(command, "gradient_difference", spy)
    _, out, _ = run(capsys, "--engine", "value", "--composed", "--iterations", "5", "--check")
    assert seen[0] == (0.0, 0.0, False) and seen[1][0] > 0 and not seen[1][2]
    assert "difference: 1 at the start, 2 at the end (composed graph)" in out


def test_composed_without_a_value_graph_is_refused(capsys):
    assert main(["train", "--engine", "numpy", "--composed", "--no-progress"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "--composed chooses the Value graph" in err and len(err.strip().splitlines()) == 1
    assert main(["train", "--engine", "numpy", "--composed", "--check", "--iterations", "5",
                 "--no-progress"]) == 0  # fmt: skip
