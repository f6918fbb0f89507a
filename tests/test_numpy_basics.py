"""numpy_basics: each function against the Value engine, finite differences or a closed form."""

import math
import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from micrograd_lr import Value
from micrograd_lr.numpy_basics import (
    image2vector,
    l1,
    l2,
    normalize_rows,
    sigmoid,
    sigmoid_derivative,
    softmax,
)

RNG_SEED = 20260
finite = st.floats(-50, 50, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def central_difference(f, x, eps=1e-6):
    """d f / d x for a scalar function f of an array x, by central differences."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = eps
        grad[i] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad


# --- sigmoid ----------------------------------------------------------------------------------
@given(arrays(np.float64, st.integers(1, 20), elements=st.floats(-800, 800)))
def test_sigmoid_matches_value_engine(x):
    expected = np.array([Value(float(v)).sigmoid().data for v in x])
    np.testing.assert_allclose(sigmoid(x), expected, rtol=1e-15, atol=0)


def test_sigmoid_saturates_without_overflow_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = sigmoid(np.array([-1000.0, -745.0, 0.0, 745.0, 1000.0]))
    assert out[0] == 0.0 and out[-1] == 1.0 and out[2] == 0.5
    assert np.all((out >= 0) & (out <= 1))


def test_sigmoid_keeps_shape_and_accepts_scalars_and_lists():
    assert sigmoid(np.zeros((2, 3, 4))).shape == (2, 3, 4)
    assert sigmoid(0).shape == ()
    assert sigmoid([0, 0]).tolist() == [0.5, 0.5]


@given(arrays(np.float64, st.integers(1, 20), elements=finite))
def test_sigmoid_derivative_equals_backward_through_value_sigmoid(x):
    grads = []
    for v in x:
        leaf = Value(float(v))
        leaf.sigmoid().backward()
        grads.append(leaf.grad)
    np.testing.assert_allclose(sigmoid_derivative(x), grads, rtol=1e-14, atol=1e-300)


def test_sigmoid_derivative_matches_finite_differences():
    x = np.random.default_rng(RNG_SEED).normal(size=7) * 3
    # Element-wise function: one central difference for all entries at once.
    eps = 1e-6
    numeric = (sigmoid(x + eps) - sigmoid(x - eps)) / (2 * eps)
    np.testing.assert_allclose(sigmoid_derivative(x), numeric, rtol=1e-8, atol=1e-10)


def test_sigmoid_derivative_peak_is_a_quarter_at_zero():
    assert sigmoid_derivative(0.0) == 0.25
    assert np.all(sigmoid_derivative(np.linspace(-10, 10, 101)) <= 0.25)


def test_sigmoid_rejects_non_numbers_with_the_value():
    with pytest.raises(TypeError, match="'abc'"):
        sigmoid("abc")


# --- image2vector -----------------------------------------------------------------------------
def test_image2vector_shape_and_order():
    image = np.random.default_rng(RNG_SEED).random((3, 3, 2))
    v = image2vector(image)
    assert v.shape == (18, 1)
    # C order: pixel (i, j), channel k lands at (i * w + j) * c + k.
    for i, j, k in np.ndindex(image.shape):
        assert v[(i * 3 + j) * 2 + k, 0] == image[i, j, k]


@pytest.mark.parametrize("shape", [(4,), (2, 3), (1, 2, 3, 4)])
def test_image2vector_rejects_other_ranks(shape):
    with pytest.raises(ValueError, match=re.escape(str(shape))):
        image2vector(np.zeros(shape))


# --- normalize_rows ---------------------------------------------------------------------------
def test_normalize_rows_known_case():
    x = np.array([[0.0, 3.0, 4.0], [2.0, 6.0, 4.0]])
    expected = np.array([[0.0, 0.6, 0.8], [2.0, 6.0, 4.0] / np.sqrt(56.0)])
    np.testing.assert_allclose(normalize_rows(x), expected, rtol=1e-15)


@given(arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 6)), elements=finite))
def test_normalize_rows_gives_unit_rows_or_zero_rows(x):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = normalize_rows(x)
    norms = np.linalg.norm(out, axis=1)
    zero_rows = ~np.any(x != 0, axis=1)
    assert np.all(out[zero_rows] == 0)
    np.testing.assert_allclose(norms[~zero_rows], 1.0, rtol=1e-14)
    # Same direction as the input: out is x times a positive number per row.
    assert np.all(np.sign(out) == np.sign(x))


def test_normalize_rows_matches_value_engine_and_finite_differences():
    x = np.random.default_rng(RNG_SEED).normal(size=(1, 4))
    weights = np.array([0.5, -1.0, 2.0, 0.25])
    leaves = [Value(float(v)) for v in x[0]]
    norm = sum((v * v for v in leaves[1:]), leaves[0] * leaves[0]) ** 0.5
    row = [v / norm for v in leaves]
    np.testing.assert_allclose([v.data for v in row], normalize_rows(x)[0], rtol=1e-15)
    loss = sum(
        (r * float(w) for r, w in zip(row[1:], weights[1:], strict=True)),
        row[0] * float(weights[0]),
    )
    loss.backward()
    engine = np.array([[v.grad for v in leaves]])
    # Closed form: d(x/|x|)/dx = (I - u u^T) / |x| with u = x/|x|, applied to the weights.
    u = normalize_rows(x)[0]
    closed = (np.eye(4) - np.outer(u, u)) @ weights / np.linalg.norm(x)
    numeric = central_difference(lambda z: normalize_rows(z)[0] @ weights, x)
    np.testing.assert_allclose(engine[0], closed, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(engine, numeric, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("scale", [1e-200, 5e-324, 1e200, 1e307])
def test_normalize_rows_gives_unit_rows_at_extreme_scales(scale):
    """Squaring underflowed (1e-200: the row came back unscaled) or overflowed (1e200: the
    row came back as zeros)."""
    x = np.array([[3.0, -4.0], [0.0, 0.0], [3.0, 4.0]]) * np.array([[scale], [1.0], [1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = normalize_rows(x)
    np.testing.assert_allclose(out, [[0.6, -0.8], [0.0, 0.0], [0.6, 0.8]], rtol=1e-15, atol=0)


def test_normalize_rows_zero_row_is_not_nan():
    out = normalize_rows(np.zeros((2, 3)))
    assert not np.isnan(out).any() and np.all(out == 0)


def test_normalize_rows_rejects_vectors():
    with pytest.raises(ValueError, match=r"\(3,\)"):
        normalize_rows(np.ones(3))


# --- softmax ----------------------------------------------------------------------------------
def value_softmax(row):
    exps = [Value(float(v)).exp() if not isinstance(v, Value) else v.exp() for v in row]
    total = sum(exps[1:], exps[0])
    return [e / total for e in exps]


def test_softmax_matches_value_engine_and_closed_form_jacobian():
    rng = np.random.default_rng(RNG_SEED)
    x = rng.normal(size=5)
    weights = rng.normal(size=5)
    leaves = [Value(float(v)) for v in x]
    outs = value_softmax(leaves)
    np.testing.assert_allclose([o.data for o in outs], softmax(x), rtol=1e-14)
    # Gradient of sum_i w_i softmax_i, through the engine, by the closed-form Jacobian
    # diag(s) - s s^T, and by finite differences of the NumPy softmax.
    loss = sum(
        (o * float(w) for o, w in zip(outs[1:], weights[1:], strict=True)),
        outs[0] * float(weights[0]),
    )
    loss.backward()
    engine = np.array([leaf.grad for leaf in leaves])
    s = softmax(x)
    closed = (np.diag(s) - np.outer(s, s)) @ weights
    numeric = central_difference(lambda z: softmax(z) @ weights, x)
    np.testing.assert_allclose(engine, closed, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(engine, numeric, rtol=1e-7, atol=1e-9)


@given(arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 6)), elements=finite))
def test_softmax_rows_sum_to_one_and_match_a_per_row_reference(x):
    out = softmax(x)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-14)
    for row, got in zip(x, out, strict=True):
        ref = [math.exp(v - max(row)) for v in row]
        np.testing.assert_allclose(got, np.array(ref) / sum(ref), rtol=1e-13)


@given(arrays(np.float64, 6, elements=finite), st.floats(-1e3, 1e3))
@settings(max_examples=50)
def test_softmax_is_invariant_to_shifting_the_input(x, c):
    np.testing.assert_allclose(softmax(x + c), softmax(x), rtol=1e-9, atol=1e-300)


def test_softmax_is_stable_for_large_inputs():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = softmax(np.array([[1000.0, 1000.0], [1000.0, 0.0], [-1000.0, -1000.0]]))
    np.testing.assert_array_equal(out, [[0.5, 0.5], [1.0, 0.0], [0.5, 0.5]])
    np.testing.assert_array_equal(softmax([1000.0, 1000.0, 1000.0, 1000.0]), [0.25] * 4)


def test_softmax_one_dim_equals_single_row():
    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_array_equal(softmax(x), softmax(x[None, :])[0])


@pytest.mark.parametrize("shape", [(), (2, 2, 2), (3, 0)])
def test_softmax_rejects_bad_shapes(shape):
    with pytest.raises(ValueError, match="softmax takes"):
        softmax(np.zeros(shape))


# --- L1 and L2 --------------------------------------------------------------------------------
YHAT = np.array([0.9, 0.2, 0.1, 0.4, 0.9])
Y = np.array([1.0, 0.0, 0.0, 1.0, 1.0])


def test_l1_l2_known_values():
    assert l1(YHAT, Y) == pytest.approx(1.1, rel=1e-15, abs=0)
    assert l2(YHAT, Y) == pytest.approx(0.43, rel=1e-15, abs=0)
    assert isinstance(l1(YHAT, Y), float) and isinstance(l2(YHAT, Y), float)


@given(
    arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 4)), elements=finite),
    st.integers(0, 2**32 - 1),
)
def test_l1_l2_match_the_value_engine_forward(yhat, seed):
    y = np.random.default_rng(seed).normal(size=yhat.shape)
    leaves = [Value(float(v)) for v in yhat.ravel()]
    targets = [float(v) for v in y.ravel()]
    l1_value = sum((abs(t - p) for p, t in zip(leaves, targets, strict=True)), Value(0.0))
    l2_value = sum(((t - p) ** 2 for p, t in zip(leaves, targets, strict=True)), Value(0.0))
    assert l1(yhat, y) == pytest.approx(l1_value.data, rel=1e-12, abs=1e-12)
    assert l2(yhat, y) == pytest.approx(l2_value.data, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("loss", [l1, l2])
def test_l1_l2_gradients_through_values_match_finite_differences(loss):
    rng = np.random.default_rng(RNG_SEED)
    yhat, y = rng.normal(size=6), rng.normal(size=6)  # no tie y == yhat, where |.| has a kink
    leaves = [Value(float(v)) for v in yhat]
    terms = [
        abs(float(t) - p) if loss is l1 else (float(t) - p) ** 2
        for p, t in zip(leaves, y, strict=True)
    ]
    total = sum(terms[1:], terms[0])
    total.backward()
    engine = np.array([leaf.grad for leaf in leaves])
    numeric = central_difference(lambda z: loss(z, y), yhat)
    closed = np.sign(yhat - y) if loss is l1 else 2 * (yhat - y)
    np.testing.assert_allclose(engine, closed, rtol=1e-15)
    np.testing.assert_allclose(engine, numeric, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("loss", [l1, l2])
def test_losses_reject_mismatched_shapes(loss):
    with pytest.raises(ValueError, match=r"\(5,\) and \(1, 5\)"):
        loss(YHAT, Y[None, :])


def test_every_function_returns_a_new_array():
    """image2vector returned a view of a float64 image: writing to the vector changed it."""
    image = np.arange(12.0).reshape(2, 3, 2)
    vector = image2vector(image)
    vector[0, 0] = 99.0
    assert image[0, 0, 0] == 0.0
    x = np.array([[3.0, 4.0]])
    for f in (sigmoid, sigmoid_derivative, normalize_rows, softmax):
        assert not np.shares_memory(f(x), x)


def test_sigmoid_derivative_keeps_its_precision_in_the_tails():
    x = np.array([-700.0, -40.0, 40.0, 700.0])
    np.testing.assert_allclose(sigmoid_derivative(x), np.exp(-np.abs(x)), rtol=1e-12, atol=0)
