"""Writing files atomically: a reader sees the old file or the whole new one, never half."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

__all__ = ["write_atomic"]


def write_atomic(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder.

    The temporary file is renamed over ``path`` (``os.replace``, atomic on POSIX and
    Windows) only once it is complete, so a failure leaves no partial file behind. Text is
    encoded as UTF-8. The new file gets the usual permissions (0o666 minus the umask).

    Parameters
    ----------
    path : str or path-like
        The file to create or replace; its folder must exist.
    data : bytes or str
        The whole content.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.tmp")
    # os.open with mode 0o666 lets the umask decide the permissions, as open() would;
    # tempfile's files are 0o600, which would make a drawing unreadable to others.
    fd = os.open(
        temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666
    )
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(payload)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target
