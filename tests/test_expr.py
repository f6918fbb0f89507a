"""The expression parser: the whitelist, one-line errors, and results identical to the same
formula written in Python (checked on generated formulas with Hypothesis)."""

import math

import numpy as np
import pytest
from cli_cases import token_soups
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_lr import Value
from micrograd_lr.errors import DomainError, ExpressionError, UsageError
from micrograd_lr.expr import (
    FUNCTIONS,
    MAX_LENGTH,
    build,
    parse,
    parse_assignments,
    parse_number,
)


def test_names_in_order_of_first_appearance():
    assert parse("y * exp(x) + y - z").names == ("y", "x", "z")


def test_j_graph_values_and_gradients():
    J, leaves = build("(a-1)*(b+c)", ["a=2", "b=3", "c=4"])
    J.backward()
    assert J.data == 7.0
    assert {k: (v.data, v.grad, v.label) for k, v in leaves.items()} == {
        "a": (2.0, 7.0, "a"),
        "b": (3.0, 1.0, "b"),
        "c": (4.0, 1.0, "c"),
    }


def test_numbers_are_folded_as_in_python():
    x = Value(2.0, "x")
    for text, op_symbol, constant, first in [
        ("x*3", "*", 3.0, False),
        ("3-x", "-", 3.0, True),
        ("x**2", "**", 2.0, False),
        ("x*(2*3)", "*", 6.0, False),  # number-only parts are computed right away
        ("2**-1 / x", "/", 0.5, True),
    ]:
        root = parse(text).evaluate({"x": x})
        assert (root.op.symbol, root.constant, root.op.constant_first) == (
            op_symbol,
            constant,
            first,
        )
        assert root.parents == (x,)


def test_a_constant_expression_gives_a_leaf():
    root = parse("2 * exp(0) + 1").evaluate({})
    assert (root.data, root.op) == (3.0, None)


def test_values_may_be_plain_numbers():
    assert parse("a * b").evaluate({"a": 2.0, "b": Value(3.0)}).data == 6.0


def test_expression_is_reusable():
    expression = parse("x * x")
    assert [expression.evaluate({"x": Value(v)}).data for v in (1.0, 2.0, 3.0)] == [1, 4, 9]


