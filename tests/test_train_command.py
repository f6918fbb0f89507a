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


@pytest.mark.parametrize("graph", [[], ["--composed"]])
def test_no_compile_prints_the_same_numbers_as_the_compiled_replay(capsys, graph):
    args = ("--engine", "value", *graph, "--iterations", "30")
    code, compiled, _ = run(capsys, *args)
    assert code == 0
    assert run(capsys, *args, "--no-compile")[:2] == (0, compiled)


def test_no_compile_without_the_value_engine_is_refused(capsys):
    code, out, err = run(capsys, "--no-compile")
    assert (code, out) == (2, "")
    assert "--no-compile" in err and "--engine value" in err and err.count("\n") == 1


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
        (["--dataset", "mnist"], "unknown data set 'mnist'"),
        (["--dataset", "/dev/zero"], "it is a character device, not a regular file"),
        (["--iterations", "1_000"], "--iterations must be an integer >= 0, got '1_000'"),
        (["--iterations", "\uff11\uff10"], "--iterations must be an integer >= 0"),
        (["--learning-rate", "1_0"], "--learning-rate must be a number > 0, got '1_0'"),
        (["--C", "0"], "--C must be a number > 0 or inf, got '0'"),
        (["--C", "nan"], "--C must be a number > 0 or inf"),
        (["--l1-ratio", "1.5", "--C", "1"], "--l1-ratio must be in [0, 1], got '1.5'"),
        (["--l1-ratio", "0.5"], "--l1-ratio mixes the penalty of a finite --C"),
        (["--solver", "sgd"], "--solver must be one of gd, newton, lbfgs, fista, auto"),
        (["--solver", "newton", "--learning-rate", "0.1"], "--solver newton chooses its own"),
        (["--solver", "newton", "--check"], "--check compares the gradients of the course's"),
        (["--C", "1", "--composed"], "--composed chooses the Value graph"),
        (["--header"], "--header and --no-header are for CSV files, not the data set 'synth"),
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
    path.write_text("1,2,0\n3,4,7\n5,1_000,0\n")
    code, out, err = run(capsys, "--dataset", str(path))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "line 3: column 2 is not a number: '1_000'" in err


