"""Data sets for logistic regression: a synthetic default, scikit-learn's, and CSV files.

Every loader returns a `Dataset` with ``X`` of shape ``(m, n)``, one row per example, and
``y`` of shape ``(m,)`` holding each example's class index, 0.0 to K - 1 (for two classes
the course's 0/1 labels), with the class labels themselves in ``classes``.
`Dataset.columns` gives the course's layout, ``X`` of shape ``(n, m)`` and ``Y`` of shape
``(1, m)``.
"""

from __future__ import annotations

import math
import os
import random
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .csvfile import find_label, number_or_none, read_csv
from .errors import DataError
from .expr import shown_text

__all__ = [
    "NAMES",
    "Dataset",
    "breast_cancer",
    "digits",
    "from_csv",
    "iris",
    "load",
    "standardize",
    "synthetic",
]

NAMES = ("synthetic", "breast-cancer", "digits", "digits-zero", "iris")
"""The built-in data sets `load` knows by name (anything else is read as a CSV path)."""


@dataclass(frozen=True)
class Dataset:
    """Examples and their classes.

    Attributes
    ----------
    name : str
    X : array of float64, shape (m, n)
        One row per example.
    y : array of float64, shape (m,)
        Each example's class index, 0.0 to K - 1: ``classes[int(y[i])]`` is its label.
        With two classes, the course's 0/1 labels.
    feature_names : tuple of str
        One per column of ``X``.
    classes : tuple, default (0, 1)
        The K class labels (numbers or strings), sorted.
    """

    name: str
    X: NDArray[np.float64]
    y: NDArray[np.float64]
    feature_names: tuple[str, ...]
    classes: tuple[Any, ...] = (0, 1)

    def __post_init__(self) -> None:
        m, n = self.X.shape
        if self.y.shape != (m,) or len(self.feature_names) != n:
            raise ValueError(
                f"inconsistent dataset {self.name!r}: X {self.X.shape}, y {self.y.shape}, "
                f"{len(self.feature_names)} feature names"
            )
        if m and not (
            np.all(self.y == np.floor(self.y)) and self.y.min() >= 0 and self.y.max() < self.k
        ):
            raise ValueError(
                f"inconsistent dataset {self.name!r}: y must hold class indices 0 to "
                f"{self.k - 1} for the {self.k} classes {self.classes!r}"
            )

    @property
    def k(self) -> int:
        """How many classes."""
        return len(self.classes)

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
            self._subset(f"{self.name} (train)", train),
            self._subset(f"{self.name} (test)", test),
        )

    def _subset(self, name: str, rows: NDArray[np.intp]) -> Dataset:
        return Dataset(name, self.X[rows], self.y[rows], self.feature_names, self.classes)


