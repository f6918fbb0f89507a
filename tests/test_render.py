"""Drawing graphs: DOT source (no Graphviz needed), real files rendered by `dot`, the text
tree, escaping of hostile labels, the node limit and a missing `dot`."""

import os
import re
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import graphviz
import pytest
from cli_cases import fake_dot, only_on_path
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_lr import Value, draw, to_text
from micrograd_lr.errors import GraphTooLargeError, GraphvizNotFoundError, GraphvizTimeoutError
from micrograd_lr.expr import build
from micrograd_lr.render import (
    BOUNDED_LAYOUT,
    DEFAULT_MAX_NODES,
    DEFAULT_TIMEOUT,
    DOT_STACK_BYTES,
    LARGE_GRAPH,
    WORD_JOINER,
    _label_lines,
    dot_available,
    dot_failure_reason,
    format_number,
    to_dot,
    write,
)

SVG = "{http://www.w3.org/2000/svg}"

HOSTILE_LABELS = [
    'say "hi"',
    "{braces}",
    "<b>not bold</b>",
    "a|b",
    "back\\slash",
    "trailing\\",
    "two\nlines",
    "&amp; &lt;",
    "]]> -->",
    '\\" quote after backslash',
    "\\N \\G \\E \\L \\T \\H",
    "tab\there",
    "ctrl\x00\x1b",
    "rtl\u202eevil",
    "lone \ud800 surrogate",
    "emoji 🙂 ü",
    "  spaced  out  ",
    "'single'",
    "<<>>",
    "] ; } digraph { x",
    "]",  # alone, a line of ] is a syntax error in Graphviz's HTML-like labels
    "]]\n]",
    "two \\\\ backslashes, three \\\\\\ and \\\\N",  # Graphviz reads \\ as one
]


def j_graph():
    a, b, c = Value(2.0, "a"), Value(3.0, "b"), Value(4.0, "c")
    J = (a - 1) * (b + c)
    J.label = "J"
    J.backward()
    return J


def chain(n):
    x = Value(0.5, "x")
    for _ in range(n - 1):
        x = x * 1.0001
    return x


def svg_texts(svg):
    """The text of every <text> element; Graphviz writes runs of spaces as NBSP."""
    root = ET.fromstring(svg)
    return [
        (t.text or "").replace("\xa0", " ").replace(WORD_JOINER, "")
        for t in root.iter(f"{SVG}text")
    ]


def value_names(source):
    return re.findall(r"^\t(v\d+) \[label=<", source, flags=re.M)


def op_labels(source):
    labels = re.findall(r'^\tv\d+_op \[label=("[^"]*"|\S+)', source, flags=re.M)
    return [label.strip('"') for label in labels]


def in_edges(source, op_node):
    return re.findall(rf"^\t(v\d+) -> {op_node}(?: \[.*\])?$", source, flags=re.M)


def label_table(source, name):
    """The HTML-like label of node ``name``, parsed as XML (as Graphviz parses it)."""
    match = re.search(rf"^\t{name} \[label=<(.*)> margin=0 shape=none\]$", source, flags=re.M)
    assert match, name
    return ET.fromstring(match.group(1))


# --- DOT source ------------------------------------------------------------------------------
def test_draw_returns_digraph_in_requested_format():
    dot = draw(j_graph(), format="png")
    assert isinstance(dot, graphviz.Digraph)
    assert dot.format == "png"
    assert draw(j_graph()).format == "svg"


def test_one_record_per_value_and_one_node_per_operation():
    source = to_dot(j_graph())
    assert len(value_names(source)) == 6  # a, b, c, a-1, b+c, J
    assert op_labels(source) == ["- 1", "+", "*"]


def test_records_show_label_data_and_grad():
    source = to_dot(j_graph())
    cells = {
        name: [("".join(td.itertext())) for td in label_table(source, name).iter("TD")]
        for name in value_names(source)
    }
    assert sorted(cells.values()) == sorted(
        [
            ["a", "data 2", "grad 7"],
            ["b", "data 3", "grad 1"],
            ["c", "data 4", "grad 1"],
            ["data 1", "grad 7"],
            ["data 7", "grad 1"],
            ["J", "data 7", "grad 1"],
        ]
    )


def test_show_grad_false_hides_gradients():
    assert "grad" not in to_dot(j_graph(), show_grad=False)


