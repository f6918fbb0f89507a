"""The drawing example runs, writes both images, and the picture in the docs is current."""

import runpy
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


def svg_texts(path):
    ns = "{http://www.w3.org/2000/svg}"
    return [t.text for t in ET.parse(path).iter(f"{ns}text")]


@pytest.mark.graphviz
def test_example_writes_svg_and_png(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["draw_graph.py", "--out", str(tmp_path)])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_path(str(ROOT / "examples" / "draw_graph.py"), run_name="__main__")
    assert exit_.value.code == 0
    assert (tmp_path / "j_graph.png").read_bytes().startswith(b"\x89PNG")
    texts = svg_texts(tmp_path / "j_graph.svg")
    assert {"J", "a", "b", "c", "data 7", "grad 7"} <= set(texts)
    assert "J  data=7  grad=1  [*]" in capsys.readouterr().out
    # The committed picture shows the same labels, numbers and operations (the layout
    # coordinates may differ between Graphviz versions).
    assert sorted(svg_texts(ROOT / "docs" / "images" / "j_graph.svg")) == sorted(texts)
