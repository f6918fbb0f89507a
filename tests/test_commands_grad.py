"""``micrograd-lr grad``: each partial derivative by backprop beside a central difference,
checked against closed forms; bad input refused as for ``draw``."""

import argparse
import contextlib
import io
import math
import re

import pytest
from cli_cases import BAD_INPUTS, token_soups
from hypothesis import given, settings

from micrograd_lr.cli import main
from micrograd_lr.commands._formula import load_formula
from micrograd_lr.commands.grad import check_gradient


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def rows(out):
    """variable -> (value, backprop, central difference, rel error) from the table."""
    table = {}
    for line in out.splitlines()[2:]:
        cells = line.split()
        if line.startswith("  ") and re.fullmatch(r"\w+", cells[0]):
            table[cells[0]] = tuple(cells[1:5])
    return table


def test_grad_prints_backprop_beside_central_differences(capsys):
    code, out, err = run(["grad", "(a-1)*(b+c)", "a=2", "b=3", "c=4"], capsys)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "J = (a-1)*(b+c) = 7.0"
    assert lines[1].split() == [
        "variable", "value", "dJ/dx", "backprop", "central", "difference", "rel", "error",
    ]  # fmt: skip
    table = rows(out)
    assert list(table) == ["a", "b", "c"]
    closed_form = {"a": 3 + 4, "b": 2 - 1, "c": 2 - 1}  # dJ/da = b + c, dJ/db = dJ/dc = a - 1
    for name, (_, backprop, numeric, rel) in table.items():
        assert float(backprop) == closed_form[name]
        assert math.isclose(float(numeric), closed_form[name], rel_tol=1e-9)
        assert float(rel) < 1e-9
    assert lines[-1].startswith("backprop and central differences agree")


def test_grad_of_a_nonlinear_formula_matches_closed_form(capsys):
    x, y = 0.3, -1.2
    code, out, _ = run(["grad", "sigmoid(x*y) + x**3 / y", f"x={x}", f"y={y}"], capsys)
    assert code == 0
    s = 1 / (1 + math.exp(-x * y))
    expected = {"x": s * (1 - s) * y + 3 * x**2 / y, "y": s * (1 - s) * x - x**3 / y**2}
    table = rows(out)
    assert set(table) == {"x", "y"}
    for name, (_, backprop, numeric, _) in table.items():
        assert math.isclose(float(backprop), expected[name], rel_tol=1e-14)
        assert math.isclose(float(numeric), expected[name], rel_tol=1e-8)


def test_a_kink_is_flagged_and_exits_1(capsys):
    code, out, _ = run(["grad", "relu(x) + y", "x=0", "y=1"], capsys)
    assert code == 1
    x_row = rows(out)["x"]
    assert x_row[1] == "0.0" and float(x_row[2]) == pytest.approx(0.5)
    assert "differs" in out and "kink" in out


def test_an_infinite_gradient_is_flagged(capsys):
    # d/da 1/a = -1/a**2 overflows to -inf at a = 1e-160: not in agreement with anything.
    code, out, _ = run(["grad", "1/a", "a=1e-160"], capsys)
    assert code == 1
    assert rows(out)["a"][1] == "-inf"
    assert "differs" in out and "agree" not in out


def test_undefined_difference_is_reported(capsys):
    code, out, _ = run(["grad", "log(x)", "x=1e-7"], capsys)
    assert code == 0
    assert "undefined at x+-h" in out
    # The only partial was not checked: nothing may claim that it agrees.
    assert "agree" not in out and "1 partial(s) not checked" in out
    code, out, _ = run(["grad", "log(x) + y", "x=1e-7", "y=2"], capsys)
    assert "agree" in out and "1 partial(s) not checked" in out


def test_eps_option(capsys):
    assert run(["grad", "x*x", "x=1", "--eps", "0.5"], capsys)[0] == 0
    code, out, err = run(["grad", "x*x", "x=1", "--eps", "2"], capsys)
    assert (code, out) == (2, "") and "--eps must be in (0, 1)" in err


def test_check_gradient_varies_one_variable_at_a_time():
    args = argparse.Namespace(expression="a*b*b", assignments=["a=2", "b=3"])
    slopes = dict(check_gradient(load_formula(args)))
    assert math.isclose(slopes["a"], 9.0, rel_tol=1e-9)
    assert math.isclose(slopes["b"], 12.0, rel_tol=1e-9)


@pytest.mark.parametrize(("argv", "message"), BAD_INPUTS)
def test_bad_input_is_one_line_exit_2(capsys, argv, message):
    code, out, err = run(["grad", *argv], capsys)
    assert (code, out) == (2, "")
    assert err.startswith("micrograd-lr grad: error: ") and err.count("\n") == 1
    assert message in err