def test_edges_follow_operand_order():
    x, y = Value(1.0, "x"), Value(2.0, "y")
    for root, first, second in ((x - y, "x", "y"), (y - x, "y", "x")):
        source = to_dot(root)
        names = {
            "".join(label_table(source, n).find(".//B").itertext()): n
            for n in value_names(source)
            if label_table(source, n).find(".//B") is not None
        }
        (op,) = re.findall(r"^\t(v\d+_op) \[", source, flags=re.M)
        assert in_edges(source, op) == [names[first], names[second]]


def test_a_value_used_twice_gets_two_edges():
    x = Value(3.0, "x")
    source = to_dot(x * x)
    assert in_edges(source, "v1_op") == ["v0", "v0"]


@pytest.mark.parametrize(
    ("build", "shown"),
    [
        (lambda x: x * 3, "* 3"),
        (lambda x: 3 * x, "3 *"),
        (lambda x: x - 3, "- 3"),
        (lambda x: 3 - x, "3 -"),
        (lambda x: x / 4, "/ 4"),
        (lambda x: 1 / x, "1 /"),
        (lambda x: x**2, "** 2"),
        (lambda x: 2**x, "2 **"),
        (lambda x: x + 0.125, "+ 0.125"),
        (lambda x: -x, "neg"),
        (lambda x: x.sigmoid(), "sigmoid"),
    ],
)
def test_folded_numbers_appear_in_written_order(build, shown):
    assert op_labels(to_dot(build(Value(2.0, "x")))) == [shown]


def test_same_graph_gives_identical_source_in_process():
    assert to_dot(j_graph()) == to_dot(j_graph())


def test_same_graph_gives_identical_source_across_processes():
    script = (
        "from micrograd_lr import Value\n"
        "from micrograd_lr.render import to_dot\n"
        "xs = [Value(i / 7, f'x{i}') for i in range(6)]\n"
        "y = sum((x * x).tanh() * xs[0] for x in xs)\n"
        "y.backward()\n"
        "print(to_dot(y), end='')\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("0", "1", "12345")
    }
    assert len(outputs) == 1


def test_digits_option():
    x = Value(1 / 3, "x")
    assert "data 0.33<" in to_dot(x, digits=2)
    assert "data 0.333333<" in to_dot(x, digits=6)


@pytest.mark.parametrize(
    ("x", "digits", "text"),
    [
        (7.0, 4, "7"),
        (1 / 3, 4, "0.3333"),
        (-0.0, 4, "0"),
        (123456.0, 4, "1.235e+05"),
        (2.5e-9, 4, "2.5e-09"),
        (float("nan"), 4, "nan"),
        (float("-inf"), 4, "-inf"),
        (Value(0.25), 4, "0.25"),
        (1 / 3, 17, "0.33333333333333331"),
    ],
)
def test_format_number(x, digits, text):
    assert format_number(x, digits) == text


def test_gradients_built_as_values_are_drawn_as_numbers():
    x = Value(3.0, "x")
    y = x * x
    y.backward(create_graph=True)
    assert "grad 6<" in to_dot(y)


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"rankdir": "XY"}, ValueError, "rankdir must be one of"),
        ({"digits": 0}, ValueError, "digits must be an int from 1 to 17, got 0"),
        ({"digits": 2.5}, ValueError, "got 2.5"),
        ({"max_nodes": 0}, ValueError, "max_nodes must be a positive int"),
        ({"show_grad": "no"}, TypeError, "show_grad must be a bool"),
        ({"format": 3}, TypeError, "format must be a str such as 'svg' or 'png', got int: 3"),
        ({"format": "bogus"}, ValueError, "unknown format: 'bogus'"),
    ],
)
def test_bad_options_are_refused(options, error, message):
    with pytest.raises(error, match=message):
        draw(j_graph(), **options)


def test_root_must_be_a_value():
    with pytest.raises(TypeError, match=r"root must be a Value .* got float: 2\.0"):
        draw(2.0)


# --- escaping --------------------------------------------------------------------------------
def expected_lines(label):
    """What a label should look like once drawn: one entry per line, invisible characters
    shown as escapes, empty lines dropped (they have no text element)."""
    visible = []
    for line in label.split("\n"):
        line = re.sub(
            r"[\x00-\x1f\u202e\ud800]",
            lambda m: (
                f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else f"\\u{ord(m.group()):04x}"
            ),
            line,
        )
        if line:
            visible.append(line)
    return visible


