"""``micrograd-lr draw`` end to end: values and gradients printed, real files written, and
every kind of bad input refused on one line with exit code 2 and nothing written."""

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from cli_cases import BAD_INPUTS
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
        (["-o", ""], "cannot tell the format of '.'"),  # not the default graph.svg
        (["-o", "missing/j.svg"], "no folder 'missing'"),
        (["--digits", "0"], "--digits must be from 1 to 17"),
        (["--max-nodes", "0"], "--max-nodes must be positive"),
        (["--max-nodes", "5", "-o", "j.dot"], "6 nodes, more than max_nodes=5"),
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
    import graphviz

    def broken(self, *args, **kwargs):
        raise graphviz.CalledProcessError(1, ["dot"], stderr=b"Error: <stdin>: syntax error\n")

    monkeypatch.setattr(graphviz.Digraph, "pipe", broken)
    target = tmp_path / "j.svg"
    code, out, err = run(["draw", "(a-1)*(b+c)", "a=2", "b=3", "c=4", "-o", str(target)], capsys)
    assert code == 2 and out == ""
    assert err.strip().endswith(
        "Graphviz could not render " + repr(str(target)) + ": Error: <stdin>: syntax error"
    )
    assert not target.exists() and list(tmp_path.iterdir()) == []
