"""Saving cost curves and confusion matrices as images with matplotlib (the ``plot`` extra)."""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .atomic import check_writable, write_atomic

__all__ = ["check_path", "save_confusion_matrix", "save_cost_curve", "save_figure"]


def check_path(path: str | os.PathLike[str]) -> tuple[str, str]:
    """``(path, format)`` when matplotlib can write ``path`` (checked before any work).

    Raises
    ------
    ModuleNotFoundError
        When matplotlib is not installed.
    ValueError
        For a suffix matplotlib cannot write, a folder that does not exist or cannot be
        written to, or a ``path`` that is a folder.
    """
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ModuleNotFoundError(
            "plotting needs matplotlib: pip install 'micrograd_lr[plot]'"
        ) from None
    path = os.fspath(path)
    formats = Figure().canvas.get_supported_filetypes()
    suffix = os.path.splitext(path)[1].lstrip(".").lower()
    if suffix not in formats:
        raise ValueError(
            f"cannot write a plot to {path!r}: the suffix must be one of "
            f"{', '.join('.' + f for f in sorted(formats))}"
        )
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ValueError(f"cannot write a plot to {path!r}: no folder {folder!r}")
    if os.path.isdir(path):
        raise ValueError(f"cannot write a plot to {path!r}: it is a folder; give a file name")
    try:
        check_writable(folder)
    except OSError as error:
        raise ValueError(
            f"cannot write a plot to {path!r}: the folder {folder!r} is not writable "
            f"({error.strerror})"
        ) from None
    return path, suffix


def save_cost_curve(
    costs: Sequence[float],
    path: str | os.PathLike[str],
    *,
    title: str = "Cost during training",
    log_scale: bool = False,
    iterations: Sequence[int] | None = None,
) -> None:
    """Draw the cost against the iteration and write it to ``path``, atomically.

    Parameters
    ----------
    costs : sequence of float
        The cost at iterations 0, 1, 2, ... (or at ``iterations``).
    path : str or path-like
        Where to write; the format comes from the suffix (``.png``, ``.svg``, ``.pdf``, ...).
    title : str, default "Cost during training"
    log_scale : bool, default False
        A logarithmic cost axis (to see the slow end of a long run).
    iterations : sequence of int, optional
        The iteration of each cost, as in `TrainingResult.cost_iterations` (a thinned
        history); by default 0, 1, 2, ...

    Raises
    ------
    ModuleNotFoundError
        When matplotlib is not installed.
    ValueError
        For an empty ``costs``, ``iterations`` of another length, or a suffix matplotlib
        cannot write.
    """
    if len(costs) == 0:
        raise ValueError("no costs to plot: train for at least one iteration")
    if iterations is not None and len(iterations) != len(costs):
        raise ValueError(f"{len(iterations)} iterations for {len(costs)} costs: give one per cost")
    check_path(path)  # before any drawing: a bad path fails fast
    from matplotlib.figure import Figure

    # A Figure without pyplot: no global state and no GUI backend needed.
    figure = Figure(figsize=(6, 4), layout="constrained")
    axes = figure.add_subplot()
    _draw_costs(axes, costs, iterations, title, log_scale)
    save_figure(figure, path)


def _draw_costs(
    axes: Any,
    costs: Sequence[float],
    iterations: Sequence[int] | None,
    title: str,
    log_scale: bool,
) -> None:
    axes.plot(range(len(costs)) if iterations is None else iterations, costs)
    axes.set_xlabel("iteration")
    axes.set_ylabel("cost J(w, b)")
    axes.set_title(title)
    if log_scale:
        axes.set_yscale("log")
    axes.grid(True, alpha=0.3)


def save_confusion_matrix(
    matrix: ArrayLike,
    classes: Sequence[Any],
    path: str | os.PathLike[str],
    *,
    title: str = "Confusion matrix",
    costs: Sequence[float] | None = None,
    iterations: Sequence[int] | None = None,
) -> None:
    """Draw a confusion matrix (and, beside it, the cost curve) and write it atomically.

    Parameters
    ----------
    matrix : array of int, shape (K, K)
        ``matrix[i, j]``: how many examples of class ``i`` were predicted as class ``j``.
    classes : sequence, length K
        The class labels, for the axes.
    path : str or path-like
        Where to write; the format comes from the suffix.
    title : str, default "Confusion matrix"
    costs, iterations : optional
        A cost history (see `save_cost_curve`) drawn in a panel on the left.

    Raises
    ------
    ModuleNotFoundError
        When matplotlib is not installed.
    ValueError
        For a matrix that is not K x K for the K classes, or a suffix matplotlib cannot write.
    """
    counts = np.asarray(matrix)
    k = len(classes)
    if counts.shape != (k, k):
        raise ValueError(
            f"the confusion matrix must be {k} x {k} for {k} classes, got {counts.shape}"
        )
    check_path(path)
    from matplotlib.figure import Figure

    panels = 1 if costs is None else 2
    size = max(4.0, 0.45 * k + 2.0)
    figure = Figure(figsize=(size * panels + 0.5, size), layout="constrained")
    if costs is not None:
        _draw_costs(figure.add_subplot(1, panels, 1), costs, iterations, "Cost", False)
    axes = figure.add_subplot(1, panels, panels)
    image = axes.imshow(counts, cmap="Blues")
    figure.colorbar(image, ax=axes, shrink=0.8)
    names = [str(c) for c in classes]
    axes.set_xticks(range(k), names, rotation=45 if max(map(len, names)) > 3 else 0)
    axes.set_yticks(range(k), names)
    axes.set_xlabel("predicted class")
    axes.set_ylabel("true class")
    axes.set_title(title)
    threshold = counts.max() / 2 if counts.size else 0
    for (i, j), count in np.ndenumerate(counts):
        axes.text(j, i, str(count), ha="center", va="center", fontsize=8,
                  color="white" if count > threshold else "black")  # fmt: skip
    save_figure(figure, path)


def save_figure(figure: Any, path: str | os.PathLike[str], **savefig_options: Any) -> str:
    """Write a matplotlib ``Figure`` to ``path`` atomically, in the format of its suffix.

    Checks ``path`` first (`check_path`), renders into memory, then replaces the file in one
    step: an error or an interruption never leaves a half-written image. Returns the path.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
    path : str or path-like
        Where to write (``.png``, ``.svg``, ``.pdf``, ...).
    **savefig_options
        Passed to ``Figure.savefig`` (``dpi=...``, ...).
    """
    path, suffix = check_path(path)
    image = io.BytesIO()
    figure.savefig(image, format=suffix, **savefig_options)
    write_atomic(path, image.getvalue())
    return path