def hostile_graph():
    leaves = [Value(float(i), label) for i, label in enumerate(HOSTILE_LABELS)]
    root = leaves[0]
    for leaf in leaves[1:]:
        root = root + leaf
    root.backward()
    return root


def test_hostile_labels_stay_inside_their_html_label():
    source = to_dot(hostile_graph(), max_nodes=None)
    names = value_names(source)
    assert len(names) == 2 * len(HOSTILE_LABELS) - 1  # no node was injected
    shown = []
    for name in names:
        bold = label_table(source, name).find(".//B")  # parses: nothing broke out
        if bold is not None:
            lines = "".join(bold.itertext()).replace(WORD_JOINER, "").split("\n")
            shown.append([line for line in lines if line])
    # <BR/> is parsed as an element, so the lines come out joined: compare the visible text.
    assert ["".join(s) for s in shown] == ["".join(expected_lines(x)) for x in HOSTILE_LABELS]


def test_graphviz_escape_sequences_are_disarmed():
    source = to_dot(Value(1.0, "\\N\\G"))
    assert "\\N" not in source and "\\G" not in source
    assert f"\\{WORD_JOINER}N\\{WORD_JOINER}G" in source


@pytest.mark.graphviz
def test_hostile_labels_render_exactly(tmp_path):
    root = hostile_graph()
    source = to_dot(root)
    done = subprocess.run(["dot", "-Tsvg"], input=source.encode(), capture_output=True)
    assert done.returncode == 0 and done.stderr == b""
    texts = svg_texts(done.stdout)
    for label in HOSTILE_LABELS:
        for line in expected_lines(label):
            assert line in texts, (label, line)


LABEL_PIECES = st.sampled_from(
    [
        *"\"'{}<>|\\&;[]#% \n\t\r",
        *("\\N", "\\G", "&amp;", "&#60;", "]]>", "<!--", "-->", "<BR/>", "a"),
        *("\u200b", "\xa0", "é", "漢", "🙂", "\u0301", "\ufeff", "\x7f", "\u2028"),
    ]
)
LABELS = st.lists(LABEL_PIECES, min_size=1, max_size=8).map("".join)


@pytest.mark.graphviz
@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.lists(LABELS, min_size=1, max_size=6))
def test_any_labels_render_with_dot_exactly(labels):
    leaves = [Value(float(i), label) for i, label in enumerate(labels)]
    root = leaves[0]
    for leaf in leaves[1:]:
        root = root + leaf
    done = subprocess.run(["dot", "-Tsvg"], input=to_dot(root).encode(), capture_output=True)
    assert done.returncode == 0 and done.stderr == b"", done.stderr
    shown = " ".join(" ".join(svg_texts(done.stdout)).replace(WORD_JOINER, "").split())
    for label in labels:
        for line in _label_lines(label):  # the label with invisible characters escaped
            assert " ".join(line.split()) in shown, (label, line)


# --- files -----------------------------------------------------------------------------------
@pytest.mark.graphviz
def test_svg_shows_every_label_value_and_gradient(tmp_path):
    path = write(j_graph(), tmp_path / "j.svg")
    assert path == tmp_path / "j.svg"
    texts = svg_texts(path.read_bytes())
    for expected in ["a", "b", "c", "J", "data 2", "grad 7", "data 3", "data 4", "grad 1"]:
        assert expected in texts
    assert texts.count("data 7") == 2 and texts.count("grad 7") == 2
    assert sorted(t for t in texts if t in ("- 1", "+", "*")) == ["*", "+", "- 1"]


@pytest.mark.graphviz
@pytest.mark.parametrize(
    ("name", "header"),
    [("j.png", b"\x89PNG\r\n\x1a\n"), ("j.PDF", b"%PDF-"), ("j.svg", b"<?xml")],
)
def test_image_formats_from_extension(tmp_path, name, header):
    assert write(j_graph(), tmp_path / name).read_bytes().startswith(header)


@pytest.mark.parametrize("name", ["j.dot", "j.gv"])
def test_dot_file_needs_no_graphviz(tmp_path, name, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere
    path = write(j_graph(), tmp_path / name, digits=3)
    assert path.read_text(encoding="utf-8") == to_dot(j_graph(), digits=3)


@pytest.mark.graphviz
def test_write_accepts_a_drawn_digraph(tmp_path):
    dot = draw(j_graph(), rankdir="TB")
    assert "rankdir=TB" in write(dot, tmp_path / "j.dot").read_text()
    with pytest.raises(TypeError, match="only when drawing a Value"):
        write(dot, tmp_path / "j.svg", digits=3)


def test_unknown_extension_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"'.jpg'.*\.svg, \.png, \.pdf, \.dot, \.gv"):
        write(j_graph(), tmp_path / "j.jpg")
    assert list(tmp_path.iterdir()) == []