def test_missing_extras_are_usage_errors(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    code, _, err = run(capsys, "--dataset", "digits-zero")
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


# --- labels of any kind, headers ---------------------------------------------------------------
def test_csv_with_text_labels_trains_the_course_model(capsys, tmp_path):
    path = tmp_path / "pets.csv"
    rng = np.random.default_rng(2)
    X = rng.standard_normal((30, 2))
    names = np.where(X[:, 0] + 0.3 * rng.standard_normal(30) > 0, "dog", "cat")
    path.write_text("".join(f"{a},{b},{c}\n" for (a, b), c in zip(X, names, strict=True)))
    code, out, _ = run(capsys, "--dataset", str(path), "--iterations", "50")
    assert code == 0 and "pets, 24 training and 6 test examples, 2 features\n" in out


@pytest.mark.parametrize(
    ("option", "examples"), [([], "5 training"), (["--no-header"], "5 training"),
                             (["--header"], "4 training")]
)  # fmt: skip
def test_header_option(capsys, tmp_path, option, examples):
    """A first line of numbers only is data unless --header says otherwise."""
    path = tmp_path / "h.csv"
    path.write_text("2019,2020,1\n1,2,0\n3,4,1\n5,6,1\n7,8,0\n")
    argv = ["--dataset", str(path), "--test-fraction", "0", "--iterations", "5", *option]
    code, out, _ = run(capsys, *argv)
    assert code == 0 and examples in out


# --- huge features (issue 10 #4) -------------------------------------------------------------
@pytest.mark.parametrize("scale", ["1e200", "1e308"])
def test_huge_features_are_one_line_or_standardized(capsys, tmp_path, scale):
    path = tmp_path / "huge.csv"
    rows = [(1, 1.2, 0), (-1, 1.5, 1), (1.5, -1, 0), (0.5, 0.2, 1), (-0.7, 1, 0), (0.1, -1, 1)]
    path.write_text("".join(f"{a}{scale[1:]},{b}{scale[1:]},{c}\n" for a, b, c in rows))
    code, out, err = run(capsys, "--dataset", str(path))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "features too large" in err and "--standardize" in err
    code, out, err = run(capsys, "--dataset", str(path), "--standardize", "--iterations", "50")
    assert code == 0 and err == ""
    assert np.isfinite(number(r"final cost: (\S+)", out))


@pytest.mark.parametrize("options", [["--solver", "newton", "--C", "1"], ["--solver", "lbfgs"]])
def test_huge_features_are_refused_on_every_path(capsys, tmp_path, options):
    """Softmax Newton used to stop after 0 iterations with a warning and report accuracies."""
    path = tmp_path / "huge3.csv"
    rows = [(1, 2, "a"), (-1, 1.5, "b"), (1.5, -1, "c"), (0.5, 0.2, "a"), (-0.7, 1, "b")]
    path.write_text("".join(f"{a}e200,{b}e200,{c}\n" for a, b, c in rows * 2))
    code, out, err = run(capsys, "--dataset", str(path), *options)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "features too large: the largest |x| is 2e+200" in err and "--standardize" in err


# --- Ctrl-C and long runs (issue 10 #8) ------------------------------------------------------
def test_ctrl_c_reports_the_iteration_and_still_plots(capsys, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from micrograd_lr.logistic import training

    calls = []
    original = training._propagate

    def interrupting(*args):
        calls.append(1)
        if len(calls) == 41:
            raise KeyboardInterrupt
        return original(*args)

    monkeypatch.setattr(training, "_propagate", interrupting)
    path = tmp_path / "cost.png"
    code, out, err = run(capsys, "--iterations", "100000", "--plot", str(path))
    assert code == 130 and out == ""
    assert re.fullmatch(
        rf"micrograd-lr train: interrupted: at iteration 39 of 100000, cost [\d.]+; cost curve "
        rf"written to {re.escape(str(path))}\n",
        err,
    )
    assert path.read_bytes().startswith(b"\x89PNG")


def _cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc")
def test_sigint_in_a_real_process_exits_130_with_one_line(tmp_path):
    """A real SIGINT during a run of a billion iterations: one line, status 130, the plot
    written, and memory that stayed flat (the cost history is bounded)."""
    pytest.importorskip("matplotlib")
    import signal
    import subprocess
    import time

    plot = tmp_path / "cost.png"
    command = [sys.executable, "-m", "micrograd_lr", "train", "--iterations", "1000000000",
               "--no-progress", "--plot", str(plot)]  # fmt: skip
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    process = subprocess.Popen(
        command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        # Past the imports (one to two seconds of CPU), well into training.
        deadline = time.monotonic() + 120
        while _cpu_seconds(process.pid) < 5.0 and time.monotonic() < deadline:
            time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130, err
    assert out == ""
    assert re.fullmatch(
        r"micrograd-lr train: interrupted: at iteration \d+ of 1000000000, cost [\d.e-]+; "
        r"cost curve written to .*cost\.png\n",
        err,
    )
    assert int(re.search(r"iteration (\d+)", err).group(1)) > 1000
    assert plot.read_bytes().startswith(b"\x89PNG")


# --- many classes ----------------------------------------------------------------------------
def test_confusion_matrix_counts_true_against_predicted():
    from micrograd_lr.commands.train import confusion_matrix, format_confusion

    counts = confusion_matrix(np.array([0, 0, 1, 2, 2, 2.0]), np.array([0, 1, 1, 2, 0, 2]), 3)
    assert counts.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    text = format_confusion(counts, ("a", "bb", "c"), "test")
    assert "  a    50.00%  (1 of 2)" in text and "  c    66.67%  (2 of 3)" in text
    assert text.splitlines()[-2:] == ["  bb   0   1   0", "  c    1   0   2"]


def test_iris_prints_per_class_accuracy_and_a_confusion_matrix(capsys, tmp_path):
    pytest.importorskip("sklearn")
    path = tmp_path / "iris.png"
    argv = ["--dataset", "iris", "--standardize", "--solver", "lbfgs", "--C", "1"]
    code, out, err = run(capsys, *argv, *(["--plot", str(path)] if _has_mpl() else []))
    assert code == 0, err
    assert "iris, 120 training and 30 test examples, 4 features, standardized, 3 classes" in out
    assert "model: softmax regression, C=1, l1_ratio=0; solver lbfgs" in out
    table = out[out.index("confusion matrix (test set") :].splitlines()
    assert table[1].split() == ["setosa", "versicolor", "virginica"]
    counts = np.array([[int(c) for c in line.split()[1:]] for line in table[2:5]])
    assert counts.sum() == 30
    accuracy = number(r"test accuracy: (\S+)%", out)
    assert accuracy == pytest.approx(100 * np.trace(counts) / 30, abs=0.01) and accuracy > 85
    if _has_mpl():
        assert path.read_bytes().startswith(b"\x89PNG")


def test_csv_with_k_text_labels_matches_the_estimator(capsys, tmp_path):
    from micrograd_lr.logistic import LogisticRegression

    rng = np.random.default_rng(4)
    X = rng.standard_normal((90, 2))
    names = np.array(["north", "east", "west"])[np.argmax(X @ [[1, -1, 0], [0, 1, -1]], 1)]
    path = tmp_path / "k.csv"
    path.write_text(
        "p,q,where\n" + "".join(f"{a},{b},{c}\n" for (a, b), c in zip(X, names, strict=True))
    )
    code, out, _ = run(capsys, "--dataset", str(path), "--C", "10", "--solver", "newton",
                       "--test-fraction", "0")  # fmt: skip
    assert code == 0 and "3 classes" in out and "confusion matrix (training set" in out
    data = datasets.from_csv(path)
    expected = LogisticRegression(C=10, solver="newton", tol=1e-6, max_iter=1000)
    accuracy = expected.fit(data.X, data.y.astype(int)).score(data.X, data.y.astype(int))
    assert number(r"train accuracy: (\S+)%", out) == pytest.approx(100 * accuracy, abs=0.01)


def _has_mpl():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def test_binary_estimator_path_matches_the_estimator_and_draws_a_confusion_matrix(capsys, tmp_path):
    from micrograd_lr.logistic.estimator import LogisticRegression

    argv = ["--C", "0.5", "--solver", "lbfgs", "--test-fraction", "0.25"]
    path = tmp_path / "matrix.png"
    code, out, err = run(capsys, *argv, *(["--plot", str(path)] if _has_mpl() else []))
    assert code == 0 and err == ""
    assert "model: logistic regression, C=0.5, l1_ratio=0; solver lbfgs, engine numpy" in out
    assert "confusion matrix (" not in out  # the table is for more than two classes
    train_set, test_set = datasets.synthetic().split(0.25, seed=0)
    fitted = LogisticRegression(C=0.5, solver="lbfgs", tol=1e-6, max_iter=1000)
    fitted.fit(train_set.X, train_set.y.astype(int))
    for name, data in (("train", train_set), ("test", test_set)):
        accuracy = 100 * fitted.score(data.X, data.y.astype(int))
        assert number(rf"{name} accuracy: (\S+)%", out) == pytest.approx(accuracy, abs=0.01)
    proba = fitted.predict_proba(train_set.X)[np.arange(train_set.m), train_set.y.astype(int)]
    cross_entropy = number(r"training cross-entropy: (\S+)", out)
    assert cross_entropy == pytest.approx(-np.mean(np.log(proba)), rel=1e-9)
    if _has_mpl():
        assert path.read_bytes().startswith(b"\x89PNG") and "written to" in out


def test_a_solver_stopped_at_the_most_iterations_warns_in_one_line(capsys):
    code, out, err = run(capsys, "--solver", "gd", "--C", "1", "--iterations", "3")
    assert code == 0 and "3 iterations" in out and ", converged" not in out
    assert err.startswith("warning: ") and err.count("\n") == 1


def test_elastic_net_and_the_value_engine_through_the_estimator(capsys):
    code, out, _ = run(capsys, "--C", "0.5", "--l1-ratio", "0.5", "--solver", "fista")
    assert code == 0 and "C=0.5, l1_ratio=0.5; solver fista" in out and "converged" in out
    code, value_out, _ = run(capsys, "--C", "0.5", "--solver", "newton", "--engine", "value")
    assert code == 0 and "engine value" in value_out
    _, numpy_out, _ = run(capsys, "--C", "0.5", "--solver", "newton")
    pattern = r"training cross-entropy: (\S+)"
    assert number(pattern, value_out) == pytest.approx(number(pattern, numpy_out), rel=1e-9)


def test_ctrl_c_while_fitting_the_estimator(capsys, monkeypatch):
    from micrograd_lr.logistic import estimator

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(estimator.LogisticRegression, "fit", interrupted)
    code, out, err = run(capsys, "--solver", "newton")
    assert code == 130 and out == ""
    assert err == "micrograd-lr train: interrupted: while fitting with --solver newton " \
                  "(nothing written)\n"  # fmt: skip


def test_help_lists_the_exit_statuses_and_the_paths(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--help"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0
    epilog = out[out.index("exit status:") :].splitlines()
    codes = [line.split()[0] for line in epilog[1:] if line.startswith("  ") and line[2] != " "]
    assert codes == ["0", "2", "130", "141"]  # train checks nothing that can fail with 1
    assert "--iterations is the number of gradient-descent steps with --solver gd" in out
    assert "Ctrl-C stops training" in out and "no 1_000" in out
