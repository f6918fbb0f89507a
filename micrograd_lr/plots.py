"""Saving a cost curve as an image with matplotlib (the ``plot`` extra)."""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from typing import Any

from .atomic import check_writable, write_atomic

__all__ = ["check_path", "save_cost_curve", "save_figure"]


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
) -> None:
    """Draw the cost against the iteration and write it to ``path``, atomically.

    Parameters
    ----------
    costs : sequence of float
        The cost at iterations 0, 1, 2, ...
    path : str or path-like
        Where to write; the format comes from the suffix (``.png``, ``.svg``, ``.pdf``, ...).
    title : str, default "Cost during training"
    log_scale : bool, default False
        A logarithmic cost axis (to see the slow end of a long run).

    Raises
    ------
    ModuleNotFoundError
        When matplotlib is not installed.
    ValueError
        For an empty ``costs`` or a suffix matplotlib cannot write.
    """
    if len(costs) == 0:
        raise ValueError("no costs to plot: train for at least one iteration")
    check_path(path)  # before any drawing: a bad path fails fast
    from matplotlib.figure import Figure

    # A Figure without pyplot: no global state and no GUI backend needed.
    figure = Figure(figsize=(6, 4), layout="constrained")
    axes = figure.add_subplot()
    axes.plot(range(len(costs)), costs)
    axes.set_xlabel("iteration")
    axes.set_ylabel("cost J(w, b)")
    axes.set_title(title)
    if log_scale:
        axes.set_yscale("log")
    axes.grid(True, alpha=0.3)
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
