"""The notebooks in examples/ execute from top to bottom without an error, and are saved
with their outputs (graphs and plots show on GitHub without running them) that are the
outputs of the current code.

Every notebook checks its own numbers with ``assert`` cells, so running it is a test. The
kernel imports this checkout's package (PYTHONPATH), and runs in a temporary folder.

After changing a notebook or the code it shows, save it again with its fresh outputs::

    python tests/test_notebooks.py --save
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "examples").glob("*.ipynb"))
SAVE_COMMAND = "python tests/test_notebooks.py --save"
ADDRESS = re.compile(r" at 0x[0-9a-f]+>")

# What each saved notebook must show at least (a drawing is an SVG, a plot a PNG).
MINIMUM_IMAGES = {
    "computation_graphs.ipynb": {"image/svg+xml": 7},
    "logistic_regression.ipynb": {"image/png": 3, "image/svg+xml": 1},
}


def execute(path: Path, folder: str | os.PathLike[str]) -> Any:
    """The notebook at ``path`` executed in ``folder``, with this checkout's package."""
    notebook = nbformat.read(path, as_version=4)
    environment = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), environment]))
    try:
        nbclient.NotebookClient(
            notebook,
            timeout=120,
            kernel_name="python3",
            record_timing=False,  # no timestamps: a re-saved notebook changes only if outputs do
            resources={"metadata": {"path": str(folder)}},
        ).execute()  # raises CellExecutionError, with the cell and its traceback
    finally:
        if environment is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = environment
    return notebook


def code_cells(notebook: Any) -> list[Any]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def images(notebook: Any) -> Counter:
    """How many outputs of each image type the notebook holds."""
    return Counter(
        kind
        for cell in code_cells(notebook)
        for output in cell.outputs
        for kind in output.get("data", {})
        if kind.startswith("image/")
    )


def visible_text(cell: Any) -> tuple[str, list[str], list[str]]:
    """What a reader sees of a cell's outputs, minus what changes from run to run: the
    printed text, the kinds of images, and the text of results that are not images (an
    image's text/plain is an object's address)."""
    printed = "".join(o.text for o in cell.outputs if o.output_type == "stream")
    kinds, results = [], []
    for output in cell.outputs:
        data = output.get("data", {})
        shown = sorted(kind for kind in data if kind.startswith("image/"))
        if shown:
            kinds.append("+".join(shown))
        elif "text/plain" in data:
            results.append(data["text/plain"])
    return printed, kinds, results


def test_there_are_notebooks():
    assert {nb.name for nb in NOTEBOOKS} >= set(MINIMUM_IMAGES)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[nb.name for nb in NOTEBOOKS])
def test_saved_notebook_shows_its_outputs(path):
    """Every code cell was run, in order, without an error, and the drawings and plots are
    in the file (so GitHub shows them)."""
    assert not what_is_missing(nbformat.read(path, as_version=4), path.name)


def what_is_missing(notebook: Any, name: str) -> list[str]:
    """Why a saved notebook does not show its outputs (empty when it does)."""
    problems = []
    cells = code_cells(notebook)
    counts = [cell.execution_count for cell in cells]
    if counts != list(range(1, len(cells) + 1)):
        problems.append(f"{name} is not saved executed top to bottom: {counts}")
    if any(o.output_type == "error" for cell in cells for o in cell.outputs):
        problems.append(f"{name} is saved with an error output")
    found = images(notebook)
    for kind, least in MINIMUM_IMAGES.get(name, {}).items():
        if found[kind] < least:
            problems.append(f"{name} holds {found[kind]} {kind}, expected >= {least}")
    return [f"{problem}; save it with: {SAVE_COMMAND}" for problem in problems]


def test_a_notebook_saved_without_outputs_is_caught():
    """The check above can fail: the same notebook with its outputs cleared (as an editor
    or nbstripout would save it) is reported."""
    path = ROOT / "examples" / "computation_graphs.ipynb"
    notebook = nbformat.read(path, as_version=4)
    assert not what_is_missing(notebook, path.name)
    for cell in code_cells(notebook):
        cell.outputs, cell.execution_count = [], None
    problems = what_is_missing(notebook, path.name)
    assert len(problems) == 2
    assert "not saved executed" in problems[0] and "holds 0 image/svg+xml" in problems[1]


def test_saving_is_stable():
    """Saving strips object addresses and joins a cell's split prints, and visible_text
    sees a changed print."""
    v4 = nbformat.v4
    cell = v4.new_code_cell("print(1); d", execution_count=1)
    cell.outputs = [
        v4.new_output("stream", name="stdout", text="1"),
        v4.new_output("stream", name="stdout", text="\n"),
        v4.new_output(
            "execute_result",
            data={"text/plain": "<graphviz.graphs.Digraph at 0x7f3a2c1b0d90>"},
            execution_count=1,
        ),
    ]
    notebook = normalized(v4.new_notebook(cells=[cell]))
    (saved,) = code_cells(notebook)
    assert [o.output_type for o in saved.outputs] == ["stream", "execute_result"]
    assert saved.outputs[0].text == "1\n"
    assert saved.outputs[1].data["text/plain"] == "<graphviz.graphs.Digraph>"
    before = visible_text(saved)
    saved.outputs[0].text = "2\n"
    assert visible_text(saved) != before


@pytest.mark.graphviz  # the drawings are rendered to SVG inline, which needs `dot`
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[nb.name for nb in NOTEBOOKS])
def test_notebook_runs_and_its_saved_outputs_are_current(path, tmp_path):
    fresh = execute(path, tmp_path)
    errors = [o for cell in code_cells(fresh) for o in cell.outputs if o.output_type == "error"]
    assert not errors
    saved = nbformat.read(path, as_version=4)
    for before, after in zip(code_cells(saved), code_cells(fresh), strict=True):
        assert visible_text(before) == visible_text(after), (
            f"{path.name}: the saved outputs of this cell are not what the code gives now; "
            f"save the notebook again ({SAVE_COMMAND}):\n{after.source}"
        )


def normalized(notebook: Any) -> Any:
    """The notebook as saved: object addresses taken out of text outputs
    (``<graphviz.graphs.Digraph at 0x7f...>``) and consecutive prints of a cell joined into
    one output (the kernel splits them at random), so saving again changes nothing unless
    an output does."""
    for cell in code_cells(notebook):
        outputs: list[Any] = []
        for output in cell.outputs:
            data = output.get("data", {})
            if "text/plain" in data:
                data["text/plain"] = ADDRESS.sub(">", data["text/plain"])
            previous = outputs[-1] if outputs else None
            if (
                output.output_type == "stream"
                and previous is not None
                and previous.output_type == "stream"
                and previous.name == output.name
            ):
                previous.text += output.text
            else:
                outputs.append(output)
        cell.outputs = outputs
    return notebook


def save(paths: list[Path]) -> None:
    """Execute each notebook and write it back with its outputs."""
    for path in paths:
        with tempfile.TemporaryDirectory() as folder:
            notebook = normalized(execute(path, folder))
        nbformat.write(notebook, path)
        print(f"saved {path.relative_to(ROOT)} with {sum(images(notebook).values())} images")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Execute the notebooks and save them.")
    parser.add_argument("--save", action="store_true", help="write the executed notebooks")
    parser.add_argument("notebooks", nargs="*", type=Path, default=NOTEBOOKS)
    args = parser.parse_args()
    if not args.save:
        parser.error("nothing to do: pass --save")
    save([p.resolve() for p in args.notebooks])
    sys.exit(0)
