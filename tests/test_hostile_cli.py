"""Regression tests for what a hostile user found in the merged product (issue 10's rules).

Each command must end a user error in one line on stderr and exit 2, and a library call
must name the operation and the bad value, never leak a raw NumPy ``RuntimeWarning``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from micrograd_lr import Value
from micrograd_lr.cli import main
from micrograd_lr.logistic.estimator import LogisticRegression
from micrograd_lr.stepper import Stepper


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


# A C so small that 1/C overflows gave a raw "invalid value encountered in multiply", and
# train blamed the features ("features too large: the largest |x| is 3.69").
def test_train_refuses_a_subnormal_C(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--C", "1e-320", "--no-progress"]) == 2
    err = one_error_line(capsys)
    assert "C = 1e-320 is too small" in err and "1/C" in err


@pytest.mark.parametrize("solver", ["lbfgs", "newton", "gd", "fista"])
def test_estimator_refuses_a_subnormal_C(solver: str) -> None:
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array([0, 1, 0, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(ValueError, match=r"C = 1e-320 is too small"):
            LogisticRegression(C=1e-320, solver=solver).fit(X, y)


# --timeout 1e300 passed the check (positive, finite) and then overflowed poll():
# "overflow: timeout is too large", a message that names neither the option nor the value.
def test_draw_takes_a_huge_timeout_as_no_limit(
    tmp_path: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "t.svg"  # type: ignore[operator]
    assert main(["draw", "x*x", "x=1", "--timeout", "1e300", "-o", str(out)]) == 0
    assert out.read_text().lstrip().startswith("<?xml")


def test_stepper_takes_a_huge_timeout_as_no_limit() -> None:
    x = Value(2.0, label="x")
    assert "<svg" in Stepper(x * x, timeout=1e300).svg()


# The stepper ran dot with the default stack, so a 331-node chain (allowed by --max-nodes)
# crashed it: "Graphviz could not draw the graph: exit status -11". draw gives dot a larger
# stack; now the stepper does too.
def test_explain_html_of_a_long_chain(
    tmp_path: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "chain.html"  # type: ignore[operator]
    formula = "x" + "*x" * 330
    argv = ["explain", formula, "x=1.001", "--max-nodes", "1000", "--html", str(page)]
    assert main(argv) == 0, capsys.readouterr().err
    assert "<svg" in page.read_text()


# Ctrl-C while the commands were being imported (a cold start takes seconds on a loaded
# machine) printed a KeyboardInterrupt traceback from argparse.
def test_ctrl_c_before_the_command_starts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import micrograd_lr.cli as cli

    def interrupted() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "build_parser", interrupted)
    assert main(["draw", "--help"]) == 130
    assert one_error_line(capsys) == "micrograd-lr: interrupted before the command started\n"


# gradcheck at a point where f overflows printed only "finite diff nan, rel error nan",
# as if the gradient were wrong; it now says that the difference quotient is unusable.
def test_gradcheck_says_when_the_finite_difference_overflows() -> None:
    from micrograd_lr import GradcheckError, gradcheck

    with pytest.raises(GradcheckError, match=r"finite difference of #0 is not finite"):
        gradcheck(lambda x: x * x, [1e300])


# --solver newton on 30000 features tried to allocate a 6.7 GiB Hessian (the machine swapped,
# or "out of memory" after seconds); it is refused up front, naming the size and the fix.
def test_newton_refuses_a_hessian_too_large_for_memory() -> None:
    X = np.zeros((2, 12_000))
    X[1, 0] = 1.0
    with pytest.raises(ValueError, match=r"12001 x 12001 Hessian \(1\.1 GiB\).*'lbfgs'"):
        LogisticRegression(solver="newton").fit(X, [0, 1])


# NAME=NUMBER with a 5000-digit number (or any long text) was echoed whole, twice.
def test_a_huge_assignment_is_quoted_in_short(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grad", "x", "x=" + "1" * 5000]) == 2
    err = one_error_line(capsys)
    assert "(5002 characters): the value must be a finite number" in err and len(err) < 300
    assert main(["grad", "x", "x=" + "_" * 5000]) == 2
    assert len(one_error_line(capsys)) < 300
