"""Reading a data set from a CSV file: NumPy's C reader in blocks, errors that name the line.

The file is read in blocks of about `BLOCK_BYTES`, each parsed by `numpy.loadtxt` (a C
parser since NumPy 1.23), so memory stays near the size of the parsed array (measured
figures in docs/training.md). When a block does not parse, a slow pass over that block
alone, with Python's `csv` module, finds the line and the cell and says what is wrong.
"""

from __future__ import annotations

import csv
import io
import math
import os
import stat
import warnings
from typing import IO

import numpy as np
from numpy.typing import NDArray

from .errors import DataError
from .expr import parse_number, shown_text
from .progress import progress_bar

__all__ = ["BLOCK_BYTES", "find_label", "number_or_none", "read_csv"]

BLOCK_BYTES = 1 << 24
"""How many bytes of the file are parsed at a time (16 MiB)."""

_KINDS = {
    stat.S_ISDIR: "a folder",
    stat.S_ISFIFO: "a named pipe (FIFO)",
    stat.S_ISCHR: "a character device",
    stat.S_ISBLK: "a block device",
    stat.S_ISSOCK: "a socket",
}


def _open_regular(path: str) -> IO[bytes]:
    """``path`` opened for reading in binary, refusing anything but a regular file.

    The file is opened without blocking, then checked: a FIFO would otherwise wait for a
    writer, and ``/dev/zero`` would be read forever.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        raise DataError(f"cannot read {path}: {error.strerror}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = next((name for test, name in _KINDS.items() if test(mode)), "not a file")
        raise DataError(f"cannot read {path}: it is {kind}, not a regular file; give a CSV file")
    return os.fdopen(fd, "rb")


def _decode(data: bytes, path: str, first_line: int) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = first_line + data.count(b"\n", 0, error.start)
        raise DataError(
            f"{path}, line {line}: not UTF-8 text (byte {data[error.start]:#04x}); save the "
            "file as UTF-8 CSV"
        ) from None


def _is_blank(cells: list[str]) -> bool:
    """A line that holds nothing but spaces (which `numpy.loadtxt` skips too)."""
    return not cells or (len(cells) == 1 and not cells[0].strip())


def number_or_none(text: str) -> float | None:
    """``text`` as a number in the CLI's grammar (`expr.parse_number`), or None."""
    try:
        return parse_number(text)
    except ValueError:
        return None


class _Reader:
    """The state of one file being read: where, the separator, the width, the labels."""

    def __init__(
        self, path: str, delimiter: str, width: int, first_line: int, header_hint: bool
    ) -> None:
        self.path = path
        self.first_line = first_line
        self.delimiter = delimiter
        self.width = width
        # Said after an error on line 1 when that line was taken for data.
        self.header_hint = header_hint
        # Label text -> provisional code, in order of appearance (the classes are sorted
        # once every label has been seen).
        self.codes: dict[str, int] = {}

    def label_code(self, text: str) -> int:
        return self.codes.setdefault(text.strip(), len(self.codes))

    def where(self, line: int) -> str:
        return f"{self.path}, line {line}"

    def fail(self, line: int, message: str) -> DataError:
        hint = (
            "; if this line is a header, say so (--header, or header=True)"
            if line == self.first_line and self.header_hint
            else ""
        )
        return DataError(f"{self.where(line)}: {message}{hint}")

    def check_row(self, cells: list[str], line: int) -> None:
        """Raise the `DataError` for the first thing wrong in one row, if any."""
        if len(cells) != self.width:
            raise self.fail(line, f"expected {self.width} cells, found {len(cells)}")
        for column, text in enumerate(cells[:-1], start=1):
            value = number_or_none(text)
            if value is None:
                comma = (
                    " (a decimal comma? write the number with a point, as in 1.5)"
                    if self.delimiter == ";" and "," in text
                    else ""
                )
                raise self.fail(line, f"column {column} is not a number: {shown_text(text)}{comma}")
            if not math.isfinite(value):
                raise self.fail(
                    line, f"column {column} is {shown_text(text)}; values must be finite"
                )
        if not cells[-1].strip():
            raise self.fail(line, f"the label (column {self.width}, the last) is empty")

    def locate(self, text: str, first_line: int) -> None:
        """Scan a block row by row and raise the error of the first bad row; return when
        every row is fine."""
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter)
        try:
            for cells in reader:
                line = first_line + reader.line_num - 1
                if not _is_blank(cells):
                    self.check_row(cells, line)
        except csv.Error as error:
            raise DataError(f"{self.where(first_line + reader.line_num - 1)}: {error}") from None

    def parse(self, text: str, first_line: int) -> NDArray[np.float64]:
        """One block: a table whose last column holds provisional label codes."""
        try:
            with warnings.catch_warnings():
                # An empty block ("input contained no data") is an empty table here.
                warnings.simplefilter("ignore", UserWarning)
                table = np.loadtxt(
                    io.StringIO(text),
                    dtype=np.float64,
                    delimiter=self.delimiter,
                    comments=None,
                    quotechar='"',
                    ndmin=2,
                    converters={self.width - 1: self.label_code},
                )
        except ValueError as error:
            self.locate(text, first_line)
            raise DataError(f"{self.where(first_line)} and after: {error}") from None
        if table.size and (table.shape[1] != self.width or not np.isfinite(table).all()):
            self.locate(text, first_line)
        if "" in self.codes:  # a quoted empty label: "" passes the C reader
            self.locate(text, first_line)
        return table.reshape(-1, self.width)


