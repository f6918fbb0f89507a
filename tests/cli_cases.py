"""Bad command lines shared by the ``draw`` and ``grad`` tests: arguments after the
subcommand, and a piece of the one-line error each must give; a fake ``dot``; token soups."""

from hypothesis import strategies as st

from micrograd_lr.expr import MAX_LENGTH as _MAX_LENGTH

BAD_INPUTS = [
    (["a*b", "a=1"], "no value for b"),
    (["a*b", "a=1", "b=2", "c=3"], "c does not appear in the expression"),
    (["a*b", "a=1", "b=two"], "'two' is not a number"),
    (["a*b", "a=1", "a=2", "b=1"], "a is given twice"),
    (["a*b", "a", "b=1"], "expected NAME=NUMBER"),
    (["a*b", "a=nan", "b=1"], "finite"),
    (["(a*b", "a=1", "b=1"], "syntax error"),
    (["a.real", "a=1"], "attribute access"),
    (["a[0]", "a=1"], "subscripts"),
    (["(lambda: a)()", "a=1"], "not allowed"),
    (["__import__('os')", "a=1"], "calling '__import__'"),
    (["a+" * 600 + "a", "a=1"], "the limit is 1000"),
    (["2**2**2**2**2*a", "a=1"], "overflow"),
    (["exp(a)*exp(a)", "a=400"], "J = inf at these values"),
    (["log(a)", "a=0"], "log of a non-positive number"),
    (["1/(a-b)", "a=1", "b=1"], "division by zero"),
    (["2+3"], "has no variables"),
]


def only_on_path(tmp_path, monkeypatch):
    """An empty folder ``tmp_path/bin`` that is the whole PATH: put a `fake_dot` into it."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(folder))
    return folder


def fake_dot(folder, body):
    """Put a ``dot`` program running the shell ``body`` into ``folder`` (put it on PATH):
    a Graphviz that fails, crashes or hangs on demand."""
    import os

    path = os.path.join(folder, "dot")
    with open(path, "w") as file:
        file.write("#!/bin/sh\nPATH=/usr/bin:/bin\n" + body + "\n")  # its own PATH: tests empty it
    os.chmod(path, 0o755)
    return path


# Token soups: every piece a hostile or confused user might type, in any order, up to the
# length limit. Whatever comes out, it is a result or one ExpressionError line.
SOUP_TOKENS = st.sampled_from(
    [
        "(", ")", "(", ")", "-", "+", "*", "/", "**", "^", "//", "%", "@", "~", "not ",
        "x", "y", "x", "1", "0", "2.5", "1e308", "1e-320", "9" * 30, "1_0", "0x1f", "1j",
        "exp(", "log(", "tanh(", "sigmoid(", "relu(", "abs(", "f(", "(x)(", "[0]", "[", "]",
        ",", ".", ":", "lambda ", "if ", "else ", "=", ":=", "'", '"', " ", "\n", "\t",
        "\\", "#", "é", "\uff11", "\x00", "{", "}", ";", "x.y", "__import__(",
    ]
)  # fmt: skip


@st.composite
def token_soups(draw):
    shape = draw(st.integers(0, 2))
    if shape == 0:  # free soup
        return "".join(draw(st.lists(SOUP_TOKENS, max_size=300)))[:_MAX_LENGTH]
    # deep nesting and unary runs around a small soup, with an optional call or subscript
    depth = draw(st.integers(0, 300))
    unary = "".join(draw(st.lists(st.sampled_from("-+~"), max_size=400)))
    core = "".join(draw(st.lists(SOUP_TOKENS, max_size=10)))
    tail = draw(st.sampled_from(["", "(1)", "[0]", "**x", "(x)(x)", ")", "("]))
    opener = draw(st.sampled_from(["(", "exp(", "abs(", "f("]))
    text = opener * depth + unary + core + ")" * depth + tail
    return text[:_MAX_LENGTH]
