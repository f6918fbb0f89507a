"""Drawing computation graphs: Graphviz DOT source, SVG/PNG/PDF files, and a text tree.

A drawing has one record per `Value` (its label, data and grad) and one small node per
operation between the operands and the result, as in the classic micrograd picture. Numbers
folded into a node appear in the operation's node (``x * 3`` shows ``* 3``; ``3 - x`` shows
``3 -``). Nodes are numbered in a traversal order fixed by the graph's structure, so the
same graph always gives byte-identical DOT source.

Building the DOT source needs only the ``graphviz`` Python package; rendering SVG, PNG or
PDF needs the Graphviz ``dot`` program.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import signal
import subprocess
import sys
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any, NamedTuple

import graphviz

from . import graph
from .atomic import resolve_target, write_atomic
from .engine import Value
from .errors import GraphTooLargeError, GraphvizNotFoundError, GraphvizTimeoutError
from .names import node_names

__all__ = [
    "BOUNDED_LAYOUT",
    "DEFAULT_DIGITS",
    "DEFAULT_MAX_NODES",
    "DEFAULT_PNG_DPI",
    "DEFAULT_TIMEOUT",
    "DOT_STACK_BYTES",
    "FILE_FORMATS",
    "LARGE_GRAPH",
    "RANKDIRS",
    "WORD_JOINER",
    "BoundedDigraph",
    "dot_available",
    "dot_failure_reason",
    "draw",
    "format_number",
    "node_ids",
    "run_dot",
    "to_dot",
    "to_text",
    "too_many_nodes_message",
    "write",
]

DEFAULT_DIGITS = 4
"""Significant digits shown for data and grad."""

DEFAULT_MAX_NODES = 300
"""Largest number of Values drawn before `draw` refuses (Graphviz slows down a lot beyond;
see the render-time table in docs/drawing.md, made by ``benchmarks/bench_render.py``)."""

DEFAULT_TIMEOUT = 30.0
"""Seconds `write` lets the Graphviz ``dot`` program run before giving up."""

LONGEST_TIMEOUT = 1e6
"""Longer timeouts are taken as this (11.6 days): ``poll`` waits at most 2**31 ms."""

LARGE_GRAPH = 80
"""Above this many Values, `draw` bounds the work of dot's layout (see `BOUNDED_LAYOUT`)."""

BOUNDED_LAYOUT = {"nslimit": "0.05", "nslimit1": "1", "mclimit": "0.1", "searchsize": "30"}
"""Graph attributes that cap dot's iterations on a large graph: ``nslimit`` and ``nslimit1``
bound the network-simplex passes that place nodes and rank them, ``mclimit`` the passes
that reduce edge crossings, ``searchsize`` each pass's search. A graph where one Value feeds
many steps (fan-out) otherwise took minutes; bounded, its layout is a little less tidy."""

DOT_STACK_BYTES = 1 << 30
"""Stack size given to the ``dot`` process (POSIX): dot recurses along long chains and
overflowed the usual 8 MiB on a 301-node product chain. Only the pages used are allocated."""

FILE_FORMATS: dict[str, str] = {
    ".svg": "svg",
    ".png": "png",
    ".pdf": "pdf",
    ".dot": "dot",
    ".gv": "dot",
}
"""File extension -> output format understood by `write`."""

RANKDIRS = ("LR", "RL", "TB", "BT")

DEFAULT_PNG_DPI = 150
"""Resolution of PNG files written by `write`."""

INSTALL_HINT = (
    "install Graphviz (Debian/Ubuntu: sudo apt-get install graphviz; Fedora: sudo dnf install "
    "graphviz; macOS: brew install graphviz; Windows: winget install graphviz, then add its "
    "bin folder to PATH; conda: conda install graphviz), or write a .dot file, which needs no "
    "Graphviz"
)

# A fused node lists at most this many folded numbers.
_MAX_CONSTANTS_SHOWN = 4

# Folded chains of these operations are drawn as one n-ary node in the collapsed view.
_ASSOCIATIVE = ("+", "*")

