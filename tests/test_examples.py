"""Every teaching script in examples/ runs to completion and reports success (exit code 0).

Each script checks its own numbers (engine against closed form, loop against NumPy, ...) and
exits with 1 when they disagree, so running it is a test of what it teaches.
"""

import runpy
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SCRIPTS = sorted(EXAMPLES.glob("*.py"))


def test_there_are_examples():
    assert len(SCRIPTS) >= 7


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_example_runs_and_checks_out(script, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # scripts that write files write them here
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setattr(sys, "argv", [str(script)])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_path(str(script), run_name="__main__")
    out = capsys.readouterr().out
    assert exit_.value.code == 0, out
    assert out.strip()


def test_convexity_example_writes_its_plot(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.setattr(sys, "argv", ["convexity.py", "--out", str(tmp_path)])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_path(str(EXAMPLES / "convexity.py"), run_name="__main__")
    assert exit_.value.code == 0
    assert (tmp_path / "convexity.png").read_bytes().startswith(b"\x89PNG")
