"""The notebooks in examples/ execute from top to bottom without an error.

Every notebook checks its own numbers with ``assert`` cells, so running it is a test. The
kernel imports this checkout's package (PYTHONPATH), and runs in a temporary folder.
"""

import importlib.util
import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "examples").glob("*.ipynb"))

# What each notebook needs beyond the engine (modules written in parallel with this test).
NEEDS = {
    "computation_graphs.ipynb": ["micrograd_lr.render"],
    "logistic_regression.ipynb": ["micrograd_lr.render", "micrograd_lr.logistic"],
}


def test_there_are_notebooks():
    assert {nb.name for nb in NOTEBOOKS} >= set(NEEDS)


@pytest.mark.graphviz  # the drawings are rendered to SVG inline, which needs `dot`
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[nb.name for nb in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, monkeypatch):
    missing = [m for m in NEEDS.get(path.name, []) if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not in this version")
    pythonpath = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    monkeypatch.setenv("PYTHONPATH", pythonpath)
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError, with the cell and its traceback
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert not errors