_OUT_PORT = {"LR": "e", "RL": "w", "TB": "s", "BT": "n"}
_IN_PORT = {"LR": "w", "RL": "e", "TB": "n", "BT": "s"}

_LEAF_COLOR = "#dbeafe"
_ROOT_COLOR = "#fde68a"
_NODE_COLOR = "#ffffff"
_OP_COLOR = "#eeeeee"


class _Step(NamedTuple):
    """One Value as drawn: how it was computed from which operands (Values and numbers)."""

    node: Value
    symbol: str | None  # None for a leaf
    operands: tuple[Value | float, ...]
    constant_first: bool


# --------------------------------------------------------------------------------------------
# Text of the labels
# --------------------------------------------------------------------------------------------
def format_number(x: Any, digits: int = DEFAULT_DIGITS) -> str:
    """A number as drawings show it: ``digits`` significant digits, no trailing zeros.

    A `Value` (a gradient built with ``create_graph=True``) shows its data; -0.0 shows as 0.

    Parameters
    ----------
    x : float, int or Value
        The number to show.
    digits : int, default 4
        Significant digits.

    Returns
    -------
    str

    Examples
    --------
    >>> format_number(7.0), format_number(1 / 3), format_number(-0.0), format_number(2.5e-9)
    ('7', '0.3333', '0', '2.5e-09')
    """
    if isinstance(x, Value):
        x = x.data
    x = float(x)
    if x == 0:
        x = 0.0  # -0.0 would print as "-0", which only confuses a picture
    return f"{x:.{digits}g}"


def _visible(text: str) -> str:
    """``text`` with invisible or layout-breaking characters (control and format characters,
    surrogates, line separators) shown as escapes, so every character can be seen and the
    output stays valid XML."""
    out = []
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp"):
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def _label_lines(label: Any) -> list[str]:
    """The lines a label is drawn on: split at newlines, everything else made visible."""
    text = label if isinstance(label, str) else str(label)  # `.label = 5` is possible
    return [_visible(line) for line in text.replace("\r\n", "\n").split("\n")]


def _one_line(label: Any) -> str:
    """A label on one line of text: newlines shown as ``\\n``."""
    return "\\n".join(_label_lines(label))


# Graphviz expands \N, \G, \E, \H, \T and \L inside every label, HTML-like ones included
# (\N becomes the node's name), and even when the backslash is written as an entity; it also
# reads \\ as one backslash. A WORD JOINER (U+2060, zero-width and invisible) after the
# backslash stops the expansion and leaves the text looking exactly as written.
_GRAPHVIZ_ESCAPE = re.compile(r"\\(?=[GNEHTL\\])")
WORD_JOINER = "\u2060"


def _html(text: str) -> str:
    """Text for an HTML-like label: markup characters escaped, no Graphviz expansions."""
    escaped = html.escape(text, quote=True)
    # Graphviz 2.43 refuses a text made only of "]" ("]" or "]]" alone in a cell is a
    # syntax error); the character reference draws the same bracket.
    escaped = escaped.replace("]", "&#93;")
    return _GRAPHVIZ_ESCAPE.sub(lambda _: "\\" + WORD_JOINER, escaped)


def _record(
    node: Value, *, show_grad: bool, digits: int, color: str, name: str | None = None
) -> str:
    """The HTML-like label of a Value: [label |] data | grad, all text escaped. ``name``
    (from `micrograd_lr.names`) is shown in italics where the node has no label."""
    cells = []
    if node.label:
        lines = "<BR/>".join(_html(line) for line in _label_lines(node.label))
        cells.append(f"<TD><B>{lines}</B></TD>")
    elif name:
        cells.append(f"<TD><I>{_html(name)}</I></TD>")
    cells.append(f"<TD>data {format_number(node.data, digits)}</TD>")
    if show_grad:
        cells.append(f"<TD>grad {format_number(node.grad, digits)}</TD>")
    return (
        f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" '
        f'BGCOLOR="{color}"><TR>{"".join(cells)}</TR></TABLE>>'
    )


