"""Logistic regression: the vectorized closed form, the same model as a Value graph, training.

Conventions (the course's): ``X`` has shape ``(n_x, m)``, one column per example; ``Y`` has
shape ``(1, m)`` with labels 0 or 1 (shape ``(m,)`` is accepted too); ``w`` has shape
``(n_x, 1)`` (shape ``(n_x,)`` is accepted, and ``dw`` then comes back in that shape) and
``b`` is a float. The model is ``A = sigmoid(w^T X + b)`` with the mean log-loss as its cost
``J``, whose gradient in closed form is ``dw = X (A - Y)^T / m`` and ``db = mean(A - Y)``
(derived step by step in docs/logistic.md).

The loss is computed from the logit ``z`` in the stable form
``max(z, 0) - y*z + log1p(exp(-|z|))``: finite, with correct gradients, for any finite ``z``
(``log(1 - sigmoid(z))`` would hit ``log(0)`` from ``z >= 37``).

Floats keep the dtype of ``X``: a float32 ``X`` is computed in float32 and never copied to
float64 (``w`` is cast to ``X``'s dtype instead). An integer or boolean ``X`` is converted to
float64 once.

Bad input raises an error that names it: a shape other than the ones above, a label other
than 0 or 1 (by example), NaN or infinity in ``X`` (by position), a non-finite ``w`` or ``b``.

The package holds one concern per module: `course` (the course's API, vectorized),
`value_graph` (the same cost as a graph of Values), `objective` (the regularized objective,
stated once), `solvers` (Newton, L-BFGS, gradient descent, FISTA), `training` (gradient
descent with either engine), `softmax` (softmax regression for K classes) and `estimator`
(a scikit-learn style `LogisticRegression`, imported on first use). Everything public is
importable from here.
"""

from __future__ import annotations

from .course import (
    initialize_with_zeros,
    lipschitz_learning_rate,
    model,
    optimize,
    predict,
    propagate,
)
from .objective import BinaryObjective, Objective
from .softmax import MultinomialObjective, softmax_cost_graph, softmax_propagate
from .solvers import SOLVERS, SolverResult, minimize
from .training import ENGINES, Engine, TrainingResult, train
from .value_graph import cost_graph, value_propagate

__all__ = [
    "ENGINES",
    "SOLVERS",
    "BinaryObjective",
    "Engine",
    "LogisticRegression",
    "MultinomialObjective",
    "Objective",
    "SolverResult",
    "TrainingResult",
    "cost_graph",
    "initialize_with_zeros",
    "lipschitz_learning_rate",
    "minimize",
    "model",
    "optimize",
    "predict",
    "propagate",
    "softmax_cost_graph",
    "softmax_propagate",
    "train",
    "value_propagate",
]


def __getattr__(name: str) -> object:
    # The estimator imports scikit-learn when it is installed (about a second), which the
    # course API and the CLI should not pay: it is imported on first use.
    if name == "LogisticRegression":
        from .estimator import LogisticRegression

        return LogisticRegression
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
