"""A backward-pass stepper: the drawn graph, one frame per step of `micrograd_lr.explain`, as a
self-contained HTML page (also shown inline in Jupyter) or an animated GIF."""

from __future__ import annotations

import hashlib
import html
import io
import json
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import graphviz

from .atomic import write_atomic
from .engine import Value
from .errors import GraphvizError, GraphvizTimeoutError
from .explain import DEFAULT_MAX_NODES, Explanation, explain
from .render import DEFAULT_DIGITS, dot_failure_reason, draw, node_ids, run_dot

__all__ = ["DEFAULT_DOT_TIMEOUT", "GIF_INSTALL_HINT", "Frame", "Stepper", "gif_available"]

DEFAULT_DOT_TIMEOUT = 30.0
"""Seconds Graphviz may take to lay out the graph before the stepper gives up."""

GIF_INSTALL_HINT = "pip install 'micrograd_lr[gif]' (Pillow and CairoSVG)"

MAX_GIF_FRAME_PIXELS = 4_000_000
"""A GIF frame larger than this is rendered at a smaller scale."""

MAX_GIF_PIXELS = 400_000_000
"""Largest GIF made (frames times pixels per frame; about this many bytes of memory)."""

_MIN_GIF_SCALE = 0.4  # below this the text in the frames is too small to read

_SVG = "http://www.w3.org/2000/svg"
_NS = f"{{{_SVG}}}"
ET.register_namespace("", _SVG)
ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")

# How the steps look; shared by the page (toggled by its script) and the GIF frames.
_CSS = """
g.mglr-active > polygon, g.mglr-active > ellipse { stroke: #d62728; stroke-width: 3px; }
g.mglr-receive > polygon { stroke: #1f77b4; stroke-width: 3px; }
g.mglr-carry > path { stroke: #d62728; stroke-width: 3px; }
g.mglr-carry > polygon { stroke: #d62728; fill: #d62728; }
text.mglr-unknown { fill: #9ca3af; }
text.mglr-new { fill: #d62728; font-weight: bold; }
"""


@dataclass(frozen=True)
class Frame:
    """One picture of the stepper.

    Attributes
    ----------
    line : str
        The explanation of this step (frame 0: the forward pass).
    active : Value or None
        The node being processed (None in the forward frame).
    receive : Value or None
        The operand whose gradient this step changes (for a chain-rule step).
    edge : (Value, Value, int) or None
        The edge carrying the gradient: operand, consumer, and which use of that operand
        in the consumer it is (0 for the first; ``x * x`` has two).
    grads : dict of Value to str
        The gradient shown on each node whose gradient is known so far (a running sum
        ends with ``…`` until every path has been counted).
    """

    line: str
    active: Value | None
    receive: Value | None
    edge: tuple[Value, Value, int] | None
    grads: dict[Value, str]


def gif_available() -> bool:
    """Whether the packages for GIF output (Pillow and CairoSVG with its cairo library) can
    be imported."""
    try:
        import cairosvg  # noqa: F401
        import PIL  # noqa: F401
    except (ImportError, OSError):  # OSError: CairoSVG installed, libcairo missing
        return False
    return True


