"""A safe parser for formulas typed on the command line, evaluated as a graph of Values.

The text is parsed with Python's `ast` and checked against a whitelist: numbers (int and
float literals), names, ``+ - * / **``, unary ``-`` and ``+``, parentheses, and calls to
``exp log tanh sigmoid relu abs`` with one argument. Nothing is ever passed to ``eval``:
the syntax tree is compiled to a short postfix program that `Expression.evaluate` runs on
Values, without recursion.

Examples
--------
>>> J, leaves = build("(a-1)*(b+c)", ["a=2", "b=3", "c=4"])
>>> J.backward()
>>> J.data, [(name, v.grad) for name, v in leaves.items()]
(7.0, [('a', 7.0), ('b', 1.0), ('c', 1.0)])
"""

from __future__ import annotations

import ast
import keyword
import math
import re
import unicodedata
import warnings
from collections.abc import Callable, Mapping, Sequence
from numbers import Real
from typing import Any

from .engine import Value
from .errors import DomainError, ExpressionError

__all__ = [
    "FUNCTIONS",
    "MAX_LENGTH",
    "Expression",
    "build",
    "parse",
    "parse_assignments",
    "parse_number",
    "shown_text",
]

MAX_LENGTH = 1000
"""Longest expression accepted, in characters."""

FUNCTIONS: dict[str, Callable[[Value], Value]] = {
    "exp": Value.exp,
    "log": Value.log,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "relu": Value.relu,
    "abs": Value.__abs__,
}
"""Functions an expression may call, each with one argument."""

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: lambda x, y: x + y,
    ast.Sub: lambda x, y: x - y,
    ast.Mult: lambda x, y: x * y,
    ast.Div: lambda x, y: x / y,
    ast.Pow: lambda x, y: x**y,
}

_OPERATOR_NAMES: dict[type[ast.AST], str] = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.BitXor: "^",
    ast.Invert: "~",
    ast.Not: "not",
}

_CONSTRUCTS: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access (x.y)",
    ast.Subscript: "subscripts (x[i])",
    ast.Lambda: "lambda",
    ast.Compare: "comparisons",
    ast.BoolOp: "and/or",
    ast.IfExp: "conditional expressions (x if c else y)",
    ast.NamedExpr: "assignment expressions (:=)",
    ast.Tuple: "tuples (a comma outside a call)",
    ast.List: "lists",
    ast.Set: "sets",
    ast.Dict: "dicts",
    ast.JoinedStr: "f-strings",
    ast.Starred: "starred arguments",
}

_ALLOWED = "allowed: numbers, names, + - * / **, unary -, parentheses and calls to " + ", ".join(
    f"{name}()" for name in FUNCTIONS
)

# Postfix instructions: ("push", number | name) or ("apply", arity, function, symbol).
Instruction = tuple[Any, ...]


_NUMBER = re.compile(
    r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)",
    re.ASCII | re.IGNORECASE,
)

_ASCII_SPACE = " \t\n\r\f\v"


SHOWN_CHARACTERS = 40
"""How much of a CSV cell or an argument an error quotes: 100 kB must not flood stderr."""


def shown_text(text: str) -> str:
    """``text`` stripped and quoted for an error message, cut to `SHOWN_CHARACTERS`.

    >>> shown_text(" 1.5x "), shown_text("y" * 100)
    ("'1.5x'", "'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy' ... (100 characters)")
    """
    text = text.strip()
    if len(text) <= SHOWN_CHARACTERS:
        return repr(text)
    return f"{text[:SHOWN_CHARACTERS]!r} ... ({len(text)} characters)"


def _shown_names(names: Sequence[str], most: int = 5) -> str:
    """Variable names for an error message: the first ``most``, each cut like `shown_text`.

    >>> _shown_names(["a", "b" * 60, *"cdefg"])
    "a, 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' ... (60 characters), c, d, e and 2 more"
    """
    shown = [name if len(name) <= SHOWN_CHARACTERS else shown_text(name) for name in names]
    if len(shown) <= most:
        return ", ".join(shown)
    return f"{', '.join(shown[:most])} and {len(shown) - most} more"


