"""examples/newton_logistic.py runs and shows Newton converging in a handful of steps."""

import re
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent  # the tests run from any folder


def test_newton_example(capsys):
    pytest.importorskip("sklearn")
    with pytest.raises(SystemExit) as exit_:
        runpy.run_path(str(ROOT / "examples/newton_logistic.py"), run_name="__main__")
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    labels = ("closed-form Hessian", "Hessian by the Value engine", "gradient descent (step 1/L)")
    steps = {
        label: int(match.group(1))
        for label in labels
        if (match := re.search(re.escape(label) + r"\s+(\d+)\s", out))
    }
    assert len(steps) == 3, out
    assert steps[labels[0]] == steps[labels[1]] <= 12
    assert steps[labels[2]] > 1000
