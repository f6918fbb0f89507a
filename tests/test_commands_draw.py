"""``micrograd-lr draw`` end to end: values and gradients printed, real files written, and
every kind of bad input refused on one line with exit code 2 and nothing written."""

import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from cli_cases import BAD_INPUTS, fake_dot, only_on_path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from micrograd_lr.cli import build_parser, main

J_ARGS = ["(a-1)*(b+c)", "a=2", "b=3", "c=4"]


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def svg_texts(path):
    ns = "{http://www.w3.org/2000/svg}"
    return [(t.text or "").replace("\xa0", " ") for t in ET.parse(path).iter(f"{ns}text")]


@pytest.mark.graphviz
def test_draw_writes_the_svg_and_prints_gradients(tmp_path, capsys):
    target = tmp_path / "j.svg"
    code, out, err = run(["draw", *J_ARGS, "-o", str(target)], capsys)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "J = (a-1)*(b+c) = 7.0",
        "  a = 2.0    dJ/da = 7.0",
        "  b = 3.0    dJ/db = 1.0",
        "  c = 4.0    dJ/dc = 1.0",
        f"wrote {target}",
    ]
    texts = svg_texts(target)
    for expected in ("a", "b", "c", "J", "data 2", "grad 7", "data 7", "- 1", "+", "*"):
        assert expected in texts


@pytest.mark.graphviz
@pytest.mark.parametrize(("name", "header"), [("j.png", b"\x89PNG"), ("j.pdf", b"%PDF")])
def test_draw_picks_the_format_from_the_extension(tmp_path, capsys, name, header):
    code, _, _ = run(["draw", *J_ARGS, "-o", str(tmp_path / name)], capsys)
    assert code == 0 and (tmp_path / name).read_bytes().startswith(header)


