"""micrograd_lr: a scalar autograd engine that shows and verifies backpropagation.

The public API::

    from micrograd_lr import Value, draw

plus derivatives as functions (`grad`, `hessian`) and the finite-difference checker
(`gradcheck`).
"""

from __future__ import annotations

from .autodiff import grad, hessian
from .compile import compile
from .engine import Value
from .errors import DomainError, GradcheckError, MicrogradLRError
from .explain import explain  # the function; the module is micrograd_lr.explain too
from .gradcheck import gradcheck
from .render import draw, to_text

__version__ = "0.1.0"

__all__ = [
    "DomainError",
    "GradcheckError",
    "MicrogradLRError",
    "Value",
    "__version__",
    "compile",
    "draw",
    "explain",
    "grad",
    "gradcheck",
    "hessian",
    "to_text",
]
