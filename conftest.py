"""Repository-wide pytest settings: what doctest collection must not import, and the
``graphviz`` marker (skip without the ``dot`` program, unless CI requires it)."""

import os
import shutil

import pytest

collect_ignore = ["micrograd_lr/__main__.py"]
try:
    import numba  # noqa: F401
except ImportError:  # the native loop's module imports Numba (the fast extra)
    collect_ignore.append("micrograd_lr/_native_loop.py")


def pytest_runtest_setup(item):
    """Tests marked ``graphviz`` need the ``dot`` program: skipped without it, unless
    MICROGRAD_LR_REQUIRE_DOT=1 (as in CI), where a missing ``dot`` is a failure."""
    if item.get_closest_marker("graphviz") and shutil.which("dot") is None:
        if os.environ.get("MICROGRAD_LR_REQUIRE_DOT") == "1":
            pytest.fail("the Graphviz `dot` program is missing and MICROGRAD_LR_REQUIRE_DOT=1")
        pytest.skip("needs the Graphviz `dot` program")
