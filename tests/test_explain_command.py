"""``micrograd-lr explain`` end to end, and the ``--json`` output of ``grad`` and ``draw``
(one schema for values and gradients): output, files written, and bad input refused on one
line with exit status 2 and nothing written."""

import json

import pytest
from PIL import Image

from micrograd_lr.cli import main
from micrograd_lr.explain import SCHEMA

J_ARGS = ["(a-1)*(b+c)", "a=2", "b=3", "c=4"]


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def strict_json(text):
    def refuse(name):
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def test_explain_prints_the_forward_and_backward_pass(capsys):
    code, out, err = run(["explain", *J_ARGS], capsys)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "J = (a-1)*(b+c)",
        "Forward pass, in evaluation order:",
        "  a = 2",
        "  u = a - 1 = 1",
        "  b = 3",
        "  c = 4",
        "  v = b + c = 7",
        "  J = u * v = 7",
        "Backward pass, in the order the engine applies the chain rule:",
        "  1. dJ/dJ = 1 (the output's own gradient)",
        "  2. dJ/du = 7 (the local derivative of J = u * v)",
        "  3. dJ/dv = 1 (the local derivative of J = u * v)",
        "  4. dJ/db = dJ/dv * dv/db = 1 * 1 = 1",
        "  5. dJ/dc = dJ/dv * dv/dc = 1 * 1 = 1",
        "  6. dJ/da = dJ/du * du/da = 7 * 1 = 7",
        "Gradients of J:",
        "  dJ/da = 7",
        "  dJ/db = 1",
        "  dJ/dc = 1",
    ]


def test_explain_markdown(capsys):
    code, out, _ = run(["explain", "a*(b+c)-(b+c)", "a=2", "b=3", "c=4", "--format", "md"], capsys)
    assert code == 0
    assert out.startswith("**Forward pass** (evaluation order)\n")
    assert "| `dJ/db` | `(-1) + 2` two paths | 1 |" in out


def test_explain_json_shares_the_gradient_schema(capsys):
    code, out, _ = run(["explain", *J_ARGS, "--format", "json", "--digits", "3"], capsys)
    assert code == 0
    doc = strict_json(out)
    assert doc["schema"] == SCHEMA and doc["kind"] == "explanation"
    assert doc["formula"] == "(a-1)*(b+c)" and doc["written"] == []
    assert doc["output"] == {"name": "J", "value": 7.0}
    assert [(v["name"], v["grad"]) for v in doc["variables"]] == [
        ("a", 7.0),
        ("b", 1.0),
        ("c", 1.0),
    ]
    assert [s["kind"] for s in doc["backward"]] == ["seed"] + ["edge"] * 5


@pytest.mark.parametrize("command", ["grad", "draw"])
def test_grad_and_draw_json_have_the_same_values_and_gradients(command, capsys, tmp_path):
    extra = ["--text"] if command == "draw" else []
    code, out, err = run([command, *J_ARGS, "--json", *extra], capsys)
    assert (code, err) == (0, "")
    doc = strict_json(out)
    _, explained, _ = run(["explain", *J_ARGS, "--format", "json"], capsys)
    shared = ("schema", "formula", "output", "variables")
    reference = strict_json(explained)
    assert doc["schema"] == SCHEMA
    assert doc["output"] == reference["output"] and doc["formula"] == reference["formula"]
    for mine, theirs in zip(doc["variables"], reference["variables"], strict=True):
        assert {k: mine[k] for k in ("name", "value", "grad")} == theirs
    assert set(shared) <= set(doc)


def test_grad_json_has_the_check_and_the_hessian(capsys):
    code, out, _ = run(["grad", "x*x*y", "x=3", "y=2", "--json", "--order", "2"], capsys)
    assert code == 0
    doc = strict_json(out)
    assert doc["kind"] == "gradients"
    x = doc["variables"][0]
    assert x["grad"] == 12.0 and x["central_difference"] == pytest.approx(12.0, rel=1e-8)
    assert x["differs"] is False and x["reason"] is None and x["rel_error"] < 1e-8
    assert doc["hessian"] == [[4.0, 6.0], [6.0, 0.0]]


def test_grad_json_reports_a_failed_check_with_exit_1(capsys):
    code, out, _ = run(["grad", "relu(x)", "x=0", "--json"], capsys)
    x = strict_json(out)["variables"][0]
    assert code == 1 and x["differs"] is True and "kink" in x["reason"]


def test_draw_json_names_the_file_written(capsys, tmp_path):
    target = tmp_path / "j.dot"
    code, out, _ = run(["draw", *J_ARGS, "-o", str(target), "--json"], capsys)
    assert code == 0 and strict_json(out)["written"] == str(target) and target.exists()


