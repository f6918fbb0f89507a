"""The ``micrograd-lr demo`` main job: its numbers, its files, and how it degrades."""

import contextlib
import io
import os
import sys

import numpy as np
import pytest

from micrograd_lr import cli, demo

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    """One run of the whole command, as a user types it: (exit code, stdout, stderr, folder)."""
    out_dir = tmp_path_factory.mktemp("demo") / "out"
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = cli.main(["demo", "--out", str(out_dir)])
    return code, stdout.getvalue(), stderr.getvalue(), out_dir


def test_demo_succeeds_and_reports_j_against_the_closed_form(full_run):
    code, out, _, _ = full_run
    assert code == 0
    assert "J = (a - 1)(b + c) with a=5, b=3, c=2:  J = 20" in out
    # backward and the closed form side by side: dJ/da = b + c = 5, dJ/db = dJ/dc = a - 1 = 4
    assert "dJ/da             5            5" in out
    assert "dJ/db             4            4" in out
    assert "dJ/dc             4            4" in out
    assert "largest difference: 0\n" in out


def test_demo_summary_lists_exactly_the_files_written(full_run):
    _, out, _, out_dir = full_run
    summary = out.split("Files written to", 1)[1]
    written = sorted(p.name for p in out_dir.iterdir())
    for name in written:
        assert f"  {name}\n" in summary
    assert not [p for p in out_dir.iterdir() if p.name.startswith(".")]  # no temporary files
    if not written:
        assert "(none)" in summary


def test_demo_without_a_terminal_shows_no_progress_bar(full_run):
    _, _, err, _ = full_run
    assert err == ""


def test_demo_writes_the_dot_source_of_j(full_run):
    _, _, _, out_dir = full_run
    source = (out_dir / "j_graph.gv").read_text()
    assert source.lstrip().startswith("digraph")
    for label in ("a", "b", "c", "J"):
        assert label in source


@pytest.mark.graphviz
def test_demo_draws_j_as_svg_and_png(full_run):
    _, out, _, out_dir = full_run
    assert "<svg" in (out_dir / "j_graph.svg").read_text()
    assert (out_dir / "j_graph.png").read_bytes().startswith(PNG_MAGIC)
    assert "graph drawn: j_graph.gv, j_graph.svg, j_graph.png" in out


def test_demo_logistic_regression_gradients_agree_and_it_learns(tmp_path):
    result = demo.logistic_step(tmp_path, stream=io.StringIO())
    checks = result.numbers["gradient_checks"]
    assert len(checks) == 2
    assert max(checks) < 1e-12
    costs = result.numbers["costs"]
    assert costs[-1] < costs[0]
    assert result.numbers["accuracy"] > 0.8
    assert (tmp_path / "cost_curve.png").read_bytes().startswith(PNG_MAGIC)


def test_demo_vectorized_dot_product_equals_the_loop():
    stream = io.StringIO()
    numbers = demo.vectorization_step(n=10_000, stream=stream).numbers
    assert numbers["loop_result"] == pytest.approx(numbers["numpy_result"], rel=1e-12)
    assert numbers["speedup"] == numbers["loop_seconds"] / numbers["numpy_seconds"]
    assert "speed-up:" in stream.getvalue()


def test_demo_speed_up_is_a_median_with_its_quartile_spread():
    numbers = demo.vectorization_step(n=10_000, stream=io.StringIO()).numbers
    assert numbers["speedup_low"] <= numbers["speedup"] <= numbers["speedup_high"]


def test_single_threaded_blas_pins_every_blas_pool_to_one_thread():
    from threadpoolctl import threadpool_info

    np.dot(np.ones(10), np.ones(10))  # loads BLAS
    with demo.single_threaded_blas():
        pools = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
        assert pools and all(pool["num_threads"] == 1 for pool in pools)


@pytest.mark.parametrize(("a", "b", "c"), [(2.0, 3.0, 4.0), (-1.5, 0.25, 7.0), (1.0, 0.0, 0.0)])
def test_j_step_gradients_equal_the_closed_form(tmp_path, a, b, c):
    numbers = demo.j_step(tmp_path, a=a, b=b, c=c, stream=io.StringIO()).numbers
    assert numbers["J"] == (a - 1) * (b + c)
    assert numbers["grads"] == {"a": b + c, "b": a - 1, "c": a - 1}
    assert numbers["max_diff"] == 0.0