def _op_text(step: _Step, digits: int) -> str:
    """What an operation's node shows: its symbol and any folded numbers, in written order."""
    assert step.symbol is not None
    constants = [format_number(x, digits) for x in step.operands if not isinstance(x, Value)]
    if not constants:
        return step.symbol
    if step.constant_first:
        return f"{constants[0]} {step.symbol}"
    if len(constants) > _MAX_CONSTANTS_SHOWN:  # a long fused chain, as in sum(xs, 1.0)
        constants = [*constants[:2], f"... ({len(constants)} numbers)"]
    return f"{step.symbol} " + f" {step.symbol} ".join(constants)


# --------------------------------------------------------------------------------------------
# Which nodes are drawn
# --------------------------------------------------------------------------------------------
def _steps(root: Value, *, collapse: bool) -> list[_Step]:
    """Every Value drawn, producers first (leaves in written order, root last)."""
    order = graph.topological_order(root)
    if not collapse:
        return [
            _Step(
                node,
                node.op.symbol if node.op else None,
                node.operands,
                bool(node.op and node.op.constant_first),
            )
            for node in order
        ]

    uses = Counter(parent for parent, _ in graph.edges(root))

    def fusable(x: Value | float, symbol: str) -> bool:
        # Only unlabeled intermediate results used once, so no drawn value is lost that a
        # learner named or that feeds two places.
        return (
            isinstance(x, Value)
            and x.op is not None
            and x.op.symbol == symbol
            and not x.label
            and uses[x] == 1
        )

    absorbed: set[Value] = set()
    steps = []
    for node in reversed(order):  # consumers first: a chain is fused from its top
        if node in absorbed:
            continue
        op = node.op
        if op is None or op.symbol not in _ASSOCIATIVE:
            steps.append(
                _Step(
                    node, op.symbol if op else None, node.operands, bool(op and op.constant_first)
                )
            )
            continue
        operands: list[Value | float] = []
        stack = list(reversed(node.operands))
        fused = False
        while stack:
            x = stack.pop()
            if fusable(x, op.symbol):
                assert isinstance(x, Value)
                absorbed.add(x)
                fused = True
                stack.extend(reversed(x.operands))
            else:
                operands.append(x)
        constant_first = op.constant_first and not fused
        steps.append(_Step(node, op.symbol, tuple(operands), constant_first))
    steps.reverse()
    return steps


def _check_size(
    root: Value, count: int, max_nodes: int | None, *, collapse: bool, text: bool = False
) -> None:
    if max_nodes is None or count <= max_nodes:
        return
    collapsed = None if collapse else len(_steps(root, collapse=True))
    if collapsed is not None and collapsed >= count:
        collapsed = None
    error = GraphTooLargeError(
        too_many_nodes_message(count, max_nodes, collapsed, text=text, options=_API_OPTIONS)
    )
    error.count, error.max_nodes, error.collapsed, error.text = count, max_nodes, collapsed, text
    raise error


_API_OPTIONS = ("max_nodes={}", "collapse=True")


def too_many_nodes_message(
    count: int,
    max_nodes: int,
    collapsed: int | None,
    *,
    text: bool = False,
    options: tuple[str, str] = _API_OPTIONS,
) -> str:
    """The message of `GraphTooLargeError`, with the options named as the caller spells
    them (``("--max-nodes {}", "--collapse")`` on the command line)."""
    limit, collapse = options
    advice = [f"raise the limit ({limit.format(count)} or more)", "draw a smaller example"]
    if collapsed is not None:
        advice.append(
            f"or draw the collapsed view ({collapse}: {collapsed} nodes, chains of + and * "
            "drawn as one node each)"
        )
    else:
        advice[-1] = "or " + advice[-1]
    why = (
        "a text tree this long is hard to read"
        if text
        else "Graphviz would take very long to lay it out"
    )
    return (
        f"the graph has {count} nodes, more than {limit.format(max_nodes)}: {why}; "
        f"{', '.join(advice)}"
    )


def _check_options(root: Any, rankdir: str, digits: int, max_nodes: int | None) -> None:
    if not isinstance(root, Value):
        raise TypeError(
            f"root must be a Value (the result of a computation), got "
            f"{type(root).__name__}: {root!r}"
        )
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 17:
        raise ValueError(f"digits must be an int from 1 to 17, got {digits!r}")
    if max_nodes is not None and (
        isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1
    ):
        raise ValueError(f"max_nodes must be a positive int or None (no limit), got {max_nodes!r}")