class Stepper:
    """The backward pass of a graph as frames: the drawn graph with, at each step, the node
    being processed and the edge carrying the gradient highlighted, the gradients known so
    far filled in, and the step's line from the explanation beside it. Frame 0 is the
    forward pass (values only).

    In Jupyter it displays inline with Previous/Next buttons, a slider and arrow keys;
    `write_html` saves the same as one self-contained page (no network access needed) and
    `write_gif` as an animated GIF.

    Parameters
    ----------
    source : Explanation or Value
        The explanation to step through, or a graph's output (explained with `explain`).
    digits : int, default 4
        Significant digits of the numbers shown (with a Value).
    max_nodes : int or None, default 200
        Refuse larger graphs (with a Value; see `explain`).
    timeout : float, default 30
        Seconds Graphviz may take to lay out the graph.

    Examples
    --------
    >>> a, b, c = Value(2.0, "a"), Value(3.0, "b"), Value(4.0, "c")
    >>> stepper = Stepper((a - 1) * (b + c))
    >>> len(stepper.frames), stepper.frames[2].line
    (7, 'dJ/du = 7 (the local derivative of J = u * v)')
    """

    def __init__(
        self,
        source: Explanation | Value,
        *,
        digits: int = DEFAULT_DIGITS,
        max_nodes: int | None = DEFAULT_MAX_NODES,
        timeout: float = DEFAULT_DOT_TIMEOUT,
    ) -> None:
        if isinstance(source, Value):
            source = explain(source, digits=digits, max_nodes=max_nodes)
        if not isinstance(source, Explanation):
            raise TypeError(
                f"Stepper needs an Explanation or a Value, got {type(source).__name__}: {source!r}"
            )
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        self.explanation = source
        self.timeout = float(timeout)
        self.frames = _frames(source)
        self._svg: str | None = None

    # --- the picture --------------------------------------------------------------------------
    def svg(self) -> str:
        """The graph drawn once by Graphviz, with every node and edge marked for styling:
        ``data-id`` (the DOT name, see `micrograd_lr.render.node_ids`) and ``data-name`` on
        nodes, ``data-tail``, ``data-head`` and ``data-k`` on edges, class ``mglr-grad`` on
        each gradient's text. Computed on first use.

        Raises
        ------
        GraphvizNotFoundError
            Without the ``dot`` program.
        TimeoutError
            When Graphviz takes longer than ``timeout`` seconds.
        """
        if self._svg is None:
            explanation = self.explanation
            source = draw(
                explanation.root, names=True, digits=explanation.digits, max_nodes=None
            ).source
            self._svg = _mark_svg(_run_dot(source, self.timeout), explanation)
        return self._svg

    def frame_svg(self, index: int, *, caption: bool = True) -> str:
        """Frame ``index`` as a standalone SVG image (styled, gradients filled in), with the
        step's line as a caption below the graph."""
        frame = self.frames[index]
        tree = ET.fromstring(self.svg())
        ids = node_ids(self.explanation.root)
        state = _state_classes(frame, ids)
        before = self.frames[index - 1].grads if index else {}
        changed = {ids[node] for node, text in frame.grads.items() if before.get(node) != text}
        for g in tree.iter(f"{_NS}g"):
            key = g.get("data-id") or g.get("data-edge")
            if key in state:
                g.set("class", f"{g.get('class', '')} {state[key]}".strip())
            if g.get("class", "").startswith("node"):
                for text in g.iter(f"{_NS}text"):
                    if text.get("class") == "mglr-grad":
                        shown = _shown_grad(frame, ids, g.get("data-id", ""))
                        text.text = f"grad {shown}"
                        if shown == "?":
                            text.set("class", "mglr-grad mglr-unknown")
                        elif g.get("data-id") in changed:
                            text.set("class", "mglr-grad mglr-new")
        style = ET.SubElement(tree, f"{_NS}style")
        style.text = _CSS
        tree.insert(0, style)
        if caption:
            _add_caption(tree, f"{index}/{len(self.frames) - 1}  {frame.line}")
        return ET.tostring(tree, encoding="unicode")

    # --- HTML ---------------------------------------------------------------------------------
    def _component(self, *, page_keys: bool) -> str:
        """The stepper as one HTML element with its own style and script."""
        explanation = self.explanation
        ids = node_ids(explanation.root)
        frames = []
        previous: dict[str, str] = {}
        for frame in self.frames:
            record: dict[str, Any] = {"line": frame.line}
            if frame.active is not None:
                record["active"] = ids[frame.active]
            if frame.receive is not None:
                record["receive"] = ids[frame.receive]
            if frame.edge is not None:
                parent, consumer, k = frame.edge
                record["edge"] = f"{ids[parent]}>{ids[consumer]}_op>{k}"
            grads = {ids[node]: text for node, text in frame.grads.items()}
            record["set"] = {k: v for k, v in grads.items() if previous.get(k) != v}
            previous = grads
            frames.append(record)
        data = json.dumps(frames, ensure_ascii=False, separators=(",", ":"))
        data = data.replace("<", "\\u003c")  # no "</script>" inside the script
        svg = self.svg()
        uid = "mglr-" + hashlib.sha1((svg + data).encode()).hexdigest()[:10]
        forward = "\n".join(
            html.escape(explanation.forward_line(step)) for step in explanation.forward
        )
        steps = "".join(
            f"<li>{html.escape(explanation.backward_line(step))}</li>"
            for step in explanation.backward
        )
        css = _CSS.replace("g.", f"#{uid} g.").replace("text.", f"#{uid} text.")
        last = len(self.frames) - 1
        title = html.escape(f"Backpropagation through {explanation.output_name}, step by step")
        return _COMPONENT.format(
            uid=uid,
            title=title,
            css=css,
            last=last,
            svg=svg,
            forward=forward,
            steps=steps,
            data=data,
            script=_SCRIPT.replace("__UID__", uid).replace(
                "__PAGE_KEYS__", "true" if page_keys else "false"
            ),
        )

    def to_html(self) -> str:
        """A complete, self-contained HTML page: inline SVG, style and script, nothing
        loaded from the network."""
        title = html.escape(f"Backpropagation through {self.explanation.output_name}, step by step")
        return _PAGE.format(title=title, body=self._component(page_keys=True))

    def _repr_html_(self) -> str:
        return self._component(page_keys=False)

    def write_html(self, path: str | os.PathLike[str]) -> Path:
        """Write `to_html` to ``path`` atomically; returns the path."""
        return write_atomic(path, self.to_html())

    # --- GIF ----------------------------------------------------------------------------------
    def gif(self, *, duration: int = 1500, scale: float = 1.0) -> bytes:
        """The frames as an animated GIF that loops: ``duration`` milliseconds per frame
        (twice that on the first and last), rendered at ``scale`` times the drawing's size.

        Needs Pillow and CairoSVG (``pip install 'micrograd_lr[gif]'``) and Graphviz.
        """
        if isinstance(duration, bool) or not isinstance(duration, int) or duration < 20:
            raise ValueError(f"duration must be an int of at least 20 ms, got {duration!r}")
        if not isinstance(scale, int | float) or not 0.25 <= scale <= 8:
            raise ValueError(f"scale must be from 0.25 to 8, got {scale!r}")
        if not gif_available():
            raise ModuleNotFoundError(f"GIF output needs Pillow and CairoSVG: {GIF_INSTALL_HINT}")
        import cairosvg
        from PIL import Image

        scale = self._gif_scale(scale)
        images = []
        for index in range(len(self.frames)):
            png = cairosvg.svg2png(
                bytestring=self.frame_svg(index).encode(), scale=scale, background_color="white"
            )
            # One byte per pixel from the start: the GIF encoder holds every frame.
            images.append(
                Image.open(io.BytesIO(png))
                .convert("RGB")
                .quantize(colors=255, method=Image.Quantize.FASTOCTREE)
            )
        durations = [duration] * len(images)
        durations[0] = durations[-1] = 2 * duration
        out = io.BytesIO()
        images[0].save(
            out,
            format="GIF",
            save_all=True,
            append_images=images[1:],
            duration=durations,
            loop=0,
        )
        return out.getvalue()

    def _gif_scale(self, scale: float) -> float:
        """``scale``, reduced so that a frame stays under `MAX_GIF_FRAME_PIXELS`; refuses a
        drawing too large to read in a GIF, or too many large frames."""
        tree = ET.fromstring(self.frame_svg(0))
        # CairoSVG renders at 96 pixels per inch; Graphviz sizes the SVG in points (72/inch).
        width = _points(tree.get("width", "0pt")) * 96 / 72
        height = _points(tree.get("height", "0pt")) * 96 / 72
        if width * height * scale**2 > MAX_GIF_FRAME_PIXELS:
            scale = (MAX_GIF_FRAME_PIXELS / (width * height)) ** 0.5
        pixels = width * height * scale**2
        if scale < _MIN_GIF_SCALE or pixels * len(self.frames) > MAX_GIF_PIXELS:
            raise ValueError(
                f"the drawing is {width:.0f} x {height:.0f} pixels and has "
                f"{len(self.frames)} frames: too large for a readable GIF; use the HTML "
                "stepper (--html), which scrolls, or step through a smaller example"
            )
        return scale

    def write_gif(
        self, path: str | os.PathLike[str], *, duration: int = 1500, scale: float = 1.0
    ) -> Path:
        """Write `gif` to ``path`` atomically; returns the path."""
        return write_atomic(path, self.gif(duration=duration, scale=scale))

    def __repr__(self) -> str:
        return f"<Stepper over {self.explanation.output_name}: {len(self.frames)} frames>"


