"""micrograd_lr: a scalar autograd engine that shows and verifies backpropagation.

The public API::

    from micrograd_lr import Value, draw
"""

from __future__ import annotations

from .engine import Value
from .errors import DomainError, GradcheckError, MicrogradLRError
from .render import draw, to_text

__version__ = "0.1.0"

__all__ = [
    "DomainError",
    "GradcheckError",
    "MicrogradLRError",
    "Value",
    "__version__",
    "draw",
    "to_text",
]