# --------------------------------------------------------------------------------------------
# Graphviz
# --------------------------------------------------------------------------------------------
class BoundedDigraph(graphviz.Digraph):
    """A `graphviz.Digraph` whose ``pipe`` (what Jupyter's inline display calls) runs ``dot``
    through `run_dot`: with a larger stack, killed after `DEFAULT_TIMEOUT` seconds.

    Only the plain call is bounded; a ``renderer``, ``formatter`` or ``engine`` other than
    dot falls back to the graphviz package's own call.

    Attributes
    ----------
    timeout : float or None
        Seconds ``dot`` may run (`DEFAULT_TIMEOUT` unless set on the instance).
    """

    timeout: float | None = DEFAULT_TIMEOUT

    def pipe(
        self,
        format: str | None = None,
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        quiet: bool = False,
        *,
        engine: str | None = None,
        encoding: str | None = None,
    ) -> bytes | str:
        """Render to ``format`` (default: the Digraph's own) and return the bytes, or text
        when ``encoding`` is given; see `graphviz.Digraph.pipe`."""
        if renderer or formatter or neato_no_op or (engine or self.engine) != "dot":
            return super().pipe(
                format,
                renderer,
                formatter,
                neato_no_op,
                quiet,
                engine=engine,
                encoding=encoding,
            )
        output = run_dot(self.source, format or self.format, timeout=self.timeout)
        return output.decode(encoding) if encoding is not None else output


def draw(
    root: Value,
    *,
    rankdir: str = "LR",
    show_grad: bool = True,
    format: str = "svg",
    digits: int = DEFAULT_DIGITS,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    collapse: bool = False,
    names: bool = False,
) -> graphviz.Digraph:
    """The computation graph of ``root`` as a Graphviz `Digraph`.

    Inputs (leaves) are drawn in blue, the result in yellow, and each Value's label in bold.
    The result displays inline in Jupyter (as SVG), renders with ``.render()`` and gives
    its DOT source as ``.source``; `write` saves it to a file atomically. Building it needs
    no Graphviz program; displaying or rendering it does.

    Parameters
    ----------
    root : Value
        The result whose graph is drawn (usually after ``root.backward()``).
    rankdir : {"LR", "RL", "TB", "BT"}, default "LR"
        Direction of the flow from inputs to result.
    show_grad : bool, default True
        Show each Value's ``.grad`` beside its data.
    format : str, default "svg"
        Output format of ``.render()`` and ``.pipe()``.
    digits : int, default 4
        Significant digits of the numbers shown.
    max_nodes : int or None, default 300
        Refuse graphs with more Values than this (`GraphTooLargeError`); None for no limit.
    collapse : bool, default False
        Draw each chain of ``+`` (or ``*``) through unlabeled, singly used intermediate
        results as one n-ary node: ``w1*x1 + w2*x2 + w3*x3 + b`` shows one ``+`` with four
        inputs instead of three ``+`` nodes. The intermediate sums (and their grads) are not
        shown.
    names : bool, default False
        Show each unlabelled Value's name in italics (``u``, ``v``, ... and ``J`` for the
        output), as `micrograd_lr.explain` calls them in its steps.

    Returns
    -------
    graphviz.Digraph

    Examples
    --------
    >>> a, b, c = Value(2.0, "a"), Value(3.0, "b"), Value(4.0, "c")
    >>> J = (a - 1) * (b + c)
    >>> J.backward()
    >>> dot = draw(J)
    >>> "data 7" in dot.source and "grad 7" in dot.source and '"- 1"' in dot.source
    True
    """
    _check_options(root, rankdir, digits, max_nodes)
    if not isinstance(show_grad, bool):
        raise TypeError(f"show_grad must be a bool, got {type(show_grad).__name__}")
    if not isinstance(format, str):  # graphviz itself fails with an AttributeError
        raise TypeError(
            f"format must be a str such as 'svg' or 'png', got {type(format).__name__}: {format!r}"
        )
    if max_nodes is not None:
        # Count before building anything: a huge graph fails fast, without laying out.
        count = graph.size(root)
        if count > max_nodes:
            if collapse:
                count = len(_steps(root, collapse=True))
            _check_size(root, count, max_nodes, collapse=collapse)
    steps = _steps(root, collapse=collapse)
    named = node_names(root) if names else {}

    graph_attr = {"rankdir": rankdir, "ordering": "in", "nodesep": "0.25", "ranksep": "0.35"}
    if len(steps) > LARGE_GRAPH:
        graph_attr.update(BOUNDED_LAYOUT)
    dot = BoundedDigraph(
        name="computation_graph",
        format=format,
        graph_attr=graph_attr,
        node_attr={"fontname": "Helvetica", "fontsize": "12"},
        edge_attr={"arrowsize": "0.7", "color": "#555555"},
    )
    ids: dict[Value, str] = {}
    for index, step in enumerate(steps):
        node = step.node
        name = f"v{index}"
        ids[node] = name
        color = _ROOT_COLOR if node is root else _LEAF_COLOR if step.symbol is None else _NODE_COLOR
        dot.node(
            name,
            _record(node, show_grad=show_grad, digits=digits, color=color, name=named.get(node)),
            shape="none",
            margin="0",
        )
        if step.symbol is None:
            continue
        op_name = f"{name}_op"
        dot.node(
            op_name,
            _op_text(step, digits),
            shape="ellipse",
            style="filled",
            fillcolor=_OP_COLOR,
            fontsize="11",
            margin="0.03,0.01",
            height="0.3",
        )
        for operand in step.operands:
            if isinstance(operand, Value):
                # Leave and enter records at their sides: edges along the flow, not
                # from a record's top or bottom.
                dot.edge(ids[operand], op_name, tailport=_OUT_PORT[rankdir])
        dot.edge(op_name, name, headport=_IN_PORT[rankdir])
    return dot