def test_demo_says_how_to_get_what_is_missing(tmp_path, monkeypatch):
    real_have = demo._have
    monkeypatch.setattr(demo, "_have", lambda m: m not in ("matplotlib", "tqdm") and real_have(m))
    stream = io.StringIO()
    results = demo.run(tmp_path, progress=True, stream=stream)
    out = stream.getvalue()
    assert not (tmp_path / "cost_curve.png").exists()
    assert "matplotlib is not installed; pip install 'micrograd_lr[plot]'" in out
    assert "tqdm is not installed; pip install 'micrograd_lr[progress]'" in out
    assert demo.checks_passed(results)


def test_demo_without_the_dot_program_still_writes_the_source(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "no-such-folder"))
    stream = io.StringIO()
    result = demo.j_step(tmp_path, stream=stream)
    assert [p.name for p in result.files] == ["j_graph.gv"]
    assert any("apt-get install graphviz" in s for s in result.skipped)


def test_demo_progress_bar_goes_to_stderr_when_asked(tmp_path, capsys):
    pytest.importorskip("tqdm")
    demo.logistic_step(tmp_path, iterations=3, progress=True, stream=sys.stdout)
    assert "training" in capsys.readouterr().err


def test_demo_refuses_a_file_as_output_folder(tmp_path, capsys):
    target = tmp_path / "taken"
    target.write_text("not a folder")
    assert cli.main(["demo", "--out", str(target)]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    assert target.read_text() == "not a folder"


def test_demo_progress_flag_defaults_to_terminal_detection():
    parser = cli.build_parser()
    assert parser.parse_args(["demo"]).progress is None
    assert parser.parse_args(["demo", "--no-progress"]).progress is False


def test_demo_fails_when_a_gradient_check_disagrees(tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "gradient_difference", lambda *args: 1e-3)
    with contextlib.redirect_stdout(io.StringIO()) as out:
        code = cli.main(["demo", "--out", str(tmp_path), "--no-progress"])
    assert code == 1
    assert "largest |engine - closed form| = 0.001" in out.getvalue()


@pytest.mark.parametrize("where", ["under_a_file", "proc"])
def test_demo_refuses_a_folder_it_cannot_write_with_one_line(tmp_path, capsys, where):
    """A folder that cannot be made or written to was a traceback, after half the demo."""
    if where == "proc":
        if not os.path.isdir("/proc/self"):
            pytest.skip("needs Linux's /proc, where not even root can create files")
        target = "/proc/self"
    else:
        (tmp_path / "taken").write_text("not a folder")
        target = str(tmp_path / "taken" / "sub")
    assert cli.main(["demo", "--out", target, "--no-progress"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert f"--out {target}: cannot write there" in captured.err


def test_demo_trains_the_composed_value_graph_and_checks_the_trained_weights(tmp_path, monkeypatch):
    calls, checked = [], []
    real_train = demo.logistic.train

    def train_spy(*args, **kwargs):
        calls.append(kwargs)
        return real_train(*args, **kwargs)

    def check_spy(w, b, X, Y):
        checked.append((float(np.abs(w).sum()), b))
        return 0.0

    monkeypatch.setattr(demo.logistic, "train", train_spy)
    monkeypatch.setattr(demo, "gradient_difference", check_spy)
    result = demo.logistic_step(tmp_path, iterations=5, compiled=False, stream=io.StringIO())
    assert calls[0]["engine"] == "value" and calls[0]["fused"] is False
    assert checked[0] == (0.0, 0.0) and checked[1][0] > 0
    assert result.numbers["gradient_checks"] == [0.0, 0.0]


# Regression (issue 10 #5): a folder where the demo writes a file was a traceback (exit 1)
# after half the demo; now it is found before any step.
@pytest.mark.parametrize(
    "names", [["j_graph.svg"], ["cost_curve.png"], ["j_graph.gv", "j_graph.png"]]
)
def test_demo_refuses_folders_in_the_way_before_writing_anything(tmp_path, capsys, names):
    for name in names:
        (tmp_path / name).mkdir()
    assert cli.main(["demo", "--out", str(tmp_path), "--no-progress"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert (
        f"{', '.join(names)} {'is a folder' if len(names) == 1 else 'are folders'}" in captured.err
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)
    assert all(not any((tmp_path / n).iterdir()) for n in names)


def test_demo_ctrl_c_says_which_step_and_which_files_then_exits_130(tmp_path, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(demo, "logistic_step", interrupted)
    assert cli.main(["demo", "--out", str(tmp_path), "--no-progress"]) == 130
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    expected = f"micrograd-lr demo: interrupted: during step 2 of 3; files written to {tmp_path}"
    assert err.startswith(expected + ": j_graph.gv")


def test_demo_refuses_an_empty_out(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["demo", "--out", "", "--no-progress"]) == 2
    assert "--out needs a folder name" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