# --------------------------------------------------------------------------------------------
# Frames
# --------------------------------------------------------------------------------------------
def _frames(explanation: Explanation) -> list[Frame]:
    """Frame 0 (the forward pass), then one frame per backward step."""
    shown: dict[Value, str] = {}
    frames = [
        Frame(
            "Forward pass: every value computed, no gradient known yet. "
            "Step forward to backpropagate.",
            None,
            None,
            None,
            {},
        )
    ]
    number = explanation._number
    for step in explanation.backward:
        line = explanation.backward_line(step)
        shown[step.node] = number(step.grad) if step.complete else number(step.grad) + " …"
        if step.kind == "edge":
            assert step.consumer is not None and step.operand is not None
            k = step.consumer.parents[: step.operand].count(step.node)
            frames.append(
                Frame(line, step.consumer, step.node, (step.node, step.consumer, k), dict(shown))
            )
        else:
            frames.append(Frame(line, step.node, None, None, dict(shown)))
    return frames


def _state_classes(frame: Frame, ids: dict[Value, str]) -> dict[str, str]:
    """CSS classes of the highlighted nodes and edge of a frame, by ``data-id``/edge key."""
    classes: dict[str, str] = {}
    if frame.receive is not None:
        classes[ids[frame.receive]] = "mglr-receive"
    if frame.active is not None:
        classes[ids[frame.active]] = "mglr-active"
        classes[ids[frame.active] + "_op"] = "mglr-active"
    if frame.edge is not None:
        parent, consumer, k = frame.edge
        classes[f"{ids[parent]}>{ids[consumer]}_op>{k}"] = "mglr-carry"
    return classes


