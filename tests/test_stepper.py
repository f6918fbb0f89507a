"""`micrograd_lr.stepper`: the frames (what is highlighted, which gradients are known), the
self-contained page, the GIF, and the example page shipped in the docs."""

import html
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from stepper_cases import J_FRAMES, j_course

from micrograd_lr import Value, explain
from micrograd_lr.errors import GraphvizNotFoundError
from micrograd_lr.stepper import Stepper

ROOT = Path(__file__).resolve().parent.parent
DOCS_PAGES = {
    "j.html": ["(a-1)*(b+c)", "a=2", "b=3", "c=4"],
    "shared.html": ["a*(b+c)-(b+c)", "a=2", "b=3", "c=4"],
}


def j_shared():
    a, b, c = Value(2.0, "a"), Value(3.0, "b"), Value(4.0, "c")
    return a * (b + c) - (b + c)


def names_of(stepper, frame):
    names = stepper.explanation.names
    return {names[node]: text for node, text in frame.grads.items()}


# --------------------------------------------------------------------------------------------
# Frames (no Graphviz needed)
# --------------------------------------------------------------------------------------------
def test_frames_of_the_course_example():
    stepper = Stepper(j_course())
    names = stepper.explanation.names
    summary = [
        (
            frame.active and names[frame.active],
            frame.receive and names[frame.receive],
            names_of(stepper, frame),
        )
        for frame in stepper.frames
    ]
    assert summary == J_FRAMES
    assert stepper.frames[0].line.startswith("Forward pass")
    lines = [frame.line for frame in stepper.frames[1:]]
    assert lines == [stepper.explanation.backward_line(s) for s in stepper.explanation.backward]


def test_a_running_sum_is_marked_until_every_path_is_counted():
    stepper = Stepper(j_shared())
    shown = [names_of(stepper, frame).get("b") for frame in stepper.frames]
    assert "-1 …" in shown
    assert shown[-1] == "1"
    first_final = shown.index("1")  # the last path in: then the sum is written out
    assert stepper.frames[first_final].line.startswith("dJ/db (path 2 of 2) = ")
    assert stepper.frames[first_final + 1].line == "dJ/db = (-1) + 2 = 1, two paths"


def test_the_edge_of_each_use_is_told_apart():
    x = Value(3.0, "x")
    stepper = Stepper(x * x)
    edges = [frame.edge for frame in stepper.frames if frame.edge]
    assert [(e[0] is x, e[2]) for e in edges] == [(True, 0), (True, 1)]


def test_explanation_stepper_and_bad_arguments():
    e = explain(j_course())
    assert len(e.stepper().frames) == len(e.backward) + 1
    with pytest.raises(TypeError, match="Explanation or a Value"):
        Stepper(3.0)
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        Stepper(j_course(), timeout=0)
    assert repr(Stepper(j_course())) == "<Stepper over J: 7 frames>"


# --------------------------------------------------------------------------------------------
# The page and the SVG (need Graphviz)
# --------------------------------------------------------------------------------------------
@pytest.mark.graphviz
def test_the_page_is_self_contained():
    page = Stepper(j_shared()).to_html()
    assert page.startswith("<!DOCTYPE html>")
    # Nothing is fetched: no src/href attributes, stylesheets, imports or url() references.
    assert not re.search(r"\b(src|href)\s*=", page)
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) <= {
        "http://www.w3.org/2000/svg",
        "http://www.w3.org/1999/xlink",
    }
    frames = json.loads(re.search(r'class="mglr-frames">(.*?)</script>', page).group(1))
    assert len(frames) == 12 and frames[0] == {"line": frames[0]["line"], "set": {}}


@pytest.mark.graphviz
def test_the_svg_marks_every_node_edge_and_gradient():
    stepper = Stepper(j_course())
    svg = stepper.svg()
    assert sorted(re.findall(r'data-name="(\w+)"', svg)) == ["J", "a", "b", "c", "u", "v"]
    assert svg.count('class="mglr-grad"') == 6
    assert len(re.findall(r'data-edge="[^"]+"', svg)) == 8
    assert "<title>" not in svg and ' id="node' not in svg  # no tooltips, no clashing ids