def test_json_writes_infinite_gradients_as_strings(capsys):
    code, out, _ = run(["explain", "x**0.5", "x=0", "--format", "json"], capsys)
    assert code == 0 and strict_json(out)["variables"][0]["grad"] == "inf"


@pytest.mark.graphviz
def test_explain_writes_the_stepper_page_and_gif(capsys, tmp_path):
    page, gif = tmp_path / "steps.html", tmp_path / "steps.gif"
    code, out, err = run(["explain", *J_ARGS, "--html", str(page), "--gif", str(gif)], capsys)
    assert (code, err) == (0, "")
    assert out.splitlines()[-2:] == [f"wrote {page}", f"wrote {gif}"]
    text = page.read_text()
    assert text.startswith("<!DOCTYPE html>") and "dJ/da = dJ/du * du/da = 7 * 1 = 7" in text
    with Image.open(gif) as image:
        assert image.n_frames == 7


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--html", "steps.txt"], "--html 'steps.txt': the file name must end in .html"),
        (["--gif", "no/such/folder/s.gif"], "no folder 'no/such/folder'"),
        (["--html", "."], "the file name must end in .html"),
        (["--max-nodes", "3"], "the graph has 6 nodes, more than max_nodes=3"),
        (["--digits", "0"], "--digits must be from 1 to 17, got 0"),
        (["--max-nodes", "0"], "--max-nodes must be positive"),
    ],
)
def test_explain_bad_input_is_one_line_and_exit_2(extra, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["explain", *J_ARGS, *extra], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("micrograd-lr explain: error: ")
    assert message in err
    assert list(tmp_path.iterdir()) == []


def test_explain_a_folder_named_like_the_page_is_refused(capsys, tmp_path):
    (tmp_path / "steps.html").mkdir()
    code, _, err = run(["explain", *J_ARGS, "--html", str(tmp_path / "steps.html")], capsys)
    assert code == 2 and "is a folder" in err


def test_explain_without_graphviz_refuses_the_stepper_and_writes_nothing(
    capsys, tmp_path, monkeypatch
):
    monkeypatch.setenv("PATH", str(tmp_path))
    page = tmp_path / "steps.html"
    code, _, err = run(["explain", *J_ARGS, "--html", str(page)], capsys)
    assert code == 2 and "Graphviz program 'dot'" in err and not page.exists()
    code, _, _ = run(["explain", *J_ARGS], capsys)  # the text needs no Graphviz
    assert code == 0


def test_explain_without_the_gif_packages_says_how_to_install_them(capsys, tmp_path, monkeypatch):
    import micrograd_lr.commands.explain as command

    monkeypatch.setattr(command, "gif_available", lambda: False)
    code, _, err = run(["explain", *J_ARGS, "--gif", str(tmp_path / "s.gif")], capsys)
    assert code == 2 and "pip install 'micrograd_lr[gif]'" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "argv",
    [
        ["explain", "(a-1", "a=1"],
        ["explain", "log(a)", "a=-1"],
        ["explain", "a/b", "a=1", "b=0"],
        ["explain", "a", "b=1"],
        ["explain", "2+3"],
    ],
)
def test_explain_bad_formulas_exit_2(argv, capsys):
    code, out, err = run(argv, capsys)
    assert code == 2 and out == "" and err.count("\n") == 1


def test_explain_unknown_format_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["explain", *J_ARGS, "--format", "xml"])
    assert exit_.value.code == 2 and "invalid choice: 'xml'" in capsys.readouterr().err


@pytest.mark.graphviz
def test_the_readme_shows_the_commands_real_output(capsys, tmp_path, monkeypatch):
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    shown = re.search(r"```text\n(J = \(a-1\)\*\(b\+c\)\n.*?)```", readme, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(["explain", *J_ARGS, "--html", "steps.html"], capsys)
    assert code == 0 and out == shown


def test_a_failing_dot_under_the_stepper_is_one_line_exit_2(tmp_path, capsys, monkeypatch):
    from cli_cases import fake_dot, only_on_path

    fake_dot(only_on_path(tmp_path, monkeypatch), "echo 'Error: out of memory' >&2; exit 1")
    target = tmp_path / "steps.html"
    code = main(["explain", "(a-1)*(b+c)", "a=2", "b=3", "c=4", "--html", str(target)])
    out, err = capsys.readouterr()
    assert out == ""
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert "Graphviz could not draw the stepper's graph: Error: out of memory" in err
    assert not target.exists()
