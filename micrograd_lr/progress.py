"""Optional tqdm progress bars on stderr (the ``progress`` extra)."""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["progress_bar"]


def progress_bar(total: int, progress: bool | None, *, desc: str, **options: Any) -> Any:
    """A tqdm bar on stderr, or None.

    Parameters
    ----------
    total : int
        The count the bar runs up to.
    progress : bool or None
        None shows the bar when tqdm is installed and stderr is a terminal; True asks for
        it anyway (tqdm required); False never shows it.
    desc : str
        The bar's label.
    **options
        More tqdm options (``unit="B"``, ``delay=0.5``, ...).

    Raises
    ------
    ModuleNotFoundError
        For ``progress=True`` without tqdm.
    """
    if progress is False:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        if progress:
            raise ModuleNotFoundError(
                "progress=True needs tqdm: pip install 'micrograd_lr[progress]'"
            ) from None
        return None
    if progress is None and not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty()):
        return None
    return tqdm(total=total, desc=desc, file=sys.stderr, **options)