def to_dot(
    root: Value,
    *,
    rankdir: str = "LR",
    show_grad: bool = True,
    digits: int = DEFAULT_DIGITS,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    collapse: bool = False,
    names: bool = False,
) -> str:
    """The DOT source of `draw` (same options); needs no Graphviz program.

    The same graph gives byte-identical source in every process.
    """
    return str(
        draw(
            root,
            rankdir=rankdir,
            show_grad=show_grad,
            digits=digits,
            max_nodes=max_nodes,
            collapse=collapse,
            names=names,
        ).source
    )


def node_ids(root: Value) -> dict[Value, str]:
    """The name of each Value's node in the DOT source of ``draw(root)`` (not collapsed):
    ``v0``, ``v1``, ... in evaluation order; the node of the operation that produced it is
    that name followed by ``_op``. Tools that style the drawn SVG find nodes by these names
    (each node's ``<title>``)."""
    return {node: f"v{index}" for index, node in enumerate(graph.topological_order(root))}


def dot_available() -> bool:
    """Whether the Graphviz ``dot`` program is on PATH (needed for SVG, PNG and PDF)."""
    return shutil.which("dot") is not None


def _bigger_stack() -> None:  # pragma: no cover - runs in the child, between fork and exec
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_STACK)
    wanted = DOT_STACK_BYTES if hard == resource.RLIM_INFINITY else min(DOT_STACK_BYTES, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_STACK, (wanted, hard))


