"""gradcheck: a deliberately wrong gradient is caught and shown; failures at a step beside
the point are explained."""

import math
import re

import numpy as np
import pytest

from micrograd_lr import Value
from micrograd_lr.engine import MUL, _node
from micrograd_lr.errors import DomainError, GradcheckError
from micrograd_lr.gradcheck import gradcheck, numerical_gradient


def wrong_product(x: Value, y: Value) -> Value:
    """x * y with d/dx recorded as 2y instead of y: a bug gradcheck must catch."""
    return _node(x.data * y.data, MUL, (x, 2 * y.data, y, x.data))


def test_a_wrong_gradient_is_caught_and_both_sides_are_shown():
    with pytest.raises(GradcheckError) as caught:
        gradcheck(wrong_product, [Value(3.0, "x"), Value(4.0, "y")])
    lines = str(caught.value).splitlines()
    x_row = next(line.split() for line in lines if line.split()[:1] == ["x"])
    assert [float(v) for v in x_row[1:3]] == pytest.approx([8.0, 4.0], rel=1e-9)
    assert float(x_row[3]) == pytest.approx(0.5, rel=1e-9)
    assert "largest rel error 5.000e-01" in lines[-1]


def test_a_wrong_gradient_gives_a_failed_result_without_raising():
    result = gradcheck(wrong_product, [3.0, 4.0], raise_exception=False)
    assert not result.passed
    assert result.worst_by_parameter()["#0"] == pytest.approx(0.5, rel=1e-9)
    assert result.worst_by_parameter()["#1"] < 1e-9


def test_report_columns_stay_aligned_with_long_labels():
    long = "a_label_longer_than_the_column"
    result = gradcheck(lambda a, b: a * b, [Value(3.0, long), Value(4.0, "b")])
    lines = result.report().splitlines()[:3]
    # The right edge of each column is at the same place on every line.
    ends = [[m.end() for m in re.finditer(r"\S+", line)] for line in lines]
    assert ends[1] == ends[2]
    assert ends[0][-1] == ends[1][-1]


def test_a_step_outside_the_domain_is_named_with_the_fix():
    with pytest.raises(DomainError) as caught:
        numerical_gradient(lambda x: x.log(), [Value(1e-7, "x")])
    message = str(caught.value)
    assert "for x steps from 1e-07 to" in message and "use a smaller eps" in message
    assert "log of a non-positive number" in message
    # A smaller step works, and is right (truncation error h**2 / (3 x**2) ~ 3e-7).
    (slope,) = numerical_gradient(lambda x: x.log(), [1e-7], eps=1e-10)
    assert math.isclose(slope, 1e7, rel_tol=1e-6)


def test_an_overflow_at_a_step_keeps_its_type():
    with pytest.raises(OverflowError, match=r"values\[0\] steps from"):
        numerical_gradient(lambda x: (x * 709.782712893384).exp(), [1.0])


def test_values_may_be_any_iterable_read_once():
    result = gradcheck(lambda a, b: a * b, (v for v in [Value(3.0, "a"), Value(4.0, "b")]))
    assert result.labels == ("a", "b") and result.analytical == (4.0, 3.0)
    assert numerical_gradient(lambda a: a * a, iter([2.0])) == pytest.approx([4.0])


def test_numpy_scalars_are_numbers_as_for_value():
    point = [np.float32(2.0), np.int64(3)]
    assert numerical_gradient(lambda a, b: a * b, point) == pytest.approx([3.0, 2.0])
    assert gradcheck(lambda a, b: a * b, point).analytical == (3.0, 2.0)
    with pytest.raises(TypeError, match=r"values\[0\] must be a Value or a number, got bool"):
        numerical_gradient(lambda a: a, [True])


# Regression (issue 10 #3): a step too small to move x divided 0 by 0 (ZeroDivisionError).
@pytest.mark.parametrize(("x", "eps"), [(1.0, 1e-17), (1e300, 1e-17), (-3.0, 2e-17)])
def test_a_step_that_cannot_move_x_is_refused_with_the_step_and_the_point(x, eps):
    with pytest.raises(ValueError) as caught:
        gradcheck(lambda v: v * v, [x], eps=eps)
    message = str(caught.value)
    assert f"h = {eps * max(1.0, abs(x)):g} (eps = {eps:g})" in message
    assert f"too small to move x = {x!r}" in message
    # The bound the message gives does move x (3x has no rounding to hide behind).
    suggested = float(re.search(r"eps above ([0-9.e+-]+)", message).group(1))
    (slope,) = numerical_gradient(lambda v: 3 * v, [x], eps=suggested * 1.01)
    assert slope == pytest.approx(3.0, rel=0.5)


def test_the_smallest_step_that_moves_x_is_accepted():
    # h just above half the float spacing at 1 moves x + h up by one unit.
    (slope,) = numerical_gradient(lambda v: v * v, [1.0], eps=1.2e-16)
    assert slope == pytest.approx(2.0, rel=1e-6)


@pytest.mark.parametrize(
    ("x", "message"),
    [
        (math.inf, "cannot take a central difference at x = inf"),
        (-math.inf, "cannot take a central difference at x = -inf"),
        (math.nan, "cannot take a central difference at x = nan"),
        (1.7e308, "leaves the floats"),
    ],
)
def test_a_point_or_step_outside_the_floats_is_refused(x, message):
    with pytest.raises(ValueError, match=message):
        numerical_gradient(lambda v: v * 1.0, [x], eps=0.5)