def parse_number(text: str) -> float:
    """A number written in ASCII decimal, as Python's `float` reads it but stricter.

    The one number grammar of the command line's ``NAME=NUMBER`` values and of CSV cells:
    an optional sign, digits with an optional decimal point, an optional exponent
    (``-1.5e-3``, ``.5``, ``2.``), or ``inf``, ``infinity``, ``nan`` in any case;
    surrounding ASCII spaces are ignored. Unlike `float`, underscores (``1_000``) and
    non-ASCII digits (full-width U+FF11, Arabic-Indic U+0661) are refused: a data file or
    a command line that holds them is more likely a mistake than a number.

    Parameters
    ----------
    text : str
        The text to read.

    Returns
    -------
    float
        Possibly ``inf`` or ``nan``, when spelled so: callers that need a finite number
        check `math.isfinite`.

    Raises
    ------
    ValueError
        The text is not such a number; the message quotes it.

    Examples
    --------
    >>> parse_number(" -1.5e3 "), parse_number(".5"), parse_number("Inf")
    (-1500.0, 0.5, inf)
    >>> parse_number("1_000")
    Traceback (most recent call last):
    ...
    ValueError: '1_000' is not a number (write it with ASCII digits, as in -1.5e3, without _)
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}: {text!r}")
    if _NUMBER.fullmatch(text.strip(_ASCII_SPACE)) is None:
        raise ValueError(
            f"{shown_text(text)} is not a number (write it with ASCII digits, as in -1.5e3, "
            "without _)"
        )
    return float(text)


def _fail(
    message: str, node: ast.AST | None = None, column: int | None = None, hint: str = ""
) -> ExpressionError:
    if column is None and node is not None and hasattr(node, "col_offset"):
        column = node.col_offset
    where = f" at column {column + 1}" if column is not None else ""
    return ExpressionError(f"{message}{where}{hint}; {_ALLOWED}")


_OPERATOR_HINTS: dict[type[ast.AST], str] = {
    ast.BitXor: "; for a power write **, as in x**2",
    ast.FloorDiv: "; divide with /",
}


def _operator_column(node: ast.BinOp, text: str) -> int | None:
    """Where the operator of ``node`` is in ``text`` (0-based), between its operands."""
    start = getattr(node.left, "end_col_offset", None)
    end = node.right.col_offset
    if start is None:
        return None
    symbol = _OPERATOR_NAMES.get(type(node.op), "")
    found = text.find(symbol, start, end) if symbol else -1
    return found if found >= 0 else None


def _number(node: ast.Constant, text: str) -> float:
    value = node.value
    if isinstance(value, bool) or not isinstance(value, int | float):
        kind = {bool: "True/False", complex: "complex numbers", str: "strings", bytes: "bytes"}
        raise _fail(f"{kind.get(type(value), repr(value))} are not allowed", node)
    written = text[node.col_offset : getattr(node, "end_col_offset", node.col_offset)]
    if "_" in written or not written.isascii():
        # Python reads 1_000 as 1000; the values after the formula (a=1_000) do not, and
        # one number grammar for both is less surprising (see `parse_number`).
        raise _fail(f"write the number {written!r} without _", node)
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise ExpressionError(
            f"the number at column {node.col_offset + 1} is too large for a float "
            "(largest about 1.8e308)"
        )
    return number


def _compile(tree: ast.expr, text: str) -> tuple[list[Instruction], list[str]]:
    """The postfix program of a checked syntax tree, and its names in order of appearance."""
    program: list[Instruction] = []
    names: list[str] = []
    # Iterative post-order walk: (node, operands already emitted?).
    stack: list[tuple[ast.AST, bool]] = [(tree, False)]
    while stack:
        node, expanded = stack.pop()
        if isinstance(node, ast.Constant):
            program.append(("push", _number(node, text)))
        elif isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                raise _fail(f"{node.id} is a function: call it, as in {node.id}(x)", node)
            if node.id not in names:
                names.append(node.id)
            program.append(("push", node.id))
        elif isinstance(node, ast.BinOp):
            function = _BINARY.get(type(node.op))
            if function is None:
                raise _fail(
                    f"the operator {_OPERATOR_NAMES.get(type(node.op), '?')} is not allowed",
                    node,
                    _operator_column(node, text),
                    _OPERATOR_HINTS.get(type(node.op), ""),
                )
            if expanded:
                program.append(("apply", 2, function))
            else:
                stack += [(node, True), (node.right, False), (node.left, False)]
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.USub | ast.UAdd):
                raise _fail(
                    f"the operator {_OPERATOR_NAMES.get(type(node.op), '?')} is not allowed", node
                )
            if expanded:
                if isinstance(node.op, ast.USub):
                    program.append(("apply", 1, lambda x: -x))
            else:
                stack += [(node, True), (node.operand, False)]
        elif isinstance(node, ast.Call):
            function_name = node.func.id if isinstance(node.func, ast.Name) else None
            if function_name not in FUNCTIONS:
                # The callee as typed, not ast.unparse: that recurses, and a deeply nested
                # callee would overflow the stack while the message is being written.
                shown = function_name or text[node.func.col_offset : node.func.end_col_offset]
                shown = shown if len(shown) <= 40 else shown[:37] + "..."
                raise _fail(f"calling {shown!r} is not allowed", node)
            assert function_name is not None
            if node.keywords or len(node.args) != 1:
                raise _fail(f"{function_name}() takes exactly one argument", node)
            if expanded:
                program.append(("apply", 1, FUNCTIONS[function_name]))
            else:
                stack += [(node, True), (node.args[0], False)]
        else:
            construct = _CONSTRUCTS.get(type(node), type(node).__name__)
            raise _fail(f"not allowed: {construct}", node)
    return program, names


class Expression:
    """A parsed, checked expression, ready to evaluate on Values (build it with `parse`).

    Attributes
    ----------
    text : str
        The expression as given.
    names : tuple of str
        Its variables, in order of first appearance.
    """

    __slots__ = ("_program", "names", "text")

    def __init__(self, text: str, program: Sequence[Instruction], names: Sequence[str]) -> None:
        self.text = text
        self.names = tuple(names)
        self._program = tuple(program)

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"

    def evaluate(self, values: Mapping[str, Value | float]) -> Value:
        """Compute the expression with a Value (or a number) for each name.

        Operations between plain numbers are done right away (through the engine, so
        overflow and domain errors read the same); numbers beside a Value are folded into
        its node, as in Python code. A constant expression gives a leaf Value.

        Raises
        ------
        ExpressionError
            A name has no value, or the arithmetic fails (overflow, division by zero,
            log of a non-positive number, ...); the message is one line.
        """
        missing = [name for name in self.names if name not in values]
        if missing:
            raise ExpressionError(f"no value for {', '.join(missing)}: give each as NAME=NUMBER")
        stack: list[Any] = []
        try:
            for instruction in self._program:
                if instruction[0] == "push":
                    item = instruction[1]
                    stack.append(values[item] if isinstance(item, str) else item)
                    continue
                _, arity, function = instruction
                operands = stack[-arity:]
                del stack[-arity:]
                if all(not isinstance(x, Value) for x in operands):
                    # Both plain numbers: compute through a throwaway Value for the
                    # engine's checks (no complex results, clear overflow messages).
                    operands[0] = Value(operands[0])
                    stack.append(function(*operands).data)
                else:
                    stack.append(function(*operands))
        except (ArithmeticError, DomainError) as error:
            shown = self.text if len(self.text) <= 60 else self.text[:57] + "..."
            raise ExpressionError(f"cannot evaluate {shown!r}: {error}") from None
        (result,) = stack
        return result if isinstance(result, Value) else Value(result)


def parse(text: str) -> Expression:
    """Parse and check an expression such as ``"(a-1)*(b+c)"`` or ``"sigmoid(w*x + b)"``.

    Parameters
    ----------
    text : str
        At most `MAX_LENGTH` characters.

    Returns
    -------
    Expression

    Raises
    ------
    ExpressionError
        For empty or too long input, syntax errors, and anything outside the whitelist
        (attribute access, subscripts, lambdas, other operators and functions, strings,
        complex numbers, ...); the message is one line and says what is allowed.

    Examples
    --------
    >>> parse("x * exp(-x) + y").names
    ('x', 'y')
    """
    if not isinstance(text, str):
        raise TypeError(f"the expression must be a str, got {type(text).__name__}: {text!r}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the expression is {len(text)} characters long; the limit is {MAX_LENGTH}"
        )
    if not text.strip():
        raise ExpressionError("the expression is empty: give a formula such as '(a-1)*(b+c)'")
    source = text.strip()  # leading spaces would be an IndentationError
    lead = len(text) - len(text.lstrip())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. SyntaxWarning for odd literals
            tree = ast.parse(source, mode="eval")
    except SyntaxError as error:
        starts = _line_starts(source)
        reason = (error.msg or "invalid syntax").splitlines()[0]
        if error.offset and error.lineno and error.lineno <= len(starts):
            column = lead + starts[error.lineno - 1] + error.offset
        else:  # Python gives offset 0 when the text ends before the formula does ("a*")
            column = lead + len(source) + 1
            if reason == "invalid syntax":
                reason = "the formula ends too early (an operand is missing at the end)"
        raise ExpressionError(f"syntax error at column {column}: {reason}") from None
    except (ValueError, RecursionError, MemoryError):
        # null bytes; pathological nesting that the parser itself refuses
        raise ExpressionError(
            "the expression cannot be parsed (null bytes or too deeply nested)"
        ) from None
    _columns_in_text(tree, source, lead)
    program, names = _compile(tree.body, text)
    return Expression(text, program, names)


def _line_starts(source: str) -> list[int]:
    """Where each line of ``source`` starts, as Python's tokenizer splits lines."""
    return [0, *(match.end() for match in re.finditer(r"\r\n|\r|\n", source))]