def _shown_grad(frame: Frame, ids: dict[Value, str], dot_id: str) -> str:
    for node, text in frame.grads.items():
        if ids[node] == dot_id:
            return text
    return "?"


# --------------------------------------------------------------------------------------------
# Graphviz and the SVG
# --------------------------------------------------------------------------------------------
def _run_dot(source: str, timeout: float) -> str:
    """Lay out DOT ``source`` as SVG with the ``dot`` program (`render.run_dot`: a larger
    stack, a time limit), with the stepper's own messages."""
    try:
        return run_dot(source, "svg", timeout=timeout, what="the stepper's graph").decode()
    except GraphvizTimeoutError:
        raise TimeoutError(
            f"Graphviz took more than {timeout:g} s to lay out the graph: step through a "
            "smaller example, or allow more time (timeout=...)"
        ) from None
    except graphviz.CalledProcessError as error:
        raise GraphvizError(
            f"Graphviz could not draw the stepper's graph: {dot_failure_reason(error)}"
        ) from None


def _mark_svg(svg: str, explanation: Explanation) -> str:
    """Graphviz's SVG with data attributes for the stepper; titles (tooltips showing DOT
    names) and ids (which would clash between two steppers on one page) removed."""
    tree = ET.fromstring(svg)
    names = {dot_id: explanation.names[node] for node, dot_id in node_ids(explanation.root).items()}
    uses: dict[str, int] = {}
    edges = []
    for g in tree.iter(f"{_NS}g"):
        title = g.find(f"{_NS}title")
        label = "" if title is None or title.text is None else title.text
        if title is not None:
            g.remove(title)
        kind = g.get("class")
        if kind == "node":
            g.set("data-id", label)
            if label in names:
                g.set("data-name", names[label])
            for text in g.iter(f"{_NS}text"):
                if (text.text or "").replace("\xa0", " ").startswith("grad "):
                    text.set("class", "mglr-grad")
        elif kind == "edge":
            tail, _, head = label.partition("->")
            edges.append((int(re.sub(r"\D", "", g.get("id", "0")) or 0), g, tail, head))
        g.attrib.pop("id", None)
    # The k-th edge between the same two nodes (x * x) is the k-th one Graphviz created.
    for _, g, tail, head in sorted(edges, key=lambda e: e[0]):
        tail, head = tail.split(":")[0], head.split(":")[0]
        k = uses.get(f"{tail}>{head}", 0)
        uses[f"{tail}>{head}"] = k + 1
        g.set("data-tail", tail)
        g.set("data-head", head)
        g.set("data-k", str(k))
        g.set("data-edge", f"{tail}>{head}>{k}")
    return ET.tostring(tree, encoding="unicode")