def test_draw_dot_needs_no_graphviz(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    code, _, _ = run(["draw", *J_ARGS, "-o", str(tmp_path / "j.dot"), "--digits", "3"], capsys)
    assert code == 0
    source = (tmp_path / "j.dot").read_text()
    assert source.startswith("digraph computation_graph {")
    assert "grad 7<" in source and "<B>J</B>" in source


def test_draw_options_reach_the_drawing(tmp_path, capsys):
    target = tmp_path / "j.gv"
    args = ["draw", *J_ARGS, "-o", str(target), "--rankdir", "TB", "--no-grad"]
    assert run(args, capsys)[0] == 0
    source = target.read_text()
    assert "rankdir=TB" in source and "grad" not in source


@pytest.mark.graphviz
def test_draw_defaults_to_graph_svg(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(["draw", *J_ARGS], capsys)
    assert code == 0 and out.endswith("wrote graph.svg\n")
    assert [p.name for p in tmp_path.iterdir()] == ["graph.svg"]


def test_text_prints_the_tree_and_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(["draw", *J_ARGS, "--text"], capsys)
    assert code == 0
    assert out.splitlines()[4:] == [
        "J  data=7  grad=1  [*]",
        "├── data=1  grad=7  [- 1]",
        "│   └── a  data=2  grad=7",
        "└── data=7  grad=1  [+]",
        "    ├── b  data=3  grad=1",
        "    └── c  data=4  grad=1",
    ]
    assert list(tmp_path.iterdir()) == []


def test_text_collapsed(capsys):
    code, out, _ = run(
        ["draw", "a*x + b*y + c", "a=1", "x=2", "b=3", "y=4", "c=5", "--text", "--collapse"], capsys
    )
    assert code == 0
    assert "J  data=19  grad=1  [+]" in out.splitlines()
    assert out.count("[+]") == 1  # a*x + b*y, the inner sum, is not drawn on its own


def test_root_is_called_f_when_j_is_a_variable(capsys):
    code, out, _ = run(["draw", "J*2", "J=3", "--text"], capsys)
    assert code == 0 and out.splitlines()[:2] == ["f = J*2 = 6.0", "  J = 3.0    df/dJ = 2.0"]


@pytest.mark.parametrize(("argv", "message"), BAD_INPUTS)
def test_bad_input_is_one_line_exit_2_nothing_written(tmp_path, capsys, argv, message):
    target = tmp_path / "out.dot"
    code, out, err = run(["draw", *argv, "-o", str(target)], capsys)
    assert code == 2
    assert out == ""
    assert err.startswith("micrograd-lr draw: error: ") and err.count("\n") == 1
    assert message in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["-o", "j.jpg"], "cannot tell the format of 'j.jpg'"),
        (["-o", ""], "-o needs a file name such as graph.svg, got ''"),  # not the default
        (["-o", "missing/j.svg"], "no folder 'missing'"),
        (["--digits", "0"], "--digits must be from 1 to 17"),
        (["--max-nodes", "0"], "--max-nodes must be positive"),
        (["--max-nodes", "5", "-o", "j.dot"], "6 nodes, more than --max-nodes 5"),
    ],
)
def test_bad_options_are_one_line_exit_2_nothing_written(
    tmp_path, capsys, monkeypatch, extra, message
):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["draw", *J_ARGS, *extra], capsys)
    assert (code, out) == (2, "")
    assert message in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_missing_dot_is_one_line_exit_2_nothing_written(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    code, out, err = run(["draw", *J_ARGS, "-o", str(tmp_path / "j.svg")], capsys)
    assert (code, out) == (2, "")
    assert "'dot' was not found" in err and "install Graphviz" in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_python_dash_m_runs_without_traceback(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "micrograd_lr", "draw", "a.b", "a=1", "--text"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(Path(__file__).parents[1])},
    )
    assert done.returncode == 2
    assert done.stderr.startswith("micrograd-lr draw: error: not allowed: attribute access")
    assert "Traceback" not in done.stderr


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.text(max_size=40))
def test_any_expression_gives_exit_0_or_2_never_a_traceback(capsys, text):
    if text.startswith("-"):
        text = " " + text  # argparse would read it as an option
    code, out, err = run(["draw", text, "x=0.5", "--text"], capsys)
    if code == 2:
        assert out == "" and err.count("\n") == 1
    else:
        assert code == 0 and "x = 0.5" in out


@pytest.mark.parametrize("command", ["draw", "grad"])
def test_help_states_every_default(capsys, command):
    subparser = build_parser()._subparsers._group_actions[0].choices[command]
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for action in subparser._actions:
        if action.option_strings and action.default not in (None, False, "==SUPPRESS=="):
            assert f"(default: {action.default})" in text, action.option_strings


def test_a_failing_dot_is_one_line_and_writes_nothing(tmp_path, capsys, monkeypatch):
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    fake_dot(bin_folder, "echo 'Error: <stdin>: syntax error' >&2; exit 1")
    monkeypatch.setenv("PATH", str(bin_folder))
    target = tmp_path / "j.svg"
    code, out, err = run(["draw", "(a-1)*(b+c)", "a=2", "b=3", "c=4", "-o", str(target)], capsys)
    assert code == 2 and out == ""
    assert err.strip().endswith(
        "Graphviz could not render " + repr(str(target)) + ": Error: <stdin>: syntax error"
    )
    assert not target.exists() and list(tmp_path.iterdir()) == [bin_folder]


# Regressions (issue 10 #6, #7, #8 and the smaller items).
def test_a_hanging_dot_is_stopped_by_timeout_with_a_hint(tmp_path, capsys, monkeypatch):
    dot_bin = only_on_path(tmp_path, monkeypatch)
    fake_dot(dot_bin, "exec sleep 60")
    target = tmp_path / "j.svg"
    code, out, err = run(["draw", *J_ARGS, "-o", str(target), "--timeout", "0.5"], capsys)
    assert (code, out) == (2, "") and err.count("\n") == 1
    assert "Graphviz took more than 0.5 s to lay out j.svg (6 nodes)" in err
    assert "--collapse" in err and not target.exists()