def test_missing_folder_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="no folder"):
        write(j_graph(), tmp_path / "nope" / "j.dot")


def test_failed_render_leaves_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "j.svg"
    target.write_text("old")
    (tmp_path / "bin").mkdir()

    fake_dot(tmp_path / "bin", "echo boom >&2; exit 1")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(graphviz.CalledProcessError) as caught:
        write(j_graph(), target)
    assert dot_failure_reason(caught.value) == "boom"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin", "j.svg"]
    assert target.read_text() == "old"


def test_missing_dot_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert not dot_available()
    with pytest.raises(
        GraphvizNotFoundError, match=r"'dot' was not found.*apt-get install graphviz"
    ):
        write(j_graph(), tmp_path / "j.png")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.graphviz
def test_jupyter_displays_svg():
    bundle = draw(j_graph())._repr_mimebundle_()
    assert "data 7" in svg_texts(bundle["image/svg+xml"].encode())


# --- size limit and collapsed view -----------------------------------------------------------
def test_large_graph_is_refused_with_count_and_advice():
    with pytest.raises(GraphTooLargeError) as caught:
        draw(chain(DEFAULT_MAX_NODES + 1))
    message = str(caught.value)
    assert f"{DEFAULT_MAX_NODES + 1} nodes, more than max_nodes={DEFAULT_MAX_NODES}" in message
    assert f"max_nodes={DEFAULT_MAX_NODES + 1}" in message and "smaller example" in message


def test_the_default_limit_comes_from_the_render_time_table():
    # docs/drawing.md: at 300 Values every shape rendered within the default timeout, with
    # room to spare on a loaded machine; at 500 the worst shapes took longer.
    assert DEFAULT_MAX_NODES == 300 and DEFAULT_TIMEOUT == 30


def test_limit_can_be_raised_or_removed():
    assert len(value_names(to_dot(chain(501), max_nodes=501))) == 501
    assert len(value_names(to_dot(chain(501), max_nodes=None))) == 501
    with pytest.raises(GraphTooLargeError, match="3 nodes, more than max_nodes=2"):
        to_dot(chain(3), max_nodes=2)


def linear_sum(n):
    ws = [Value(0.1 * i, f"w{i}") for i in range(n)]
    xs = [Value(1.0 + i, f"x{i}") for i in range(n)]
    b = Value(0.5, "b")
    z = b
    for w, x in zip(ws, xs, strict=True):
        z = z + w * x
    return z


def test_collapsed_view_draws_a_sum_as_one_node():
    z = linear_sum(4)
    z.backward()
    source = to_dot(z, collapse=True)
    assert op_labels(source) == ["*"] * 4 + ["+"]
    assert len(in_edges(source, re.findall(r"(v\d+_op) \[label=\"\+\"", source)[0])) == 5
    assert len(value_names(to_dot(z))) == 4 * 2 + 1 + 4 * 2


def test_collapsed_view_is_offered_when_it_fits():
    z = linear_sum(90)  # 90 * 4 + 1 = 361 values; collapsed: 90 * 3 + 2 = 272
    with pytest.raises(GraphTooLargeError, match=r"collapse=True: 272 nodes"):
        draw(z)
    assert len(value_names(to_dot(z, collapse=True))) == 272


def test_collapse_keeps_labelled_and_shared_values():
    a, b, c = Value(1.0, "a"), Value(2.0, "b"), Value(3.0, "c")
    named = a + b
    named.label = "named"
    shared = b + c
    root = (named + c) + shared * shared
    source = to_dot(root, collapse=True)
    texts = [t for n in value_names(source) for t in label_table(source, n).itertext()]
    assert "named" in texts
    # shared = b + c is used twice, so it is still drawn with its own + node
    assert op_labels(source).count("+") == 3


def test_collapse_does_not_fuse_a_sum_that_feeds_two_sums():
    a, b, c = Value(1.0, "a"), Value(2.0, "b"), Value(3.0, "c")
    shared = b + c
    root = (shared + a) + (shared + c)
    source = to_dot(root, collapse=True)
    # The root's chain takes in shared + a and shared + c, but not shared itself.
    assert op_labels(source).count("+") == 2
    assert len(value_names(source)) == 5  # a, b, c, shared, root


