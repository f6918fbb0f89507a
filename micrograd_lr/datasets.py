"""Data sets for logistic regression: a synthetic default, scikit-learn's, and CSV files.

Every loader returns a `Dataset` with ``X`` of shape ``(m, n)``, one row per example, and
labels ``y`` of shape ``(m,)`` holding 0.0 and 1.0. `Dataset.columns` gives the course's
layout, ``X`` of shape ``(n, m)`` and ``Y`` of shape ``(1, m)``.
"""

from __future__ import annotations

import csv
import io
import math
import os
import random
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .errors import DataError

__all__ = [
    "NAMES",
    "Dataset",
    "breast_cancer",
    "digits",
    "from_csv",
    "load",
    "standardize",
    "synthetic",
]

NAMES = ("synthetic", "breast-cancer", "digits")
"""The built-in data sets `load` knows by name (anything else is read as a CSV path)."""


@dataclass(frozen=True)
class Dataset:
    """Examples and their 0/1 labels.

    Attributes
    ----------
    name : str
    X : array of float64, shape (m, n)
        One row per example.
    y : array of float64, shape (m,)
        0.0 or 1.0.
    feature_names : tuple of str
        One per column of ``X``.
    """

    name: str
    X: NDArray[np.float64]
    y: NDArray[np.float64]
    feature_names: tuple[str, ...]

    def __post_init__(self) -> None:
        m, n = self.X.shape
        if self.y.shape != (m,) or len(self.feature_names) != n:
            raise ValueError(
                f"inconsistent dataset {self.name!r}: X {self.X.shape}, y {self.y.shape}, "
                f"{len(self.feature_names)} feature names"
            )

    @property
    def m(self) -> int:
        """How many examples."""
        return int(self.X.shape[0])

    @property
    def n(self) -> int:
        """How many features."""
        return int(self.X.shape[1])

    def columns(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The course's layout: ``X`` of shape (n, m) and ``Y`` of shape (1, m) (views)."""
        return self.X.T, self.y.reshape(1, -1)

    def split(self, test_fraction: float = 0.2, *, seed: int = 0) -> tuple[Dataset, Dataset]:
        """A shuffled split into a training and a test set.

        Parameters
        ----------
        test_fraction : float, default 0.2
            The share of examples held out for testing, in [0, 1); at least one example
            stays in the training set.
        seed : int, default 0
            Seeds the shuffle: the same seed gives the same split.
        """
        if not 0 <= test_fraction < 1:
            raise ValueError(f"test_fraction must be in [0, 1), got {test_fraction!r}")
        order = np.random.default_rng(seed).permutation(self.m)
        n_test = min(round(self.m * test_fraction), self.m - 1)
        test, train = np.sort(order[:n_test]), np.sort(order[n_test:])
        return (
            Dataset(f"{self.name} (train)", self.X[train], self.y[train], self.feature_names),
            Dataset(f"{self.name} (test)", self.X[test], self.y[test], self.feature_names),
        )


def standardize(train: Dataset, *others: Dataset) -> tuple[Dataset, ...]:
    """Every feature shifted to mean 0 and scaled to standard deviation 1, using the
    training set's mean and deviation for all the sets given (constant features only
    shifted).

    Parameters
    ----------
    train : Dataset
        The set whose statistics are used.
    *others : Dataset
        More sets (such as the test set) scaled with the same statistics.

    Returns
    -------
    tuple of Dataset
        ``train`` and then each of ``others``, standardized.
    """
    mean = train.X.mean(axis=0)
    scale = train.X.std(axis=0)
    scale[scale == 0] = 1.0
    return tuple(
        Dataset(d.name, (d.X - mean) / scale, d.y, d.feature_names) for d in (train, *others)
    )


def synthetic(m: int = 200, *, seed: int = 0) -> Dataset:
    """Two overlapping Gaussian clouds in the plane, half of them labelled 1.

    Class 0 is centred at (-1, -0.5) and class 1 at (1, 0.5), both with unit variance, so
    no line separates them perfectly (the best accuracy is about 85%) and the cost has a
    finite minimum. Generated from Python's ``random.random`` (whose sequence for a seed is
    guaranteed across Python versions) by the Box-Muller transform: the same numbers on
    every machine, with nothing to download.

    Examples
    --------
    >>> data = synthetic()
    >>> data.X.shape, data.y.shape, int(data.y.sum())
    ((200, 2), (200,), 100)
    """
    if isinstance(m, bool) or not isinstance(m, int) or m < 2:
        raise ValueError(f"m must be an int >= 2, got {m!r}")
    rng = random.Random(seed)

    def normal() -> float:
        # Box-Muller; 1 - random() is in (0, 1], so the logarithm is finite.
        return math.sqrt(-2.0 * math.log(1.0 - rng.random())) * math.cos(
            2.0 * math.pi * rng.random()
        )

    y = np.arange(m) % 2
    centres = {0: (-1.0, -0.5), 1: (1.0, 0.5)}
    X = np.array([[c + normal() for c in centres[int(label)]] for label in y])
    return Dataset("synthetic", X, y.astype(np.float64), ("x1", "x2"))


def _sklearn_datasets() -> Any:
    try:
        from sklearn import datasets
    except ImportError:
        raise ModuleNotFoundError(
            "this data set comes from scikit-learn: pip install 'micrograd_lr[data]'"
        ) from None
    return datasets


def breast_cancer() -> Dataset:
    """scikit-learn's Wisconsin breast-cancer set: 569 examples, 30 features, label 1 for
    benign. Needs the ``data`` extra (scikit-learn); the features are left unscaled."""
    bunch = _sklearn_datasets().load_breast_cancer()
    return Dataset(
        "breast-cancer",
        np.asarray(bunch.data, dtype=np.float64),
        np.asarray(bunch.target, dtype=np.float64),
        tuple(str(name) for name in bunch.feature_names),
    )


def digits(*, digit: int = 0) -> Dataset:
    """scikit-learn's 8x8 handwritten digits as a binary task: "is it ``digit``?".

    1797 examples; each image is unrolled into a vector of 64 pixels and normalized to
    [0, 1] (pixels range over 0..16). Needs the ``data`` extra (scikit-learn).
    """
    if isinstance(digit, bool) or digit not in range(10):
        raise ValueError(f"digit must be an int from 0 to 9, got {digit!r}")
    bunch = _sklearn_datasets().load_digits()
    images = np.asarray(bunch.images, dtype=np.float64)
    X = images.reshape(images.shape[0], -1) / 16.0
    y = (np.asarray(bunch.target) == digit).astype(np.float64)
    names = tuple(f"pixel_{r}_{c}" for r in range(8) for c in range(8))
    return Dataset(f"digits (is it a {digit}?)", X, y, names)


def _cell(text: str, where: str, column: int) -> float:
    try:
        # Python's float() reads "1_000" as 1000; in a data file that is a typo, not a number.
        if "_" in text:
            raise ValueError(text)
        value = float(text)
    except ValueError:
        raise DataError(f"{where}: column {column} is not a number: {text.strip()!r}") from None
    if not math.isfinite(value):
        raise DataError(f"{where}: column {column} is {text.strip()!r}; values must be finite")
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def from_csv(path: str | os.PathLike[str]) -> Dataset:
    """Read examples from a CSV file: one example per line, features first, the last column
    the label (0 or 1).

    The file is UTF-8 text (a byte-order mark is allowed), comma-separated. A first line
    with no number in it is taken as a header naming the columns. Blank lines are skipped.
    Anything else that cannot be used (a row with a different number of cells, a cell that
    is not a number, NaN or infinity, a label other than 0 or 1, bytes that are not UTF-8)
    raises `DataError` naming the file and the line.
    """
    path = os.fspath(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        raise DataError(f"cannot read {path}: {error.strerror}") from None
    try:
        # utf-8-sig: a byte-order mark (as spreadsheet programs write) is not part of the
        # first column's name.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise DataError(
            f"{path}, line {line}: not UTF-8 text (byte {raw[error.start]:#04x}); save the "
            "file as UTF-8 CSV"
        ) from None
    rows: list[list[float]] = []
    names: tuple[str, ...] | None = None
    width = 0
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for cells in reader:
            where = f"{path}, line {reader.line_num}"
            if not cells or all(not c.strip() for c in cells):
                continue
            if width == 0:
                width = len(cells)
                if width < 2:
                    raise DataError(
                        f"{where}: needs at least two columns, the features and the label, "
                        f"separated by commas; found one: {cells[0].strip()!r}"
                    )
                if not any(_is_number(c) for c in cells):
                    names = tuple(c.strip() for c in cells)
                    continue
            if len(cells) != width:
                raise DataError(f"{where}: expected {width} cells, found {len(cells)}")
            row = [_cell(c, where, j + 1) for j, c in enumerate(cells)]
            if row[-1] not in (0.0, 1.0):
                raise DataError(
                    f"{where}: the label (last column) must be 0 or 1, got {cells[-1].strip()!r}"
                )
            rows.append(row)
    except csv.Error as error:
        raise DataError(f"{path}, line {reader.line_num}: {error}") from None
    if width == 0:
        raise DataError(f"{path}: the file is empty; it needs the features and the label")
    if not rows:
        raise DataError(f"{path}: no examples found")
    table = np.array(rows, dtype=np.float64)
    if names is None:
        names = (*(f"x{j + 1}" for j in range(width - 1)), "label")
    stem = os.path.splitext(os.path.basename(path))[0]
    return Dataset(stem, table[:, :-1], table[:, -1].copy(), names[:-1])


def load(name: str) -> Dataset:
    """A data set by name (``"synthetic"``, ``"breast-cancer"``, ``"digits"``, the last as
    "is it a 0?") or by the path of a CSV file (see `from_csv`)."""
    if name == "synthetic":
        return synthetic()
    if name == "breast-cancer":
        return breast_cancer()
    if name == "digits":
        return digits()
    if name.lower().endswith(".csv") or os.path.exists(name):
        return from_csv(name)
    raise ValueError(f"unknown data set {name!r}: give one of {', '.join(NAMES)} or a .csv path")