def test_order_2_prints_the_hessian_against_its_closed_form(capsys):
    code, out, err = run(["grad", "a*a*b + exp(a*b)", "a=0.5", "b=2", "--order", "2"], capsys)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    start = lines.index("Hessian d2J/dx dy (backprop through backprop):")
    assert lines[start + 1].split() == ["a", "b"]
    H = {
        line.split()[0]: [float(x) for x in line.split()[1:]]
        for line in lines[start + 2 : start + 4]
    }
    e = math.e
    assert H["a"] == pytest.approx([2 * 2 + 4 * e, 1 + 2 * e], rel=1e-15)
    assert H["b"] == pytest.approx([1 + 2 * e, 0.25 * e], rel=1e-15)
    difference = re.search(r"\(([0-9.e+-]+) relative\)", lines[start + 4])
    assert difference is not None and float(difference.group(1)) < 1e-7


def test_order_must_be_1_or_2(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["grad", "a*a", "a=1", "--order", "3"])
    assert exit_.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_order_2_prints_the_hessian_where_its_check_is_undefined(capsys):
    # At x = 1e-7 the steps x +- h of the check cross 0, where log is undefined; the
    # Hessian from backprop, -1/x**2, is still printed, as the first order's row is.
    code, out, err = run(["grad", "log(x)", "x=1e-7", "--order", "2"], capsys)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    start = lines.index("Hessian d2J/dx dy (backprop through backprop):")
    assert float(lines[start + 2].split()[1]) == pytest.approx(-1e14, rel=1e-15)
    assert "undefined" in lines[start + 3] and "--eps" in lines[start + 3]


@pytest.mark.parametrize("options", [["grad"], ["draw", "--text"]])
def test_a_formula_starting_with_minus_gets_the_hint_to_use_dashes(capsys, options):
    with pytest.raises(SystemExit) as exit_:
        main([*options, "-x**2", "x=3"])
    out, err = capsys.readouterr()
    assert exit_.value.code == 2 and out == ""
    assert "unrecognized arguments: -x**2" in err
    assert f'micrograd-lr {options[0]} -- "-x**2" x=3' in err
    # ... and the hint works.
    assert main([*options, "--", "-x**2", "x=3"]) == 0
    assert "-6.0" in capsys.readouterr().out


def test_the_result_is_never_named_like_a_variable(capsys):
    code, out, _ = run(["grad", "J+f+out+result", "J=1", "f=2", "out=3", "result=4"], capsys)
    assert code == 0
    assert out.splitlines()[0] == "result1 = J+f+out+result = 10.0"
    assert "dresult1/dx backprop" in out


# Regressions (issue 10 #2, #3): overflow in the second derivatives, and a step too small to
# move x, were tracebacks; now one line, exit 2, and nothing on stdout.
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--order", "2", "x**-2", "x=1e-100"], "second derivatives at these values: overflow"),
        (["--order", "2", "x**0.5", "x=1e-320"], "second derivatives at these values: overflow"),
        (["--eps", "1e-300", "x*x", "x=1"], "step h = 1e-300 (eps = 1e-300) is too small to move"),
        (["--eps", "1e-17", "3*x", "x=1e300"], "too small to move x = 1e+300"),
    ],
)
def test_numerical_trouble_is_one_line_exit_2_and_prints_nothing(capsys, argv, message):
    code, out, err = run(["grad", *argv], capsys)
    assert (code, out) == (2, "")
    assert err.startswith("micrograd-lr grad: error: ") and err.count("\n") == 1
    assert message in err


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        # The steps x +- h straddle the pole at 0: not a kink.
        (["1/x", "x=1e-110"], "the steps x-h and x+h lie on both sides of 0, where a pole"),
        (["a/a", "a=1e-320"], "backprop gives a non-finite derivative"),
        (["relu(x) + y", "x=0", "y=1"], "at a kink (relu, abs at 0)"),
    ],
)
def test_a_difference_is_explained_by_what_caused_it(capsys, argv, reason):
    code, out, _ = run(["grad", *argv], capsys)
    assert code == 1
    notes = [line for line in out.splitlines() if "differs from the central difference" in line]
    assert len(notes) == 1 and reason in notes[0]
    if "kink" not in reason:
        assert "kink (relu, abs at 0)" not in notes[0]


@settings(max_examples=150, deadline=None, derandomize=True)
@given(token_soups())
def test_token_soups_on_the_command_line_never_give_a_traceback(text):
    """Issue 10 #1: any text within the length limit gives exit 0 or 2 (1: grad's check)."""
    assignments = [f"{name}=0.5" for name in ("x", "y") if name in text]
    for command, allowed in (["grad"], {0, 1, 2}), (["draw", "--text"], {0, 2}):
        err = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            code = main([*command, "--", text, *assignments])
        assert code in allowed
        assert err.getvalue().count("\n") == (code == 2)


def test_ctrl_c_in_grad_is_one_line_and_exit_130(capsys, monkeypatch):
    import micrograd_lr.commands.grad as grad_command

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(grad_command, "_first_order_report", interrupted)
    code, out, err = run(["grad", "x*x", "x=1"], capsys)
    assert (code, out) == (130, "")
    assert err == "micrograd-lr grad: interrupted: before anything was printed\n"