def _columns_in_text(tree: ast.AST, source: str, lead: int) -> None:
    """Make every node's ``col_offset`` and ``end_col_offset`` its 0-based character position
    in the text as given.

    `ast` counts UTF-8 bytes from the start of the node's line of the stripped source; an
    error message that says "at column N" must count characters of what the user typed.
    """
    starts = _line_starts(source)

    def position(lineno: int, offset: int) -> int:
        start = starts[lineno - 1]
        line = source[start:].encode("utf-8")
        return lead + start + len(line[:offset].decode("utf-8", errors="replace"))

    for node in ast.walk(tree):  # iterative
        if isinstance(node, ast.expr):
            node.col_offset = position(node.lineno, node.col_offset)
            if node.end_lineno is not None and node.end_col_offset is not None:
                node.end_col_offset = position(node.end_lineno, node.end_col_offset)


def _name(raw: str, item: str) -> str:
    # Python reads identifiers in NFKC form ("ﬁ" is "fi"): names given on the command line
    # must be read the same way to match.
    name = unicodedata.normalize("NFKC", raw.strip())
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ExpressionError(f"{shown_text(item)}: {shown_text(raw)} is not a valid variable name")
    return name


def parse_assignments(items: Sequence[str]) -> dict[str, float]:
    """``["a=2", "b=-0.5"]`` as ``{"a": 2.0, "b": -0.5}``, with one-line errors.

    Raises
    ------
    ExpressionError
        An item without ``=``, a bad name, a value that is not a finite number, or a name
        given twice.
    """
    values: dict[str, float] = {}
    for item in items:
        raw_name, sep, raw_value = item.partition("=")
        if not sep:
            raise ExpressionError(f"expected NAME=NUMBER, got {shown_text(item)}")
        name = _name(raw_name, item)
        try:
            value = parse_number(raw_value)
        except ValueError as error:
            raise ExpressionError(f"{shown_text(item)}: {error}") from None
        if not math.isfinite(value):
            raise ExpressionError(f"{shown_text(item)}: the value must be a finite number")
        if name in values:
            raise ExpressionError(
                f"{_shown_names([name])} is given twice ({values[name]:g} and "
                f"{shown_text(raw_value)})"
            )
        values[name] = value
    return values