def run_dot(
    source: str,
    format: str,
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
    what: str = "the graph",
) -> bytes:
    """Run the Graphviz ``dot`` program on DOT ``source``; its output in ``format``.

    The call is bounded: ``dot`` runs with a larger stack (`DOT_STACK_BYTES`) and is killed
    after ``timeout`` seconds. Ctrl-C kills it too.

    Parameters
    ----------
    source : str
        DOT text, such as ``draw(root).source``.
    format : str
        A Graphviz output format: ``"svg"``, ``"png"``, ``"pdf"``, ...
    timeout : float or None, default 30
        Seconds before giving up; None waits for ever.
    what : str, default "the graph"
        What is drawn, for the messages (``"j.svg (301 nodes)"``).

    Returns
    -------
    bytes

    Raises
    ------
    GraphvizNotFoundError
        ``dot`` is not on PATH.
    GraphvizTimeoutError
        ``dot`` ran longer than ``timeout``; the message suggests the collapsed view.
    graphviz.CalledProcessError
        ``dot`` failed or crashed (its ``returncode`` is negative for a signal); the
        message has dot's first line of stderr or the signal's name.
    """
    if timeout is not None and (isinstance(timeout, bool) or not timeout > 0):
        raise ValueError(f"timeout must be a positive number of seconds or None, got {timeout!r}")
    if timeout is not None:
        timeout = min(float(timeout), LONGEST_TIMEOUT)
    program = shutil.which("dot")
    if program is None:
        raise GraphvizNotFoundError(
            f"cannot render {what}: the Graphviz program 'dot' was not found on PATH; "
            f"{INSTALL_HINT}"
        )
    command = [program, f"-T{format}"]
    try:
        completed = subprocess.run(
            command,
            input=source.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
            preexec_fn=_bigger_stack if sys.platform != "win32" else None,
        )
    except subprocess.TimeoutExpired:
        raise GraphvizTimeoutError(
            f"Graphviz took more than {timeout:g} s to lay out {what} and was stopped; draw "
            "the collapsed view (--collapse, or collapse=True), a smaller example, or allow "
            "more time (--timeout, or timeout=)"
        ) from None
    if completed.returncode != 0:
        raise graphviz.CalledProcessError(
            completed.returncode, command, output=completed.stdout, stderr=completed.stderr
        )
    return completed.stdout


def dot_failure_reason(error: subprocess.CalledProcessError) -> str:
    """One line saying why ``dot`` failed: its first line of stderr, or the signal that
    killed it (a crash, as a stack overflow on a huge graph was) with what to try."""
    if error.returncode < 0:
        try:
            name = signal.Signals(-error.returncode).name
        except ValueError:
            name = f"signal {-error.returncode}"
        return f"dot crashed ({name}); draw the collapsed view (--collapse) or a smaller example"
    stderr = error.stderr or b""
    text = stderr.decode(errors="replace") if isinstance(stderr, bytes) else str(stderr)
    detail = text.strip().splitlines()
    return detail[0] if detail else f"dot exited with status {error.returncode}"


def _format_of(path: Path) -> str:
    fmt = FILE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(FILE_FORMATS)
        raise ValueError(
            f"cannot tell the image format of {str(path)!r} from its extension "
            f"{path.suffix or '(none)'!r}: use one of {known}"
        )
    return fmt


def write(
    root_or_digraph: Value | graphviz.Digraph,
    path: str | os.PathLike[str],
    *,
    dpi: int = DEFAULT_PNG_DPI,
    timeout: float | None = DEFAULT_TIMEOUT,
    **draw_options: Any,
) -> Path:
    """Draw a graph into a file whose format comes from its extension, atomically.

    ``.svg``, ``.png`` and ``.pdf`` are rendered by the Graphviz ``dot`` program;
    ``.dot`` and ``.gv`` get the DOT source and need no Graphviz. The file appears only once
    complete: on any failure nothing is written.

    Parameters
    ----------
    root_or_digraph : Value or graphviz.Digraph
        A result to draw (with `draw`), or a Digraph already drawn.
    path : str or path-like
        The file to write; its folder must exist.
    dpi : int, default 150
        Resolution of PNG output (sharp enough for slides); other formats ignore it.
    timeout : float or None, default 30
        Seconds the ``dot`` program may run (see `run_dot`); None for no limit.
    **draw_options
        Options of `draw` (``rankdir``, ``show_grad``, ``digits``, ``max_nodes``,
        ``collapse``, ``names``), only with a Value.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    GraphvizNotFoundError
        For an image format when the ``dot`` program is missing.
    GraphvizTimeoutError
        ``dot`` ran longer than ``timeout``.
    graphviz.CalledProcessError
        ``dot`` failed or crashed.
    """
    target = Path(path)
    fmt = _format_of(target)
    if isinstance(root_or_digraph, graphviz.Digraph):
        if draw_options:
            raise TypeError(
                f"draw options ({', '.join(sorted(draw_options))}) apply only when drawing a "
                "Value; this Digraph is already drawn"
            )
        digraph = root_or_digraph
    else:
        digraph = draw(root_or_digraph, **draw_options)
    if not target.parent.is_dir():
        raise FileNotFoundError(f"cannot write {str(target)!r}: no folder {str(target.parent)!r}")
    resolve_target(target)  # a folder in the way is refused before dot runs
    if fmt == "dot":
        return write_atomic(target, digraph.source)
    if fmt == "png":
        if isinstance(dpi, bool) or not isinstance(dpi, int) or not 10 <= dpi <= 1200:
            raise ValueError(f"dpi must be an int from 10 to 1200, got {dpi!r}")
        digraph = digraph.copy()  # leave the caller's Digraph as it was
        digraph.graph_attr["dpi"] = str(dpi)
    nodes = sum(1 for line in digraph.body if "_op [" not in line and " [label=" in line)
    content = run_dot(digraph.source, fmt, timeout=timeout, what=f"{target.name} ({nodes} nodes)")
    return write_atomic(target, content)


