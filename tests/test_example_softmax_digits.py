"""examples/softmax_digits.py fits ten classes, prints per-class accuracy and draws the
confusion matrix (atomically, where --out says)."""

import re
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*argv):
    namespace = runpy.run_path(str(ROOT / "examples/softmax_digits.py"), run_name="example")
    return namespace["main"](list(argv))


def test_softmax_digits_example(tmp_path, capsys):
    pytest.importorskip("sklearn")
    pytest.importorskip("matplotlib")
    out = tmp_path / "confusion.png"
    assert run("--out", str(out)) == 0
    text = capsys.readouterr().out
    rows = re.findall(r"^\s+(\d)\s+(\d+)\s+([01]\.\d{4})$", text, flags=re.MULTILINE)
    assert [int(digit) for digit, _, _ in rows] == list(range(10))
    assert sum(int(n) for _, n, _ in rows) == 450  # every fourth of the 1797 examples
    assert min(float(a) for _, _, a in rows) > 0.85
    test_accuracy = float(re.search(r"test accuracy (\d\.\d+)", text).group(1))
    assert test_accuracy > 0.95
    assert out.read_bytes().startswith(b"\x89PNG")
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left behind


def test_a_bad_out_is_refused_before_any_work(tmp_path, capsys):
    pytest.importorskip("sklearn")
    pytest.importorskip("matplotlib")
    assert run("--out", str(tmp_path / "missing" / "c.png")) == 2
    assert run("--out", str(tmp_path / "c.unknown")) == 2
    err = capsys.readouterr().err
    assert err.count("error: ") == 2 and "no folder" in err and "suffix" in err
    assert list(tmp_path.iterdir()) == []
