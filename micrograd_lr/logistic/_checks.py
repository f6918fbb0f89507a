"""Input checks shared by the logistic-regression modules: each error names the bad input."""

from __future__ import annotations

import math
import warnings
from numbers import Real
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__: list[str] = []


def _check_X(X: ArrayLike) -> NDArray[Any]:
    """``X`` as a float array of shape (n_x, m): no copy when it already is one, a single
    conversion to float64 for integers and booleans."""
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(
            f"X must be a 2-D array of shape (n_x, m), one column per example; got shape {X.shape}"
        )
    if not np.issubdtype(X.dtype, np.floating):
        if not (np.issubdtype(X.dtype, np.integer) or X.dtype == np.bool_):
            raise TypeError(f"X must hold numbers, got dtype {X.dtype}")
        X = X.astype(np.float64)
    if X.size == 0:
        raise ValueError(
            f"X of shape {X.shape} is empty: it needs at least one feature and example"
        )
    return X


def _check_data(X: ArrayLike, Y: ArrayLike) -> tuple[NDArray[Any], NDArray[Any]]:
    """`_check_X`, and ``Y`` as ``(1, m)`` in ``X``'s dtype."""
    X = _check_X(X)
    n_x, m = X.shape
    Y = np.asarray(Y)
    if not (np.issubdtype(Y.dtype, np.number) or Y.dtype == np.bool_):
        raise TypeError(f"Y must hold the labels 0 and 1, got dtype {Y.dtype}")
    if Y.shape == (m,):
        Y = Y.reshape(1, m)
    if Y.shape != (1, m):
        hint = ""
        if Y.size == n_x and n_x != m:
            hint = " (X looks like one row per example: pass X.T, of shape (n_x, m))"
        raise ValueError(
            f"Y must have shape (1, m) = (1, {m}) to match X of shape {X.shape}, got shape "
            f"{Y.shape}{hint}"
        )
    # Any other label makes the log-loss meaningless (a label of 2 gives a negative cost).
    bad = (Y != 0) & (Y != 1)
    if bad.any():
        j = int(np.argmax(bad.ravel()))
        raise ValueError(
            f"Y must hold the labels 0 and 1 only, got {Y.ravel()[j].item()!r} for example {j} "
            f"(column {j} of X)"
        )
    return X, Y.astype(X.dtype, copy=False)


def _check_finite(X: NDArray[Any]) -> None:
    """Refuse NaN and infinity in ``X``, naming the first one (a full pass over ``X``: done
    once before training, and by `propagate` only when its result is not finite)."""
    bad = ~np.isfinite(X)
    if bad.any():
        i, j = (int(k) for k in np.unravel_index(np.argmax(bad), X.shape))
        raise ValueError(
            f"X[{i}, {j}] (feature {i} of example {j}) is {X[i, j].item()!r}: every entry must be "
            "finite; remove or impute the missing values"
        )


def _check_w(w: ArrayLike, n_x: int, dtype: np.dtype[Any]) -> NDArray[Any]:
    """``w`` as an ``(n_x, 1)`` array of ``dtype`` (a view when it already is one)."""
    w = np.asarray(w)
    if w.shape not in ((n_x, 1), (n_x,)):
        raise ValueError(
            f"w must have shape (n_x, 1) = ({n_x}, 1) (or ({n_x},)) to match X's {n_x} "
            f"features, got shape {w.shape}"
        )
    return w.reshape(n_x, 1).astype(dtype, copy=False)


def _warn_overflow() -> None:
    warnings.warn(
        "the logits w^T X + b overflow the float range: the weights are far too large "
        "(did training diverge? try a smaller learning rate)",
        RuntimeWarning,
        stacklevel=3,
    )


def _check_finite_w(w: NDArray[Any]) -> None:
    if not np.isfinite(w).all():
        raise ValueError(f"w must be finite, got {w.ravel().tolist()}")


def _check_b(b: Any) -> float:
    if isinstance(b, np.ndarray) and b.size == 1:
        b = b.item()
    if isinstance(b, bool) or not isinstance(b, Real):
        raise TypeError(f"b must be a number, got {type(b).__name__}: {b!r}")
    if not math.isfinite(b):
        raise ValueError(f"b must be a finite number, got {b!r}")
    return float(b)


def _check_iterations(n: Any) -> None:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or int(n) < 0:
        raise ValueError(f"the number of iterations must be an int >= 0, got {n!r}")


def _check_learning_rate(rate: Any) -> None:
    if isinstance(rate, bool) or not isinstance(rate, Real) or not 0 < float(rate) < math.inf:
        raise ValueError(f"the learning rate must be a positive finite number, got {rate!r}")


def _check_samples(X: ArrayLike) -> NDArray[Any]:
    """``X`` of shape (m, n), one row per example, checked as `_check_X` checks the course's
    layout, with messages in this layout."""
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(
            f"X must be a 2-D array of shape (m, n), one row per example; got shape {X.shape}"
        )
    if X.size == 0:
        raise ValueError(
            f"X of shape {X.shape} is empty: it needs at least one example and feature"
        )
    X = _check_X(X.T).T  # the dtype rules; a transposed view, no copy
    bad = ~np.isfinite(X)
    if bad.any():
        i, j = (int(k) for k in np.unravel_index(np.argmax(bad), X.shape))
        raise ValueError(
            f"X[{i}, {j}] (example {i}, feature {j}) is {X[i, j].item()!r}: every entry "
            "must be finite; remove or impute the missing values"
        )
    return X


def _check_labels(y: ArrayLike, m: int) -> NDArray[Any]:
    y = np.asarray(y)
    if y.shape != (m,):
        raise ValueError(f"y must have shape (m,) = ({m},) to match X, got shape {y.shape}")
    bad = np.setdiff1d(np.unique(y), [0, 1])
    if bad.size:
        raise ValueError(f"labels must be 0 or 1, got {bad[:5].tolist()}")
    return y
