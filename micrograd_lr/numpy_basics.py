"""Vectorized NumPy basics: sigmoid, its derivative, reshaping, normalizing, softmax, losses.

Every function works on whole arrays at once (no Python loop over elements) and returns a
new float64 array (or a float for the losses); inputs are never modified.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "image2vector",
    "l1",
    "l2",
    "normalize_rows",
    "sigmoid",
    "sigmoid_derivative",
    "softmax",
]

FloatArray = NDArray[np.float64]


def _as_float_array(x: ArrayLike, name: str) -> FloatArray:
    """``x`` as a float64 array; a TypeError that shows the value when it is not numeric."""
    try:
        array = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be a number or an array of numbers, got {type(x).__name__}: {x!r}"
        ) from None
    return array


def sigmoid(x: ArrayLike) -> FloatArray:
    """The logistic function 1 / (1 + e**-x), element-wise, without overflow.

    Parameters
    ----------
    x : array_like
        A number or an array of any shape.

    Returns
    -------
    ndarray
        Same shape as ``x``, every entry in [0, 1]. ``sigmoid(-1000)`` is 0.0 and
        ``sigmoid(1000)`` is 1.0, with no overflow warning: e**-x is only evaluated where
        -x <= 0.

    Examples
    --------
    >>> sigmoid(np.array([-1.0, 0.0, 1.0])).round(6)
    array([0.268941, 0.5     , 0.731059])
    >>> sigmoid([-1000.0, 1000.0])
    array([0., 1.])
    """
    z = _as_float_array(x, "x")
    # e**-|z| never overflows; the two branches of the sigmoid are written in terms of it.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_derivative(x: ArrayLike) -> FloatArray:
    """The derivative of the sigmoid, s * (1 - s) with s = sigmoid(x), element-wise.

    Parameters
    ----------
    x : array_like
        A number or an array of any shape (the input of the sigmoid, not its output).

    Returns
    -------
    ndarray
        Same shape as ``x``; at most 0.25, reached at x = 0.

    Examples
    --------
    >>> sigmoid_derivative(np.array([1.0, 2.0, 3.0])).round(6)
    array([0.196612, 0.104994, 0.045177])
    >>> float(sigmoid_derivative(0.0))
    0.25
    """
    # 1 - s == sigmoid(-x): the same product without the cancellation of 1 - s, which
    # rounds to 0 for x above about 37 where the derivative is about e**-x (the engine's
    # Value.sigmoid forms its local derivative the same way).
    values = _as_float_array(x, "x")
    result: FloatArray = sigmoid(values) * sigmoid(-values)
    return result


def image2vector(image: ArrayLike) -> FloatArray:
    """Unroll an image of shape (height, width, channels) into a column vector.

    Parameters
    ----------
    image : array_like of shape (h, w, c)

    Returns
    -------
    ndarray of shape (h * w * c, 1)
        The entries in C order: all channels of pixel (0, 0) first, then pixel (0, 1), ...

    Raises
    ------
    ValueError
        When ``image`` does not have exactly three dimensions.

    Examples
    --------
    >>> image = np.arange(12.0).reshape(2, 3, 2)
    >>> v = image2vector(image)
    >>> v.shape
    (12, 1)
    >>> v[:4, 0]
    array([0., 1., 2., 3.])
    """
    array = _as_float_array(image, "image")
    if array.ndim != 3:
        raise ValueError(
            f"image must have shape (height, width, channels), got shape {array.shape}; "
            "for a grey image of shape (h, w) use image[:, :, None]"
        )
    # A copy, as the module promises: a reshaped view would write through to the image.
    return array.reshape(-1, 1).copy()


def normalize_rows(x: ArrayLike) -> FloatArray:
    """Divide each row of a matrix by its Euclidean (L2) norm.

    Parameters
    ----------
    x : array_like of shape (n, d)

    Returns
    -------
    ndarray of shape (n, d)
        Every row has norm 1, except a row of zeros, which is left as zeros (not NaN).

    Raises
    ------
    ValueError
        When ``x`` is not 2-D.

    Examples
    --------
    >>> normalize_rows(np.array([[0.0, 3.0, 4.0], [1.0, 6.0, 4.0], [0.0, 0.0, 0.0]])).round(4)
    array([[0.    , 0.6   , 0.8   ],
           [0.1374, 0.8242, 0.5494],
           [0.    , 0.    , 0.    ]])
    """
    array = _as_float_array(x, "x")
    if array.ndim != 2:
        raise ValueError(
            f"x must be a 2-D array (one row per vector), got shape {array.shape}; "
            "for a single vector v use v.reshape(1, -1)"
        )
    with np.errstate(over="ignore"):  # handled below
        norms = np.linalg.norm(array, axis=1, keepdims=True)
    # A zero row has no direction: divide it by 1 instead of 0 so it stays zero.
    result: FloatArray = array / np.where(norms == 0.0, 1.0, norms)
    # The squares of entries beyond about 1e154 overflow and below 1e-154 underflow, which
    # would turn a row into zeros or leave it unscaled. Such rows (rare: the others keep the
    # one-pass result) are first divided by their largest entry, which is exact in direction.
    extreme = ((norms < 1e-150) | np.isinf(norms)).ravel()
    if extreme.any():
        largest = np.abs(array).max(axis=1)
        rows = extreme & (largest > 0.0) & np.isfinite(largest)  # not zero rows, not inf
        scaled = array[rows] / largest[rows, None]
        result[rows] = scaled / np.linalg.norm(scaled, axis=1, keepdims=True)
    return result


def softmax(x: ArrayLike) -> FloatArray:
    """Softmax of a vector, or of each row of a matrix: e**x_i / sum_j e**x_j.

    Numerically stable: the largest entry of each row is subtracted before exponentiating
    (the result is unchanged, since softmax(x) == softmax(x - c)), so inputs such as 1000 do
    not overflow.

    Parameters
    ----------
    x : array_like of shape (d,) or (n, d)

    Returns
    -------
    ndarray, same shape as ``x``
        Entries in [0, 1]; each row (or the vector) sums to 1.

    Raises
    ------
    ValueError
        When ``x`` is not 1-D or 2-D, or has no columns.

    Examples
    --------
    >>> softmax(np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])).round(4)
    array([[0.09  , 0.2447, 0.6652],
           [0.3333, 0.3333, 0.3333]])
    >>> softmax([1000.0, 1000.0])
    array([0.5, 0.5])
    """
    array = _as_float_array(x, "x")
    if array.ndim not in (1, 2) or array.shape[-1] == 0:
        raise ValueError(
            f"softmax takes a non-empty vector (d,) or a matrix (n, d), got shape {array.shape}"
        )
    shifted = array - array.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    result: FloatArray = e / e.sum(axis=-1, keepdims=True)
    return result


def _pair(yhat: ArrayLike, y: ArrayLike) -> tuple[FloatArray, FloatArray]:
    predicted, target = _as_float_array(yhat, "yhat"), _as_float_array(y, "y")
    if predicted.shape != target.shape:
        raise ValueError(
            f"yhat and y must have the same shape, got {predicted.shape} and {target.shape}"
            " (reshape one of them; broadcasting here would hide a mistake)"
        )
    return predicted, target


def l1(yhat: ArrayLike, y: ArrayLike) -> float:
    """The L1 loss: sum over all entries of |y - yhat|.

    Parameters
    ----------
    yhat : array_like
        Predictions.
    y : array_like, same shape as ``yhat``
        True values.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        When the shapes differ.

    Examples
    --------
    >>> l1(np.array([0.9, 0.2, 0.1, 0.4, 0.9]), np.array([1, 0, 0, 1, 1]))
    1.1
    """
    predicted, target = _pair(yhat, y)
    return float(np.sum(np.abs(target - predicted)))


def l2(yhat: ArrayLike, y: ArrayLike) -> float:
    """The L2 loss: sum over all entries of (y - yhat)**2.

    Parameters
    ----------
    yhat : array_like
        Predictions.
    y : array_like, same shape as ``yhat``
        True values.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        When the shapes differ.

    Examples
    --------
    >>> round(l2(np.array([0.9, 0.2, 0.1, 0.4, 0.9]), np.array([1, 0, 0, 1, 1])), 12)
    0.43
    """
    predicted, target = _pair(yhat, y)
    d = target - predicted
    # A dot product of the flattened difference with itself: one pass, no temporary square.
    flat: Any = d.ravel()
    return float(np.dot(flat, flat))