def test_collapsed_view_is_not_offered_when_it_draws_as_many_nodes():
    x = Value(0.5, "x")
    for _ in range(10):
        x = x.tanh()
    with pytest.raises(GraphTooLargeError) as caught:
        draw(x, max_nodes=5)
    assert "collapse" not in str(caught.value) and "or draw a smaller example" in str(caught.value)


def test_collapsed_constants_are_listed():
    x = Value(2.0, "x")
    assert op_labels(to_dot((x + 1) + 2, collapse=True)) == ["+ 1 + 2"]
    assert op_labels(to_dot(3 * (x * 2), collapse=True)) == ["* 3 * 2"]  # written order
    many = x
    for i in range(1, 6):
        many = many + i
    assert op_labels(to_dot(many, collapse=True)) == ["+ 1 + 2 + ... (5 numbers)"]


# --- text ------------------------------------------------------------------------------------
def test_text_tree_shows_shared_values_once():
    x = Value(3.0, "x")
    y = x * x + x
    y.backward()
    assert to_text(y).splitlines() == [
        "data=12  grad=1  [+]",
        "├── data=9  grad=1  [*]",
        "│   ├── (#1) x  data=3  grad=7",
        "│   └── (#1) x see above",
        "└── (#1) x see above",
    ]


def test_text_tree_tags_a_value_used_exactly_twice():
    x = Value(3.0, "x")
    s = x.exp()
    y = s.tanh() + s.relu()
    assert [line for line in to_text(y, show_grad=False).splitlines() if "#" in line] == [
        "│   └── (#1) data=20.09  [exp]",
        "    └── (#1) see above",
    ]


def test_text_tree_keeps_labels_on_one_line():
    text = to_text(Value(1.0, "two\nlines\x07") * 2, show_grad=False)
    assert text.splitlines()[1] == "└── two\\nlines\\x07  data=1"
    # A Windows line end is one line break, not a break and a stray \x0d.
    assert to_text(Value(1.0, "a\r\nb"), show_grad=False) == "a\\nb  data=1"


def test_text_tree_of_a_deep_graph_needs_no_recursion():
    lines = to_text(chain(3000), max_nodes=None).splitlines()
    assert len(lines) == 3000 and lines[-1].endswith("x  data=0.5  grad=0")


def test_text_tree_has_the_node_limit():
    with pytest.raises(GraphTooLargeError, match="501 nodes"):
        to_text(chain(501))


def test_text_tree_collapsed():
    z = linear_sum(3)
    assert to_text(z, collapse=True, show_grad=False).splitlines()[0] == "data=1.3  [+]"
    assert len(to_text(z, collapse=True).splitlines()) == 1 + 1 + 3 * 3


def test_a_label_that_is_not_a_string_is_drawn_as_text():
    x = Value(1.0)
    x.label = 5
    assert "<B>5</B>" in to_dot(x) and to_text(x) == "5  data=1  grad=0"


@pytest.mark.graphviz
def test_png_resolution(tmp_path):
    def width(path):
        return int.from_bytes(path.read_bytes()[16:20], "big")  # from the IHDR chunk

    dot = draw(j_graph())
    low = width(write(dot, tmp_path / "low.png", dpi=72))
    high = width(write(dot, tmp_path / "high.png", dpi=144))
    assert high == pytest.approx(2 * low, rel=0.02)
    assert "dpi" not in dot.source  # the caller's Digraph is left alone
    with pytest.raises(ValueError, match="dpi must be an int from 10 to 1200, got 0"):
        write(dot, tmp_path / "bad.png", dpi=0)


@pytest.mark.graphviz
@pytest.mark.parametrize(("first", "second"), [("x", "y"), ("y", "x")])
def test_first_operand_is_drawn_above_the_second(first, second):
    values = {"x": Value(1.0, "x"), "y": Value(2.0, "y")}
    root = values[first] - values[second]
    svg = subprocess.run(
        ["dot", "-Tsvg"], input=to_dot(root).encode(), capture_output=True, check=True
    ).stdout
    height = {t.text: float(t.get("y")) for t in ET.fromstring(svg).iter(f"{SVG}text")}
    assert height[first] < height[second]  # SVG y grows downwards