def test_error_is_a_usage_error_and_a_value_error():
    with pytest.raises(ExpressionError) as caught:
        parse("a.b")
    assert isinstance(caught.value, UsageError) and isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a.real", "attribute access"),
        ("a[0]", "subscripts"),
        ("lambda: 1", "lambda"),
        ("(lambda: 1)()", "calling 'lambda: 1'"),
        ("__import__('os').system('true')", "calling \"__import__('os').system\""),
        ("open('x')", "calling 'open'"),
        ("exp(a, a)", "exp() takes exactly one argument"),
        ("exp(x=a)", "exp() takes exactly one argument"),
        ("exp(a, base=2)", "exp() takes exactly one argument"),
        ("exp", "exp is a function"),
        ("a < b", "comparisons"),
        ("a and b", "and/or"),
        ("a if b else c", "conditional"),
        ("(a := 1)", ":="),
        ("a, b", "tuples"),
        ("[a]", "lists"),
        ("{a}", "sets"),
        ("{a: b}", "dicts"),
        ("f'{a}'", "f-strings"),
        ("'a'", "strings"),
        ("b'a'", "bytes"),
        ("1j * a", "complex numbers"),
        ("True * a", "True/False"),
        ("None", "None"),
        ("...", "Ellipsis"),
        ("a // 2", "the operator //"),
        ("a % 2", "the operator %"),
        ("a @ b", "the operator @"),
        ("~a", "the operator ~"),
        ("not a", "the operator not"),
        ("a b", "syntax error at column 3"),
        ("(a", "syntax error"),
        ("", "empty"),
        ("   ", "empty"),
        ("a\x00", "null bytes"),
        ("(" * 300 + "a" + ")" * 300, "syntax error"),
        ("1e999 * a", "too large for a float"),
        ("9" * 400 + " * a", "too large for a float"),
        ("a" * (MAX_LENGTH + 1), f"{MAX_LENGTH + 1} characters long; the limit is {MAX_LENGTH}"),
    ],
)
def test_disallowed_input_gets_a_one_line_error(text, message):
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_length_limit_is_inclusive():
    text = "a+" * (MAX_LENGTH // 2 - 1) + "a1"
    assert len(text) == MAX_LENGTH
    assert parse(text).names == ("a", "a1")


def test_deep_nesting_is_evaluated_without_recursion():
    root = parse("-" * 999 + "a").evaluate({"a": Value(2.0)})
    assert root.data == -2.0
    right_associative = parse("a**" * 300 + "2").evaluate({"a": Value(1.0)})
    assert (right_associative.data, len(right_associative.parents)) == (1.0, 2)


@pytest.mark.parametrize(
    ("text", "values", "message"),
    [
        ("2**2**2**2**2 * a", {"a": 1.0}, "overflow"),
        ("a ** 1e10", {"a": 2.0}, "overflow"),
        ("exp(a)", {"a": 1000.0}, "exp overflows above 709.78"),
        ("a / 0", {"a": 1.0}, "division by zero"),
        ("1 / (a - a)", {"a": 1.0}, "division by zero"),
        ("log(a)", {"a": -1.0}, "log of a non-positive number"),
        ("(-8) ** (1/3) * a", {"a": 1.0}, "complex"),
        ("a ** b", {"a": -2.0, "b": 2.0}, "positive base"),
    ],
)
def test_arithmetic_failures_are_one_line_expression_errors(text, values, message):
    with pytest.raises(ExpressionError) as caught:
        build(text, values)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_missing_value_is_named():
    with pytest.raises(ExpressionError, match="no value for b, c: give each as NAME=NUMBER"):
        build("a*b*c", ["a=1"])


def test_unknown_name_is_named_with_the_real_ones():
    with pytest.raises(ExpressionError, match=r"d does not appear .* \(its variables: a, b\)"):
        build("a*b", ["a=1", "b=2", "d=3"])


def test_unknown_names_are_shown_cut_short():
    # Names a user typed are echoed within bounds: a 5000-character name, 1000 names.
    long = "z" * 5000
    with pytest.raises(ExpressionError) as caught:
        build("a*b", ["a=1", "b=2", f"{long}=3"])
    message = str(caught.value)
    assert len(message) < 200 and "(5000 characters) does not appear" in message
    many = [f"v{k}=1" for k in range(1000)]
    with pytest.raises(ExpressionError) as caught:
        build("a", ["a=1", *many])
    message = str(caught.value)
    assert len(message) < 200 and "v0, v1, v2, v3, v4 and 995 more do not appear" in message
    with pytest.raises(ExpressionError) as caught:
        parse_assignments([f"{long}=1", f"{long}=2.5{'0' * 3000}"])
    assert len(str(caught.value)) < 300 and "is given twice (1 and '2.500" in str(caught.value)


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["a"], "expected NAME=NUMBER, got 'a'"),
        (["a=x"], "'a=x': 'x' is not a number"),
        (["a="], "'' is not a number"),
        (["a=1j"], "is not a number"),
        (["a=nan"], "finite"),
        (["a=inf"], "finite"),
        (["a=1e999"], "finite"),
        (["a=1", "a=2"], "a is given twice"),
        (["1a=2"], "'1a' is not a valid variable name"),
        (["lambda=2"], "not a valid variable name"),
        (["=2"], "not a valid variable name"),
    ],
)
def test_bad_assignments(items, message):
    with pytest.raises(ExpressionError, match=message):
        parse_assignments(items)


def test_assignments_accept_ascii_decimal_floats():
    assert parse_assignments(["a=-1.5e-3", " b = 2 ", "c=.5", "d=+3.", "e=1E+2"]) == {
        "a": -1.5e-3,
        "b": 2.0,
        "c": 0.5,
        "d": 3.0,
        "e": 100.0,
    }


@pytest.mark.parametrize(
    "text",
    ["1_000", "\uff11", "\u0661", "1e", ".", "e5", "0x10", "1,5", "--1", "", "1 2", "\u00a01"],
)
def test_the_number_grammar_refuses_underscores_and_non_ascii_digits(text):
    float_reads_it = True
    try:
        float(text)
    except ValueError:
        float_reads_it = False
    with pytest.raises(ValueError, match="is not a number"):
        parse_number(text)
    with pytest.raises(ExpressionError, match="is not a number"):
        parse_assignments([f"a={text}"])
    if text in ("1_000", "\uff11", "\u0661", "\u00a01"):
        assert float_reads_it  # the cases where Python's float is more lenient


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.floats(allow_nan=False) | st.text(alphabet="0123456789.eE+-_ infa", max_size=12))
def test_the_number_grammar_agrees_with_float_on_ascii_decimal_text(x):
    text = repr(x) if isinstance(x, float) else x
    try:
        expected = float(text)
    except ValueError:
        expected = None
    try:
        got = parse_number(text)
    except ValueError:
        got = None
    if "_" in text or expected is None:
        assert got is None
    else:
        assert got == expected or (math.isnan(got) and math.isnan(expected))


def test_names_are_matched_as_python_reads_them():
    # Python reads the ligature "ﬁ" as "fi" (NFKC); an assignment must match either way.
    root, leaves = build("ﬁ * 2", ["ﬁ=3"])
    assert (list(leaves), root.data) == (["fi"], 6.0)