def test_a_crashing_dot_is_one_line_naming_the_signal(tmp_path, capsys, monkeypatch):
    dot_bin = only_on_path(tmp_path, monkeypatch)
    fake_dot(dot_bin, "kill -SEGV $$")
    code, out, err = run(["draw", *J_ARGS, "-o", str(tmp_path / "j.svg")], capsys)
    assert (code, out) == (2, "") and err.count("\n") == 1
    assert "dot crashed (SIGSEGV); draw the collapsed view (--collapse)" in err


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["-o", ""], "-o needs a file name such as graph.svg, got ''"),
        (["-o", "  "], "-o needs a file name"),
        (["--timeout", "0"], "--timeout must be a positive number of seconds, got 0"),
        (["--timeout", "inf"], "--timeout must be a positive number of seconds, got inf"),
        (["--timeout", "nan"], "--timeout must be a positive number"),
    ],
)
def test_bad_output_and_timeout_are_refused(tmp_path, capsys, monkeypatch, option, message):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["draw", *J_ARGS, *option], capsys)
    assert (code, out) == (2, "") and message in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_an_output_that_is_a_folder_is_one_line(tmp_path, capsys):
    (tmp_path / "j.dot").mkdir()
    code, out, err = run(["draw", *J_ARGS, "-o", str(tmp_path / "j.dot")], capsys)
    assert (code, out) == (2, "") and err.count("\n") == 1
    assert "it is a folder, not a file" in err


def test_a_long_but_legal_output_name_is_written(tmp_path, capsys):
    target = tmp_path / ("a" * (os.pathconf(tmp_path, "PC_NAME_MAX") - 4) + ".dot")
    code, _, err = run(["draw", "a*2", "a=1", "-o", str(target)], capsys)
    assert (code, err) == (0, "") and target.read_text().startswith("digraph")


SIGINT_DURING_DRAW = """
import sys
from micrograd_lr.cli import main
sys.exit(main(["draw", "(a-1)*(b+c)", "a=2", "b=3", "c=4", "-o", sys.argv[1]]))
"""


@pytest.mark.skipif(os.name != "posix", reason="signals")
def test_ctrl_c_while_graphviz_runs_is_one_line_and_exit_130(tmp_path):
    folder = tmp_path / "bin"
    folder.mkdir()
    fake_dot(folder, f"touch {tmp_path / 'started'}; exec sleep 60")
    target = tmp_path / "j.svg"
    child = subprocess.Popen(
        [sys.executable, "-c", SIGINT_DURING_DRAW, str(target)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[1],
        env={**os.environ, "PATH": str(folder)},
    )
    deadline = time.monotonic() + 30
    while not (tmp_path / "started").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=30)
    assert child.returncode == 130 and out == ""
    assert (
        err
        == "micrograd-lr draw: interrupted: while Graphviz laid out the graph; nothing written\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin", "started"]


def test_the_size_error_names_the_command_line_options(capsys):
    code, _, err = run(["draw", "+".join(["a*b"] * 240), "a=1", "b=2", "--text"], capsys)
    assert code == 2 and err.count("\n") == 1
    assert "481 nodes, more than --max-nodes 300" in err and "(--max-nodes 481 or more)" in err
    assert "(--collapse: 243 nodes" in err and "max_nodes=" not in err and "=True" not in err


def test_a_folder_in_the_way_is_refused_before_graphviz_runs(tmp_path, capsys, monkeypatch):
    dot_bin = only_on_path(tmp_path, monkeypatch)
    fake_dot(dot_bin, f"touch {tmp_path / 'dot-ran'}; cat")
    (tmp_path / "j.svg").mkdir()
    code, _, err = run(["draw", *J_ARGS, "-o", str(tmp_path / "j.svg")], capsys)
    assert code == 2 and "it is a folder, not a file" in err
    assert not (tmp_path / "dot-ran").exists()