@pytest.mark.graphviz
def test_labels_cannot_break_out_of_the_page():
    evil = Value(1.0, "</script><script>alert(1)</script>")
    page = Stepper(evil * 2).to_html()
    assert "<script>alert(1)" not in page
    assert page.count("<script") == 2  # the frames (JSON) and the stepper's own script
    assert html.escape("</script><script>alert(1)</script>") in page


@pytest.mark.graphviz
def test_two_steppers_on_one_page_do_not_clash():
    first, second = Stepper(j_course())._repr_html_(), Stepper(j_shared())._repr_html_()
    uid = re.compile(r'id="(mglr-[0-9a-f]+)"')
    assert uid.search(first).group(1) != uid.search(second).group(1)
    assert "<!DOCTYPE" not in first and "document.addEventListener" in first  # keys: scoped
    assert "if (false)" in first


@pytest.mark.graphviz
def test_a_frame_as_svg_highlights_and_captions():
    stepper = Stepper(j_course())
    frame = stepper.frame_svg(6)
    assert "6/6  dJ/da = dJ/du * du/da = 7 * 1 = 7" in frame
    assert frame.count("mglr-active") >= 3  # the style, u and its operation
    assert "mglr-receive" in frame and "mglr-carry" in frame
    assert ">grad ?<" not in frame and ">grad ?<" in stepper.frame_svg(0)


@pytest.mark.graphviz
def test_the_gif_has_one_frame_per_step_and_loops(tmp_path):
    stepper = Stepper(j_course())
    path = stepper.write_gif(tmp_path / "steps.gif", duration=100, scale=1)
    with Image.open(path) as image:
        assert image.n_frames == 7 and image.info.get("loop") == 0
        pictures = []
        for i in range(image.n_frames):
            image.seek(i)
            pictures.append(image.convert("RGB").tobytes())
    assert len(set(pictures)) == 7
    with pytest.raises(ValueError, match="duration"):
        stepper.gif(duration=5)


def test_without_graphviz_the_picture_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GraphvizNotFoundError, match="install Graphviz"):
        Stepper(j_course()).svg()


@pytest.mark.graphviz
def test_graphviz_runs_with_a_time_limit():
    with pytest.raises(TimeoutError, match="more than 1e-06 s"):
        Stepper(j_course(), timeout=1e-6).svg()


# --------------------------------------------------------------------------------------------
# The pages shipped with the docs
# --------------------------------------------------------------------------------------------
def _content(page):
    """What a page shows, without Graphviz's coordinates (which vary between versions)."""
    frames = re.search(r'class="mglr-frames">(.*?)</script>', page).group(1)
    side = re.search(r'<div class="mglr-side">.*?</div>\n</div>', page, re.S).group(0)
    names = sorted(re.findall(r'data-name="([^"]+)"', page))
    edges = sorted(re.findall(r'data-edge="([^"]+)"', page))
    texts = sorted(t for t in re.findall(r">([^<>]+)</text>", page))
    return frames, side, names, edges, texts


@pytest.mark.graphviz
@pytest.mark.parametrize("name", sorted(DOCS_PAGES))
def test_the_docs_stepper_pages_are_up_to_date(name, tmp_path):
    committed = ROOT / "docs" / "stepper" / name
    fresh = tmp_path / name
    subprocess.run(
        [sys.executable, "-m", "micrograd_lr", "explain", *DOCS_PAGES[name], "--html", str(fresh)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert _content(committed.read_text()) == _content(fresh.read_text()), (
        f"docs/stepper/{name} is out of date: regenerate it with "
        f"python -m micrograd_lr explain {' '.join(DOCS_PAGES[name])} --html docs/stepper/{name}"
    )


@pytest.mark.graphviz
def test_a_drawing_too_large_for_a_gif_is_refused_with_the_way_out():
    x = Value(0.3, "x")
    y = x
    for i in range(99):
        y = (y * 1.01).tanh() if i % 2 else y + 0.5
    with pytest.raises(ValueError, match=r"too large for a readable GIF; use the HTML stepper"):
        Stepper(y).gif()