# --- Hypothesis ------------------------------------------------------------------------------
names = st.sampled_from(["x", "y", "z"])
numbers = st.one_of(
    st.integers(0, 5).map(float), st.floats(-3, 3, allow_nan=False).map(lambda f: round(f, 3))
)


def _formulas():
    """(text, fn) pairs: the text to parse and a function computing the same formula with
    Python operators on whatever it is given (floats, or Values)."""
    leaf = names.map(lambda n: (n, lambda env, n=n: env[n])) | numbers.map(
        lambda c: (f"({c!r})", lambda env, c=c: c)
    )

    def extend(children):
        binary = st.tuples(st.sampled_from(sorted(OPERATORS)), children, children).map(
            lambda t: (
                f"({t[1][0]} {t[0]} {t[2][0]})",
                lambda env, op=t[0], f=t[1][1], g=t[2][1]: _binary(op, f(env), g(env)),
            )
        )
        unary = children.map(lambda c: (f"(-{c[0]})", lambda env, f=c[1]: -f(env)))
        call = st.tuples(st.sampled_from(sorted(FUNCTIONS)), children).map(
            lambda t: (f"{t[0]}({t[1][0]})", lambda env, name=t[0], f=t[1][1]: _call(name, f(env)))
        )
        return binary | unary | call

    return st.recursive(leaf, extend, max_leaves=12)


OPERATORS = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
}


def _binary(op, a, b):
    if isinstance(a, Value) or isinstance(b, Value):
        return OPERATORS[op](a, b)
    # Two plain numbers go through the engine, exactly as the parser does it (so 0 ** 0.5
    # and (-8) ** (1/3) fail the same way).
    return OPERATORS[op](Value(a), b).data


def _call(name, x):
    if isinstance(x, Value):
        return abs(x) if name == "abs" else getattr(x, name)()
    # A plain number goes through the engine, exactly as the parser does it.
    return _call(name, Value(x)).data


point = st.fixed_dictionaries({n: st.floats(-2, 2, allow_nan=False) for n in "xyz"})


@settings(max_examples=300, deadline=None, derandomize=True)
@given(_formulas(), point)
def test_parsed_formula_equals_python_formula(formula, values):
    """Same data and same gradients, bit for bit, as the formula written in Python; or, when
    Python's version fails in the engine, a clean ExpressionError."""
    text, python_formula = formula
    expression = parse(text)
    direct_leaves = {n: Value(v, n) for n, v in values.items()}
    try:
        expected = python_formula(direct_leaves)
    except (ArithmeticError, DomainError):
        with pytest.raises(ExpressionError):
            build(text, {n: values[n] for n in expression.names})
        return
    root, leaves = build(text, {n: values[n] for n in expression.names})
    expected = expected if isinstance(expected, Value) else Value(expected)
    assert root.data == expected.data or (math.isnan(root.data) and math.isnan(expected.data))
    if math.isfinite(root.data):
        root.backward()
        expected.backward()
        for name, leaf in leaves.items():
            want = direct_leaves[name].grad
            assert leaf.grad == want or (math.isnan(leaf.grad) and math.isnan(want))


EXPRESSION_CHARACTERS = st.text(
    alphabet="xyz0123456789.e+-*/()_ ,[]:'\"lambdaexpogtnhsir", max_size=60
)


@settings(max_examples=500, deadline=None, derandomize=True)
@given(st.one_of(st.text(max_size=80), EXPRESSION_CHARACTERS))
def test_any_text_gives_a_result_or_a_clean_error(text):
    try:
        expression = parse(text)
    except ExpressionError as error:
        assert "\n" not in str(error)
        return
    try:
        root = expression.evaluate({name: Value(0.75, name) for name in expression.names})
    except ExpressionError as error:
        assert "\n" not in str(error)
        return
    assert isinstance(root, Value)


@pytest.mark.parametrize(
    ("text", "python"),
    [
        ("-x**2", lambda x, y: -(x**2)),
        ("x-y-x", lambda x, y: (x - y) - x),
        ("x/y*x", lambda x, y: (x / y) * x),
        ("x**y**2", lambda x, y: x ** (y**2)),
        ("2**-x", lambda x, y: 2 ** (-x)),
        ("x - -y", lambda x, y: x - (-y)),
        ("+x * y", lambda x, y: x * y),
        ("exp(-x) + log(y) * tanh(x)", lambda x, y: (-x).exp() + y.log() * x.tanh()),
    ],
)
def test_precedence_and_associativity_follow_python(text, python):
    x, y = Value(1.25, "x"), Value(0.75, "y")
    root = parse(text).evaluate({"x": x, "y": y})
    assert root.data == python(x, y).data


