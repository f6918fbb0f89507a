"""Regression tests: a CSV error quotes a bounded part of the offending cell.

A 100 kB cell used to be echoed whole into the one line on stderr (100 kB of ``x``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from micrograd_lr.cli import main


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (["x" * 100_000], "found one: 'xxxx"),  # one column
        (["1,0", "x" * 100_000 + ",1", "2,1"], "column 1 is not a number: 'xxxx"),
        (["1," + "y" * 100_000, "2," + "y" * 100_000], "every example has the label 'yyyy"),
    ],
)
def test_a_huge_cell_is_quoted_in_short(
    rows: list[str], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "wide.csv"
    data.write_text("\n".join(rows) + "\n")
    assert main(["train", "--dataset", str(data), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err
    assert "(100000 characters)" in err and len(err) < 400


# An id column read as the label: 20000 rows gave 20000 "classes", and softmax regression's
# m x K table (3.2 GB) ran the machine out of memory for a 400 kB file.
def test_a_label_column_of_ids_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "ids.csv"
    data.write_text("".join(f"{i % 7}.5,{i % 3},id{i}\n" for i in range(200)))
    assert main(["train", "--dataset", str(data), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "different labels among" in err and "an id?" in err