def standardize(train: Dataset, *others: Dataset) -> tuple[Dataset, ...]:
    """Every feature shifted to mean 0 and scaled to standard deviation 1, using the
    training set's mean and deviation for all the sets given (constant features only
    shifted).

    Scale-safe: each feature is first divided by its largest absolute value in the training
    set, so the mean and the deviation are computed on numbers of at most 1 in magnitude
    and cannot overflow, whatever the features' scale (values near 1e308 included); the
    result is the same as ``(X - mean) / std`` up to rounding.

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
    peak = np.max(np.abs(train.X), axis=0) if train.m else np.ones(train.n)
    peak[peak == 0] = 1.0
    scaled = train.X / peak
    mean = scaled.mean(axis=0)
    deviation = scaled.std(axis=0)
    # A constant feature is only shifted: dividing by 1/peak undoes the first scaling.
    constant = deviation == 0
    deviation[constant] = 1.0 / peak[constant]
    return tuple(
        Dataset(d.name, (d.X / peak - mean) / deviation, d.y, d.feature_names, d.classes)
        for d in (train, *others)
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
    return Dataset("synthetic", X, y.astype(np.float64), ("x1", "x2"), (0, 1))


def _sklearn_datasets() -> Any:
    try:
        from sklearn import datasets
    except ImportError:
        raise ModuleNotFoundError(
            "this data set comes from scikit-learn: pip install 'micrograd_lr[data]'"
        ) from None
    return datasets


def breast_cancer() -> Dataset:
    """scikit-learn's Wisconsin breast-cancer set: 569 examples, 30 features, classes
    ``("malignant", "benign")`` (label 1 for benign). Needs the ``data`` extra
    (scikit-learn); the features are left unscaled."""
    return _from_bunch("breast-cancer", _sklearn_datasets().load_breast_cancer())


def _from_bunch(name: str, bunch: Any) -> Dataset:
    """A scikit-learn data set, its targets (0 to K - 1) naming ``target_names``."""
    return Dataset(
        name,
        np.asarray(bunch.data, dtype=np.float64),
        np.asarray(bunch.target, dtype=np.float64),
        tuple(str(feature) for feature in bunch.feature_names),
        tuple(str(target) for target in bunch.target_names),
    )


def iris() -> Dataset:
    """scikit-learn's iris set: 150 examples, 4 features (sepal and petal length and
    width, in cm), three classes ``("setosa", "versicolor", "virginica")``, 50 each. Needs
    the ``data`` extra (scikit-learn).

    Examples
    --------
    >>> data = iris()  # doctest: +SKIP
    >>> data.X.shape, data.k  # doctest: +SKIP
    ((150, 4), 3)
    """
    return _from_bunch("iris", _sklearn_datasets().load_iris())


def digits(*, digit: int | None = None) -> Dataset:
    """scikit-learn's 8x8 handwritten digits: ten classes, or "is it ``digit``?".

    1797 examples; each image is unrolled into a vector of 64 pixels and normalized to
    [0, 1] (pixels range over 0..16). Needs the ``data`` extra (scikit-learn).

    Parameters
    ----------
    digit : int from 0 to 9, optional
        None (the default): the ten classes 0 to 9. A digit: a binary task, class 1 for
        that digit and 0 for the others (``classes`` is ``("other", "0")`` for 0).
    """
    if digit is not None and (isinstance(digit, bool) or digit not in range(10)):
        raise ValueError(f"digit must be None or an int from 0 to 9, got {digit!r}")
    bunch = _sklearn_datasets().load_digits()
    images = np.asarray(bunch.images, dtype=np.float64)
    X = images.reshape(images.shape[0], -1) / 16.0
    names = tuple(f"pixel_{r}_{c}" for r in range(8) for c in range(8))
    target = np.asarray(bunch.target)
    if digit is None:
        return Dataset("digits", X, target.astype(np.float64), names, tuple(range(10)))
    y = (target == digit).astype(np.float64)
    return Dataset(f"digits (is it a {digit}?)", X, y, names, ("other", str(digit)))


def from_csv(
    path: str | os.PathLike[str], *, header: bool | None = None, progress: bool | None = None
) -> Dataset:
    """Read examples from a CSV file: one example per line, the features first (numbers),
    the last column the label (numbers or text, any number of classes).

    The file must be a regular file (a FIFO, a device such as ``/dev/zero`` or a folder is
    refused) of UTF-8 text (a byte-order mark is allowed). Cells are separated by commas,
    or by ``;`` when the first line holds a ``;``. A cell holds a number in the command
    line's grammar (`micrograd_lr.expr.parse_number`: ASCII digits, an optional sign,
    decimal point and exponent, as in ``-1.5e-3``; no ``1_000``, no full-width digits);
    features must be finite. Blank lines are skipped; cells cannot hold line breaks.

    The labels: when every label is a number, the classes are the distinct values, sorted
    (``1`` and ``1.0`` are one class); otherwise they are the distinct texts (spaces
    around them removed), sorted. Two classes make the course's binary problem (``y`` is 0
    for the first class, 1 for the second); three or more a multi-class one.

    The header: ``header=True`` takes the first line (that is not blank) as the column
    names, ``header=False`` as data. By default (None) it is a header when one of its
    feature cells is not a number (``height``), or when its last cell is not a number and
    is not the label of any other row (``label``, above labels 0/1 or ``cat``/``dog``).
    So a header of numbers (``2019,2020,label``) or of ``inf``/``nan`` is found by its
    label column; a header made only of numbers (``1,2,3``) needs ``header=True``.

    Anything else that cannot be used (a row with a different number of cells, a feature
    that is not a number, NaN or infinity, an empty or non-finite numeric label, bytes that
    are not UTF-8, fewer than two classes) raises `DataError` naming the file and the line.

    Parameters
    ----------
    path : str or path-like
    header : bool or None, default None
        See above.
    progress : bool or None, default None
        A tqdm progress bar (in bytes, on stderr) for reads that take longer than half a
        second: None shows it when tqdm is installed and stderr is a terminal.

    Returns
    -------
    Dataset
        Named after the file's stem; features named after the header (else ``x1``,
        ``x2``, ...).
    """
    path = os.fspath(path)
    X, codes, texts, names = read_csv(path, header=header, progress=progress)
    if not len(codes):
        raise DataError(f"{path}: no examples found")
    values = [number_or_none(t) for t in texts]
    labels: list[Any]
    if all(v is not None for v in values):
        bad = next(
            (t for t, v in zip(texts, values, strict=True) if not math.isfinite(v or 0)), None
        )
        if bad is not None:
            raise find_label(path, bad)
        labels = [v for v in values]
    else:
        labels = list(texts)
    classes = tuple(sorted(set(labels)))
    if len(classes) < 2:
        raise DataError(
            f"{path}: every example has the label {shown_text(texts[0])}; training needs at "
            "least two classes in the last column"
        )
    index = {label: k for k, label in enumerate(classes)}
    lookup = np.array([index[label] for label in labels], dtype=np.float64)
    y = lookup[codes]
    if names is None:
        names = (*(f"x{j + 1}" for j in range(X.shape[1])), "label")
    stem = os.path.splitext(os.path.basename(path))[0]
    return Dataset(stem, X, y, names[:-1], tuple(_plain(c) for c in classes))


def _plain(label: Any) -> Any:
    """An integral float label as an int (the class ``1.0`` shows as ``1``)."""
    if isinstance(label, float) and label.is_integer() and abs(label) < 2**53:
        return int(label)
    return label


def load(name: str, *, header: bool | None = None, progress: bool | None = None) -> Dataset:
    """A data set by name or by the path of a CSV file (see `from_csv`, which ``header``
    and ``progress`` are for).

    Names: ``"synthetic"``, ``"breast-cancer"``, ``"digits"`` (ten classes),
    ``"digits-zero"`` (digits as "is it a 0?"), ``"iris"`` (three classes).
    """
    if name == "synthetic":
        return synthetic()
    if name == "breast-cancer":
        return breast_cancer()
    if name == "digits":
        return digits()
    if name == "digits-zero":
        return digits(digit=0)
    if name == "iris":
        return iris()
    if name.lower().endswith(".csv") or os.path.exists(name):
        return from_csv(name, header=header, progress=progress)
    raise ValueError(f"unknown data set {name!r}: give one of {', '.join(NAMES)} or a .csv path")