TOKENS_BETWEEN = st.sampled_from([" + ", " - ", " * ", " / ", " ** ", "+-", "*-", "**-"])
OPERAND = st.one_of(
    names,
    # Float literals only: Python would compute 4**4**4**4 exactly, as an endless integer.
    st.sampled_from(["0.5", "1.5", "2.0", "3.0", "1e2"]),
    st.tuples(st.sampled_from(sorted(FUNCTIONS)), names).map(lambda t: f"{t[0]}({t[1]})"),
    st.tuples(names, TOKENS_BETWEEN, names).map(lambda t: f"({''.join(t)})"),
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.tuples(st.booleans(), OPERAND, st.lists(st.tuples(TOKENS_BETWEEN, OPERAND), max_size=5)),
    point,
)
def test_unparenthesized_formulas_read_as_python_reads_them(parts, values):
    """Python itself is the oracle for precedence: the same text evaluated by Python on
    Values (in the test only; the library never calls eval)."""
    negate, first, rest = parts
    text = ("-" if negate else "") + first + "".join(op + operand for op, operand in rest)
    leaves = {n: Value(v, n) for n, v in values.items()}
    namespace = {**leaves, **FUNCTIONS}  # every call generated has a Value argument
    try:
        expected = eval(text, {"__builtins__": {}}, namespace)  # trusted, generated text
    except (ArithmeticError, DomainError):
        with pytest.raises(ExpressionError):
            parse(text).evaluate(leaves)
        return
    root = parse(text).evaluate(leaves)
    expected_data = expected.data if isinstance(expected, Value) else expected
    assert root.data == expected_data or (math.isnan(root.data) and math.isnan(expected_data))


@pytest.mark.parametrize("bad", ["2", None, True, 1j, [1.0]])
def test_a_mapping_value_that_is_not_a_number_is_named(bad):
    with pytest.raises(TypeError, match=r"the value of 'b' must be a number, got "):
        build("a*b", {"a": 1.0, "b": bad})


def test_a_mapping_may_hold_ints_and_numpy_scalars():
    root, leaves = build("a*b", {"a": 2, "b": np.float32(1.5)})
    assert root.data == 3.0 and type(leaves["a"].data) is float


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("a.b", 1),
        ("  a.b", 3),  # leading spaces count: they are in what was typed
        ("éé + a.b", 6),  # characters, not UTF-8 bytes (8)
        ("漢字 + a.b", 6),
        ("éé*1e999", 4),
        ("éé + 1j", 6),
        ("(a +\n b.c)", 7),  # counted from the start of the text, across lines
        ("  a + )", 7),
        ("(a +\n )) ", 8),
    ],
)
def test_error_columns_count_characters_of_the_text_as_given(text, column):
    with pytest.raises(ExpressionError, match=rf"at column {column}\b"):
        parse(text)


# Regression (issue 10 #1): ast.unparse recursed while the "calling ... is not allowed"
# message was written, so deeply nested callees died with RecursionError.
@pytest.mark.parametrize(
    "text",
    [
        "(" + "x+" * 400 + "x)(2)",
        "(" + "-" * 400 + "x)(1)",
        "(" + "(" * 150 + "x" + ")" * 150 + ")(1)",
        "-" * 999 + "x",
        "x" + "**x" * 330,
    ],
)
def test_deep_text_within_the_limit_gives_a_one_line_error_or_a_result(text):
    assert len(text) <= MAX_LENGTH
    try:
        expression = parse(text)
        expression.evaluate({"x": Value(1.0, "x")})
    except ExpressionError as error:
        assert "\n" not in str(error)


def test_a_long_callee_is_quoted_short():
    with pytest.raises(ExpressionError, match=r"calling '(x\+){18}x\.\.\.' is not allowed"):
        parse("(" + "x+" * 400 + "x)(2)")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x^2", "the operator ^ is not allowed at column 2; for a power write **"),
        ("(a+1) ^ b", "the operator ^ is not allowed at column 7; for a power"),
        ("a // b", "the operator // is not allowed at column 3; divide with /"),
        ("a*", "syntax error at column 3: the formula ends too early"),
        ("  a + ", "syntax error at column 6: the formula ends too early"),
        ("1_000*a", "write the number '1_000' without _ at column 1"),
        ("a*1e1_0", "write the number '1e1_0' without _ at column 3"),
    ],
)
def test_errors_point_at_the_culprit_and_say_what_to_write(text, message):
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    assert message in str(caught.value)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(token_soups())
def test_token_soups_up_to_the_limit_give_a_result_or_one_error_line(text):
    try:
        expression = parse(text)
        root = expression.evaluate({name: Value(0.5, name) for name in expression.names})
    except ExpressionError as error:
        assert "\n" not in str(error) and str(error)
        return
    root.backward()


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.text(max_size=20), max_size=4))
def test_any_assignments_give_values_or_one_error_line(items):
    try:
        values = parse_assignments(items)
    except ExpressionError as error:
        assert "\n" not in str(error)
    else:
        assert all(math.isfinite(v) for v in values.values())