# --------------------------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------------------------
def _describe(step: _Step, *, digits: int, show_grad: bool) -> str:
    parts = []
    if step.node.label:
        parts.append(_one_line(step.node.label))
    parts.append(f"data={format_number(step.node.data, digits)}")
    if show_grad:
        parts.append(f"grad={format_number(step.node.grad, digits)}")
    if step.symbol is not None:
        parts.append(f"[{_op_text(step, digits)}]")
    return "  ".join(parts)


def to_text(
    root: Value,
    *,
    show_grad: bool = True,
    digits: int = DEFAULT_DIGITS,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    collapse: bool = False,
) -> str:
    """The graph as an indented tree for a terminal; needs no Graphviz.

    Each line is one Value: its label (if any), data, grad and, in brackets, the operation
    that produced it with any folded number. Its operands follow, indented, in written
    order. A Value used in several places is shown once, tagged ``(#n)``; later uses show
    only ``(#n) see above``.

    Parameters are those of `draw`.

    Examples
    --------
    >>> a, b, c = Value(2.0, "a"), Value(3.0, "b"), Value(4.0, "c")
    >>> J = (a - 1) * (b + c)
    >>> J.label = "J"
    >>> J.backward()
    >>> print(to_text(J))
    J  data=7  grad=1  [*]
    ├── data=1  grad=7  [- 1]
    │   └── a  data=2  grad=7
    └── data=7  grad=1  [+]
        ├── b  data=3  grad=1
        └── c  data=4  grad=1
    """
    _check_options(root, "LR", digits, max_nodes)
    steps = _steps(root, collapse=collapse)
    _check_size(root, len(steps), max_nodes, collapse=collapse, text=True)
    by_node = {step.node: step for step in steps}
    uses = Counter(
        operand for step in steps for operand in step.operands if isinstance(operand, Value)
    )
    tags: dict[Value, int] = {}
    lines: list[str] = []
    # Iterative depth-first walk: (node, prefix of its line, prefix of its children's lines).
    stack: list[tuple[Value, str, str]] = [(root, "", "")]
    while stack:
        node, head, rest = stack.pop()
        if node in tags:
            shown = node.label and " " + _one_line(node.label)
            lines.append(f"{head}(#{tags[node]}){shown} see above")
            continue
        step = by_node[node]
        text = _describe(step, digits=digits, show_grad=show_grad)
        if uses[node] > 1:
            tags[node] = len(tags) + 1
            text = f"(#{tags[node]}) {text}"
        lines.append(head + text)
        children = [x for x in step.operands if isinstance(x, Value)]
        for i in reversed(range(len(children))):
            last = i == len(children) - 1
            stack.append(
                (
                    children[i],
                    rest + ("└── " if last else "├── "),
                    rest + ("    " if last else "│   "),
                )
            )
    return "\n".join(lines)
