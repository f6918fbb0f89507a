"""Draw the teaching case J = (a - 1)(b + c) after backpropagation.

Writes ``j_graph.svg`` and ``j_graph.png`` (needs the Graphviz ``dot`` program) into
``examples/out/`` (git-ignored), or into the folder given, and prints the graph as a text tree.

    python examples/draw_graph.py [--out FOLDER]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from micrograd_lr import Value, to_text
from micrograd_lr.render import write

DEFAULT_OUT = Path(__file__).parent / "out"


def j_graph(a: float = 2.0, b: float = 3.0, c: float = 4.0) -> Value:
    """J = (a - 1)(b + c) with every gradient filled in."""
    va, vb, vc = Value(a, "a"), Value(b, "b"), Value(c, "c")
    J = (va - 1) * (vb + vc)
    J.label = "J"
    J.backward()
    return J


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"folder (default {DEFAULT_OUT})"
    )
    folder = parser.parse_args(argv).out
    folder.mkdir(parents=True, exist_ok=True)
    J = j_graph()
    print(to_text(J))
    for name in ("j_graph.svg", "j_graph.png"):
        print(f"wrote {write(J, folder / name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