def _points(length: str) -> float:
    """An SVG length from Graphviz (``"547pt"``) in points."""
    return float(re.sub(r"[a-z]+$", "", length))


def _add_caption(tree: ET.Element, text: str) -> None:
    """Add a line of text under the drawing, widening the image if the line needs it."""
    width, height = _points(tree.get("width", "0pt")), _points(tree.get("height", "0pt"))
    size = 13.0
    needed = 8 + 0.6 * size * len(text)  # Helvetica averages about 0.55 em per character
    new_width, new_height = max(width, needed), height + 2.4 * size
    tree.set("width", f"{new_width:g}pt")
    tree.set("height", f"{new_height:g}pt")
    tree.set("viewBox", f"0 0 {new_width:g} {new_height:g}")
    background = ET.Element(f"{_NS}rect", x="0", y="0", fill="white")
    background.set("width", f"{new_width:g}")
    background.set("height", f"{new_height:g}")
    tree.insert(0, background)
    caption = ET.SubElement(tree, f"{_NS}text", x="4", y=f"{height + 1.6 * size:g}")
    caption.set("font-family", "Helvetica,sans-Serif")
    caption.set("font-size", f"{size:g}")
    caption.text = text


# --------------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------------
_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       margin: 1.5rem; color: #111827; }}
</style>
</head>
<body>
{body}
</body>
</html>
"""

_COMPONENT = """<div class="mglr-stepper" id="{uid}" tabindex="0" data-step="0">
<style>
#{uid} {{ font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
          outline: none; }}
#{uid} .mglr-controls {{ display: flex; gap: .5rem; align-items: center; margin: .5rem 0; }}
#{uid} .mglr-controls input {{ flex: 1; max-width: 24rem; }}
#{uid} .mglr-body {{ display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-start; }}
#{uid} .mglr-picture svg {{ max-width: 100%; height: auto; }}
#{uid} .mglr-side {{ flex: 1; min-width: 18rem; font-size: .9rem; }}
#{uid} .mglr-line {{ font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 1rem;
                     padding: .5rem; background: #fef3c7; border-radius: 4px; }}
