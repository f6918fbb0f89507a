"""micrograd_lr: a scalar autograd engine that shows and verifies backpropagation.

The public API::

    from micrograd_lr import Value, draw

plus derivatives as functions (`grad`, `hessian`), the finite-difference checker
(`gradcheck`) and the scikit-learn compatible `LogisticRegression` (binary and softmax).
"""

from __future__ import annotations

from .autodiff import grad, hessian
from .compile import compile
from .engine import Value, no_grad
from .errors import DomainError, GradcheckError, MicrogradLRError
from .explain import explain  # the function; the module is micrograd_lr.explain too
from .gradcheck import gradcheck
from .render import draw, to_text

__version__ = "0.1.0"

__all__ = [
    "DomainError",
    "GradcheckError",
    "LogisticRegression",
    "MicrogradLRError",
    "Value",
    "__version__",
    "compile",
    "draw",
    "explain",
    "grad",
    "gradcheck",
    "hessian",
    "no_grad",
    "to_text",
]


def __getattr__(name: str) -> object:
    # micrograd_lr.LogisticRegression, imported on first use: the estimator imports
    # scikit-learn when it is installed (about a second), which `import micrograd_lr` should
    # not pay.
    if name == "LogisticRegression":
        from .logistic.estimator import LogisticRegression

        return LogisticRegression
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
