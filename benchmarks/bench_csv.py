"""CSV loading: time and peak memory of `micrograd_lr.datasets.from_csv` on a large file,
beside NumPy's `loadtxt` on the whole file (the C reader alone, the floor) and the approach of
the previous loader (Python's `csv` module and `float` per cell, kept here as the peer).

A file like the one of issue 10 (200 MB: 1.06 million rows of 10 features and a 0/1 label,
each number written by `repr`) is generated in a temporary folder and deleted afterwards.
Each load runs in a fresh Python process, so its peak resident memory (``ru_maxrss``) is its
own; the loaders take turns, repeat after repeat (interleaved), and the medians are shown.

Run:  python benchmarks/bench_csv.py              (200 MB, 3 repeats: a few minutes)
      python benchmarks/bench_csv.py --quick      (2 MB, 1 repeat: checks that it runs)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).absolute().parent.parent

# Each loader is the body of a child process; `path` is the file, `load()` must return the
# features and the labels.
LOADERS = {
    "micrograd_lr from_csv": """
from micrograd_lr.datasets import from_csv
def load():
    data = from_csv(path, progress=False)
    return data.X, data.y
""",
    "numpy.loadtxt (whole file)": """
import numpy as np
def load():
    table = np.loadtxt(path, delimiter=",", skiprows=1, comments=None)
    return table[:, :-1], table[:, -1]
""",
    "csv + float (previous loader)": """
import csv, io
import numpy as np
def load():
    with open(path, "rb") as handle:
        text = handle.read().decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader)
    table = np.array([[float(cell) for cell in cells] for cells in reader if cells])
    return table[:, :-1], table[:, -1]
""",
}

CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
path = {path!r}
{loader}
def rss_bytes():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize()
before = rss_bytes() if sys.platform.startswith("linux") else 0
start = time.perf_counter()
X, y = load()
seconds = time.perf_counter() - start
unit = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit
print(json.dumps({{"seconds": seconds, "peak": peak, "before": before, "shape": list(X.shape),
                  "checksum": float(X[::997].sum() + y.sum())}}))
"""


def write_file(path: Path, rows: int, *, seed: int = 0) -> None:
    """``rows`` rows of 10 standard-normal features (written by repr) and a 0/1 label."""
    rng = np.random.default_rng(seed)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(",".join(f"feature_{j}" for j in range(10)) + ",label\n")
        for start in range(0, rows, 100_000):
            count = min(100_000, rows - start)
            X = rng.standard_normal((count, 10)).tolist()
            y = rng.integers(0, 2, count).tolist()
            handle.writelines(
                ",".join(map(repr, row)) + f",{label}\n" for row, label in zip(X, y, strict=True)
            )


def run_child(loader: str, path: Path) -> dict[str, float]:
    code = CHILD.format(root=str(ROOT), path=str(path), loader=loader)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=3600
    )
    return dict(json.loads(done.stdout))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_060_000, help="default 1,060,000 (200 MB)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="10,600 rows, one repeat")
    parser.add_argument(
        "--skip", nargs="*", default=[], metavar="NAME", help="loaders to leave out (a prefix)"
    )
    args = parser.parse_args(argv)
    rows, repeats = (10_600, 1) if args.quick else (args.rows, args.repeats)
    loaders = {
        name: body
        for name, body in LOADERS.items()
        if not any(name.startswith(prefix) for prefix in args.skip)
    }
    with tempfile.TemporaryDirectory(prefix="bench_csv_") as folder:
        path = Path(folder) / "big.csv"
        write_file(path, rows)
        size = path.stat().st_size
        print(
            f"CSV of {rows:,} rows x 11 columns, {size / 1e6:.1f} MB; Python "
            f"{platform.python_version()}, NumPy {np.__version__}, {os.cpu_count()} cores, "
            f"load average {os.getloadavg()[0]:.1f}; medians of {repeats} interleaved repeats"
        )
        results: dict[str, list[dict[str, float]]] = {name: [] for name in loaders}
        for _ in range(repeats):
            for name, body in loaders.items():
                results[name].append(run_child(body, path))
        checksums = {round(r[0]["checksum"], 6) for r in results.values()}
        assert len(checksums) == 1, f"the loaders read different numbers: {checksums}"
    base = statistics.median(r["seconds"] for r in next(iter(results.values())))
    print()
    print("| loader | time (s) | time / micrograd_lr | peak RSS (MB) | peak / file size | "
          "RSS added by the load (MB) |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|")
    for name, runs in results.items():
        seconds = statistics.median(r["seconds"] for r in runs)
        peak = statistics.median(r["peak"] for r in runs)
        added = statistics.median(r["peak"] - r["before"] for r in runs)
        print(
            f"| {name} | {seconds:.2f} | {seconds / base:.2f}x | {peak / 1e6:.0f} | "
            f"{peak / size:.2f}x | {added / 1e6:.0f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