#{uid} pre, #{uid} ol {{ font-family: ui-monospace, Menlo, Consolas, monospace; }}
#{uid} li.mglr-todo {{ color: #9ca3af; }}
#{uid} li.mglr-current {{ font-weight: bold; color: #d62728; }}
{css}
</style>
<div class="mglr-controls">
<button type="button" class="mglr-prev" title="Previous step (left arrow)">&#9664; Previous</button>
<input type="range" class="mglr-slider" min="0" max="{last}" value="0" aria-label="step">
<button type="button" class="mglr-next" title="Next step (right arrow)">Next &#9654;</button>
<span class="mglr-counter">step 0 of {last}</span>
</div>
<div class="mglr-body">
<div class="mglr-picture">{svg}</div>
<div class="mglr-side">
<div class="mglr-line"></div>
<p class="mglr-legend"><span style="color:#d62728">red</span>: the node being processed and
the edge carrying its gradient; <span style="color:#1f77b4">blue</span>: the operand
receiving it; grad ? is not known yet, and a sum ending in … still waits for other paths.</p>
<p><b>Forward pass</b></p>
<pre class="mglr-forward">{forward}</pre>
<p><b>Backward pass</b> (the engine's order)</p>
<ol class="mglr-steps">{steps}</ol>
</div>
</div>
<script type="application/json" class="mglr-frames">{data}</script>
<script>{script}</script>
</div>"""

_SCRIPT = """
(function () {
  "use strict";
  var root = document.getElementById("__UID__");
  if (!root || root.getAttribute("data-ready")) { return; }
  root.setAttribute("data-ready", "1");
  var frames = JSON.parse(root.querySelector("script.mglr-frames").textContent);
  var last = frames.length - 1;
  var svg = root.querySelector(".mglr-picture svg");
  var marked = svg.querySelectorAll("g.node, g.edge");
  var gradText = {};
  svg.querySelectorAll("g.node").forEach(function (g) {
    var t = g.querySelector("text.mglr-grad");
    if (t) { gradText[g.getAttribute("data-id")] = t; }
  });
  var slider = root.querySelector(".mglr-slider");
  var prev = root.querySelector(".mglr-prev");
  var next = root.querySelector(".mglr-next");
  var counter = root.querySelector(".mglr-counter");
  var line = root.querySelector(".mglr-line");
  var items = root.querySelectorAll(".mglr-steps li");
  var current = 0;

  function show(k) {
    k = Math.max(0, Math.min(last, k));
    current = k;
    var shown = {};
    var i;
    for (i = 1; i <= k; i++) {
      var set = frames[i].set;
      for (var id in set) { shown[id] = set[id]; }
    }
    var changed = frames[k].set || {};
    for (var node in gradText) {
      var text = gradText[node];
      var value = shown[node];
      text.textContent = "grad " + (value === undefined ? "?" : value);
      text.classList.toggle("mglr-unknown", value === undefined);
      text.classList.toggle("mglr-new", k > 0 && changed[node] !== undefined);
    }
    var f = frames[k];
    marked.forEach(function (g) {
      var id = g.getAttribute("data-id");
      g.classList.toggle("mglr-active",
        f.active !== undefined && (id === f.active || id === f.active + "_op"));
      g.classList.toggle("mglr-receive", f.receive !== undefined && id === f.receive);
      g.classList.toggle("mglr-carry",
        f.edge !== undefined && g.getAttribute("data-edge") === f.edge);
    });
    line.textContent = f.line;
    counter.textContent = "step " + k + " of " + last;
    slider.value = String(k);
    prev.disabled = k === 0;
    next.disabled = k === last;
    for (i = 0; i < items.length; i++) {
      items[i].className = i < k - 1 ? "mglr-done" : (i === k - 1 ? "mglr-current" : "mglr-todo");
    }
    root.setAttribute("data-step", String(k));
  }

  function onKey(event) {
    var keys = {ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1};
    if (event.target === slider) { return; }  // the slider moves itself
    if (event.key in keys) { show(current + keys[event.key]); }
    else if (event.key === "Home") { show(0); }
    else if (event.key === "End") { show(last); }
    else { return; }
    event.preventDefault();
  }

  prev.addEventListener("click", function () { show(current - 1); });
  next.addEventListener("click", function () { show(current + 1); });
  slider.addEventListener("input", function () { show(parseInt(slider.value, 10)); });
  if (__PAGE_KEYS__) { document.addEventListener("keydown", onKey); }
  else { root.addEventListener("keydown", onKey); }
  show(0);
})();
"""