# Regressions (issue 10 #7): dot must never hang or crash the caller.
@pytest.mark.skipif(os.name != "posix", reason="a shell script as dot")
def test_a_dot_that_hangs_is_stopped_after_the_timeout(tmp_path, monkeypatch):
    dot_bin = only_on_path(tmp_path, monkeypatch)
    fake_dot(dot_bin, "exec sleep 60")
    started = time.monotonic()
    with pytest.raises(GraphvizTimeoutError) as caught:
        write(j_graph(), tmp_path / "j.svg", timeout=0.5)
    assert time.monotonic() - started < 10
    message = str(caught.value)
    assert "more than 0.5 s to lay out j.svg (" in message and "--collapse" in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin"]


@pytest.mark.skipif(os.name != "posix", reason="signals")
def test_a_dot_that_crashes_is_named_with_its_signal(tmp_path, monkeypatch):
    dot_bin = only_on_path(tmp_path, monkeypatch)
    fake_dot(dot_bin, "kill -SEGV $$")
    with pytest.raises(graphviz.CalledProcessError) as caught:
        write(j_graph(), tmp_path / "j.svg")
    assert caught.value.returncode == -signal.SIGSEGV
    assert dot_failure_reason(caught.value).startswith("dot crashed (SIGSEGV); draw the collapsed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin"]


@pytest.mark.skipif(os.name != "posix", reason="ulimit")
def test_dot_runs_with_a_larger_stack(tmp_path, monkeypatch):
    dot_bin = only_on_path(tmp_path, monkeypatch)
    fake_dot(dot_bin, "cat > /dev/null; ulimit -s")
    limit = write(j_graph(), tmp_path / "j.svg").read_text().strip()
    assert limit == "unlimited" or int(limit) * 1024 >= min(DOT_STACK_BYTES, hard_stack_limit())


def hard_stack_limit():
    import resource

    hard = resource.getrlimit(resource.RLIMIT_STACK)[1]
    return DOT_STACK_BYTES if hard == resource.RLIM_INFINITY else hard


@pytest.mark.parametrize("timeout", [0, -1, True, float("nan")])
def test_a_bad_timeout_is_refused(tmp_path, timeout):
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        write(j_graph(), tmp_path / "j.svg", timeout=timeout)


def test_large_graphs_bound_dots_work_and_small_ones_do_not():
    small = draw(chain(LARGE_GRAPH - 1), max_nodes=None).source
    large = draw(chain(LARGE_GRAPH + 5), max_nodes=None).source
    for name, value in BOUNDED_LAYOUT.items():
        assert f"{name}={value}" in large and f"{name}=" not in small


def fan_out(n):
    """tanh(...tanh(tanh(a*b)*b)...*b): b feeds every step, the layout dot found hardest."""
    a, b = Value(0.5, "a"), Value(0.9, "b")
    s = a
    for _ in range(n):
        s = (s * b).tanh()
    s.backward()
    return s


@pytest.mark.graphviz
@pytest.mark.slow
@pytest.mark.parametrize(
    "make",
    [
        lambda: fan_out(80),  # did not finish in 400 s
        lambda: build("x" + "*x" * 300, ["x=1.001"])[0],  # 301 nodes: stack overflow
    ],
)
def test_graphs_that_hung_or_crashed_dot_now_render(tmp_path, make):
    target = write(make(), tmp_path / "g.svg", max_nodes=None)
    assert target.read_bytes().lstrip().startswith(b"<?xml")


def test_the_text_tree_limit_does_not_blame_graphviz():
    with pytest.raises(GraphTooLargeError) as caught:
        to_text(chain(50), max_nodes=10)
    assert "Graphviz" not in str(caught.value) and "text tree" in str(caught.value)


@pytest.mark.skipif(os.name != "posix", reason="a shell script as dot")
def test_jupyters_inline_display_is_bounded_too(tmp_path, monkeypatch):
    dot_bin = only_on_path(tmp_path, monkeypatch)
    fake_dot(dot_bin, "exec sleep 60")
    digraph = draw(j_graph())
    digraph.timeout = 0.5
    with pytest.raises(GraphvizTimeoutError):
        digraph._repr_mimebundle_()


@pytest.mark.graphviz
def test_the_bounded_digraph_pipes_like_graphviz():
    digraph = draw(j_graph())
    assert digraph.pipe(format="svg") == graphviz.Source(digraph.source).pipe(format="svg")
    assert isinstance(digraph.pipe(format="svg", encoding="utf-8"), str)
    assert digraph.pipe(format="png", engine="neato").startswith(b"\x89PNG")  # unbounded path
    assert type(digraph.copy()) is type(digraph)