def build(
    text: str, assignments: Sequence[str] | Mapping[str, float]
) -> tuple[Value, dict[str, Value]]:
    """Parse ``text``, make a leaf Value per variable (labelled with its name) and evaluate.

    Parameters
    ----------
    text : str
        The expression, as for `parse`.
    assignments : sequence of str or mapping
        ``["a=2", "b=3"]`` (as typed on a command line) or ``{"a": 2.0, "b": 3.0}``; every
        variable needs exactly one value, and every value a variable.

    Returns
    -------
    root : Value
        The expression's result (not yet backpropagated).
    leaves : dict of str to Value
        The variables, in order of first appearance in ``text``.

    Raises
    ------
    ExpressionError
        Bad expression, bad or missing or unknown assignments, failed arithmetic.
    TypeError
        A value in a mapping that is not a real number (strings are not parsed).
    """
    expression = parse(text)
    if isinstance(assignments, Mapping):
        values = {}
        for key, value in assignments.items():
            if isinstance(value, bool) or not isinstance(value, Real):
                raise TypeError(
                    f"the value of {key!r} must be a number, got {type(value).__name__}: {value!r}"
                )
            values[_name(str(key), f"{key}={value}")] = float(value)
    else:
        values = parse_assignments(assignments)
    unknown = [name for name in values if name not in expression.names]
    if unknown:
        have = ", ".join(expression.names) or "none"
        raise ExpressionError(
            f"{_shown_names(unknown)} {'does' if len(unknown) == 1 else 'do'} not appear in the "
            f"expression (its variables: {have})"
        )
    leaves = {name: Value(values[name], name) for name in expression.names if name in values}
    return expression.evaluate(leaves), leaves
