"""The teaching case end to end: a quick guard that the engine and the example run."""

import runpy
import sys

from micrograd_lr import Value


def test_j_gradients_match_closed_form():
    a, b, c = Value(2.0, "a"), Value(3.0, "b"), Value(4.0, "c")
    J = (a - 1) * (b + c)
    J.backward()
    assert (J.data, a.grad, b.grad, c.grad) == (7.0, 7.0, 1.0, 1.0)


def test_j_example_script_runs(capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["j_derivatives.py", "5", "3", "2"])
    try:
        runpy.run_path("examples/j_derivatives.py", run_name="__main__")
    except SystemExit as exit_:
        assert exit_.code == 0
    out = capsys.readouterr().out
    assert "both forms agree with the closed form" in out
    assert "dJ/da = 5" in out


def test_every_module_has_a_docstring_and_all():
    import ast
    from pathlib import Path

    package = Path(__file__).parents[1] / "micrograd_lr"
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"{path.name} has no module docstring"
        names = {
            target.id
            for node in tree.body
            if isinstance(node, ast.Assign | ast.AnnAssign)
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
            if isinstance(target, ast.Name)
        }
        assert "__all__" in names, f"{path.relative_to(package)} has no __all__"