def _first_row(handle: IO[bytes], path: str) -> tuple[list[str], int, str, int]:
    """``(cells, line number, delimiter, bytes read)`` of the first line that is not blank."""
    line_number, consumed = 0, 0
    while True:
        raw = handle.readline()
        if not raw:
            raise DataError(f"{path}: the file is empty; it needs the features and the label")
        line_number += 1
        consumed += len(raw)
        # utf-8-sig: a byte-order mark (as spreadsheet programs write) is not part of the
        # first column's name.
        text = _decode(raw, path, line_number)
        if line_number == 1:
            text = text.removeprefix("\ufeff")
        if text.strip():
            break
    # A ';' on the first line means ';'-separated (as spreadsheets write where the comma is
    # the decimal separator); otherwise commas.
    delimiter = ";" if ";" in text else ","
    try:
        cells = next(csv.reader([text], delimiter=delimiter))
    except csv.Error as error:
        raise DataError(f"{path}, line {line_number}: {error}") from None
    return cells, line_number, delimiter, consumed


def read_csv(
    path: str, *, header: bool | None = None, progress: bool | None = None
) -> tuple[NDArray[np.float64], NDArray[np.intp], list[str], tuple[str, ...] | None]:
    """``(X, codes, label texts, header names)`` of a CSV file; see `datasets.from_csv`.

    ``X`` has one row per example, the features; ``codes[i]`` is the index of example
    ``i``'s label text in ``label texts`` (in order of first appearance). ``header names``
    is None when the file has no header.
    """
    with _open_regular(path) as handle:
        size = os.fstat(handle.fileno()).st_size
        cells, line, delimiter, consumed = _first_row(handle, path)
        first_line = line
        width = len(cells)
        if width < 2:
            raise DataError(
                f"{path}, line {line}: needs at least two columns, the features and the "
                f"label, separated by commas (or ';'); found one: {shown_text(cells[0])}"
            )
        features_are_numbers = all(number_or_none(c) is not None for c in cells[:-1])
        label_is_number = number_or_none(cells[-1]) is not None
        if header is None and not features_are_numbers:
            header = True
        reader = _Reader(path, delimiter, width, line, header_hint=header is None)
        if header is False or (header is None and label_is_number):
            header = False
            reader.check_row(cells, line)
        # Otherwise decided once every label is known (a header's last cell, such as
        # "label", is not the label of another row).
        first = np.array([[number_or_none(c) or 0.0 for c in cells[:-1]] + [0.0]], dtype=np.float64)
        blocks: list[NDArray[np.float64]] = []
        bar = progress_bar(
            size,
            progress,
            desc=f"reading {os.path.basename(path)}",
            unit="B",
            unit_scale=True,
            delay=0.5,  # only a read that takes a while shows a bar
        )
        rest = b""
        try:
            if bar is not None:
                bar.update(consumed)
            while True:
                chunk = handle.read(BLOCK_BYTES)
                data = rest + chunk
                if chunk:
                    cut = data.rfind(b"\n") + 1
                    data, rest = data[:cut], data[cut:]
                    if not data:  # a line longer than a block: read on
                        continue
                else:
                    rest = b""
                if not data:
                    break
                text = _decode(data, path, line + 1)
                blocks.append(reader.parse(text, line + 1))
                line += text.count("\n")
                if bar is not None:
                    bar.update(len(data))
                del text, data
        finally:
            if bar is not None:
                bar.close()

    first_label = cells[-1].strip()
    if header is None:
        header = first_label not in reader.codes
        if not header:
            reader.check_row(cells, first_line)
    if not header:
        first[0, -1] = reader.label_code(first_label)
        blocks.insert(0, first)
    if not blocks:
        blocks = [first[:0]]
    X = np.concatenate([b[:, :-1] for b in blocks])
    codes = np.concatenate([b[:, -1] for b in blocks]).astype(np.intp)
    names = tuple(c.strip() for c in cells) if header else None
    return X, codes, list(reader.codes), names


def find_label(path: str, label: str) -> DataError:
    """The error for the first row of ``path`` whose label text is ``label`` (a slow pass
    over the file, for the rare label that cannot be used, such as ``nan``)."""
    with _open_regular(path) as handle:
        delimiter = _first_row(handle, path)[2]
        handle.seek(0)
        lines = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
        for number, text in enumerate(lines, start=1):
            cells = next(csv.reader([text], delimiter=delimiter), [])
            if not _is_blank(cells) and cells[-1].strip() == label:
                return DataError(
                    f"{path}, line {number}: the label is {label!r}; numeric labels must be finite"
                )
    return DataError(f"{path}: the label {label!r} is not finite")
