"""Neural networks with micrograd's names and behaviour: Module, Neuron, Layer, MLP.

A program written for micrograd 0.1.0 runs after changing only its imports::

    from micrograd_lr import Value            # was: from micrograd.engine import Value
    from micrograd_lr.nn import MLP           # was: from micrograd.nn import MLP

The weights are drawn with ``random.uniform(-1, 1)`` in micrograd's order, so after the same
``random.seed`` both libraries build the same network, and a forward pass gives the same
floats, bit for bit. What differs is the graph underneath: micrograd builds each neuron's
pre-activation ``b + w0*x0 + w1*x1 + ...`` from ``2 * nin`` nodes (a product and a sum per
input); here it is **one node**, ``w·x+b``, that adds the products in micrograd's order
(``((b + w0*x0) + w1*x1) + ...``, so the same float) and knows its local derivatives
(``x_i`` for ``w_i``, ``w_i`` for ``x_i``, 1 for ``b``). micrograd's moons demo then trains
about 40-50x faster than on micrograd (see docs/micrograd.md). Gradients agree with
micrograd's to rounding: each contribution is the same product, but where a weight collects
contributions from many examples, the order of the additions differs (micrograd's own order
changes from process to process, as it comes from iterating a ``set``).

``Neuron(nin, composed=True)`` (also ``Layer(..., composed=True)`` and
``MLP(..., composed=True)``) builds micrograd's exact graph instead, node for node: slower,
but a drawing shows every product and sum as micrograd's does.
"""

from __future__ import annotations

import itertools
import operator
import random
from collections.abc import Callable, Sequence
from functools import cache
from numbers import Real
from typing import Any, cast

from .engine import Op, Value, _node

__all__ = ["MAX_PARAMETERS", "MLP", "NEURON_SYMBOL", "Layer", "Module", "Neuron"]

NEURON_SYMBOL = "w·x+b"
"""The symbol of a neuron's one-node pre-activation, as drawings show it."""


# --------------------------------------------------------------------------------------------
# The pre-activation as one node
# --------------------------------------------------------------------------------------------
def _operand(index: int) -> Callable[..., Any]:
    """The rule whose derivative is the operand at ``index`` (a product's other factor).
    `operand_rule_index` reads ``index`` back (the compiled replays read the operand itself
    instead of calling the rule)."""

    def rule(out: Any, *operands: Any) -> Any:
        return operands[index]

    return rule


_OPERAND_RULE_CODE = _operand(0).__code__


def operand_rule_index(rule: Any) -> int | None:
    """``index`` for a rule made by `_operand` (its derivative is that operand), else None."""
    if getattr(rule, "__code__", None) is not _OPERAND_RULE_CODE:
        return None
    index: int = rule.__closure__[0].cell_contents
    return index


@cache
def _neuron_op(nin: int) -> Op:
    """The operation ``b + w0*x0 + ... + w[nin-1]*x[nin-1]`` on the operands
    ``(w0, x0, w1, x1, ..., b)``: one Op per input size, shared by every neuron.

    The rules are data like every engine primitive's, so ``backward(create_graph=True)``
    differentiates through a neuron too: d/dw_i is the operand x_i, d/dx_i is w_i, d/db is 1.
    """

    def forward(*operands: float) -> float:
        # micrograd's order, sum(..., b): the bias first, then each product in turn.
        total = operands[-1]
        for product in map(operator.mul, operands[0:-1:2], operands[1::2]):
            total = total + product
        return total

    rules: list[Any] = []
    for i in range(nin):
        rules += (_operand(2 * i + 1), _operand(2 * i))
    rules.append(1.0)
    return Op(NEURON_SYMBOL, forward, tuple(rules))


NEURON_FORWARD_CODE = _neuron_op(1).forward.__code__
"""The code of every neuron op's forward function (one per input size): compiled replays
recognize a neuron by it and write its sum out, ``b + w0 * x0 + w1 * x1 + ...``."""


def _as_values(x: Any, nin: int, who: str) -> list[Value]:
    """The inputs as a list of ``nin`` Values; plain numbers become new leaves, as micrograd
    wraps them."""
    if isinstance(x, Value | str | bytes) or not hasattr(x, "__iter__"):
        raise TypeError(
            f"{who} takes a sequence of {nin} inputs (Values or numbers), got "
            f"{type(x).__name__}: {x!r}"
        )
    values = list(x)
    if len(values) != nin:
        raise ValueError(
            f"{who} takes {nin} input{'s' if nin != 1 else ''}, got {len(values)}; give one "
            "input per weight"
        )
    for i, v in enumerate(values):
        if type(v) is not Value:
            if isinstance(v, Value):
                continue
            if isinstance(v, bool) or not isinstance(v, Real):
                raise TypeError(
                    f"{who}: input {i} must be a Value or a number, got {type(v).__name__}: {v!r}"
                )
            values[i] = Value(cast(float, v))  # NumPy scalars too: Value checks
    return values


def _count(n: Any, name: str, who: str) -> int:
    """``n`` when it is a positive int, else a TypeError or ValueError naming it."""
    if isinstance(n, bool) or not hasattr(n, "__index__"):
        raise TypeError(f"{who}: {name} must be a positive int, got {type(n).__name__}: {n!r}")
    n = operator.index(n)
    if n < 1:
        raise ValueError(f"{who}: {name} must be at least 1, got {n}")
    return n


MAX_PARAMETERS = 10_000_000
"""The most parameters a `Neuron`, `Layer` or `MLP` may create: each is a Value of about 150
bytes, so this many take about 1.5 GB, built one by one over seconds. A larger size (often a
typo, ``MLP(784, [10**6])``) is refused at once instead of filling the memory; raise this
number to build larger networks knowingly."""


def _check_size(n_params: int, who: str) -> None:
    if n_params > MAX_PARAMETERS:
        raise ValueError(
            f"{who} would create {n_params:,} parameters (about {n_params * 150 / 1e9:.3g} GB "
            f"of Values), more than MAX_PARAMETERS = {MAX_PARAMETERS:,}: use smaller layers, "
            "or raise micrograd_lr.nn.MAX_PARAMETERS"
        )


# --------------------------------------------------------------------------------------------
# The modules
# --------------------------------------------------------------------------------------------
class Module:
    """The base of every network part: it owns parameters and can reset their gradients.

    Like ``torch.nn.Module`` (and micrograd's ``Module``), but ``parameters()`` returns a
    list, not an iterator.
    """

    def zero_grad(self) -> None:
        """Set the ``.grad`` of every parameter to 0.0 (before each backward of a training
        loop: gradients accumulate)."""
        for p in self.parameters():
            p.grad = 0.0

    def parameters(self) -> list[Value]:
        """Every trainable Value of this module, in a fixed order (none for the base)."""
        return []


class Neuron(Module):
    """One neuron: ``relu(w·x + b)``, or ``w·x + b`` when ``nonlin`` is False.

    Parameters
    ----------
    nin : int
        The number of inputs (and weights).
    nonlin : bool, default True
        Apply ReLU to the weighted sum (a hidden unit); False gives a linear unit.
    composed : bool, default False
        Build micrograd's graph for the weighted sum (one product and one sum node per
        input) instead of the one-node ``w·x+b``. Same floats forward; only drawings and
        speed differ.

    Attributes
    ----------
    w : list of Value
        The ``nin`` weights, each drawn from ``random.uniform(-1, 1)`` in order.
    b : Value
        The bias, starting at 0.
    nonlin : bool

    Examples
    --------
    >>> import random
    >>> random.seed(0)
    >>> n = Neuron(2)
    >>> n
    ReLUNeuron(2)
    >>> y = n([1.0, -2.0])
    >>> y.data == max(0.0, 0.0 + n.w[0].data * 1.0 + n.w[1].data * -2.0)
    True
    """

    def __init__(self, nin: int, nonlin: bool = True, *, composed: bool = False) -> None:
        nin = _count(nin, "nin", "Neuron")
        _check_size(nin + 1, f"Neuron({nin})")
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0)
        self.nonlin = nonlin
        self.composed = composed

    def __call__(self, x: Sequence[Value | float]) -> Value:
        """The neuron's output for the inputs ``x`` (Values or numbers, one per weight)."""
        return self._forward(_as_values(x, len(self.w), repr(self)))

    def _forward(self, x: list[Value]) -> Value:
        # x is checked: a list of len(self.w) Values.
        if self.composed:
            act = sum((wi * xi for wi, xi in zip(self.w, x, strict=True)), self.b)
        else:
            act = _weighted_sum(self.w, x, self.b)
        return act.relu() if self.nonlin else act

    def parameters(self) -> list[Value]:
        """The weights, then the bias: ``nin + 1`` Values."""
        return [*self.w, self.b]

    def __repr__(self) -> str:
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"


def _weighted_sum(w: list[Value], x: list[Value], b: Value) -> Value:
    """One node for ``b + w0*x0 + w1*x1 + ...``, summed in that order (micrograd's)."""
    total = b.data
    edges: list[Any] = []
    for wi, xi in zip(w, x, strict=True):
        a, c = wi.data, xi.data
        total = total + a * c
        edges += (wi, c, xi, a)  # d/dw_i = x_i, d/dx_i = w_i
    edges += (b, 1.0)
    return _node(total, _neuron_op(len(w)), tuple(edges))


class Layer(Module):
    """``nout`` neurons that read the same inputs.

    Parameters
    ----------
    nin, nout : int
        Inputs per neuron, and the number of neurons.
    **kwargs
        Passed to each `Neuron` (``nonlin``, ``composed``).

    Attributes
    ----------
    neurons : list of Neuron

    Examples
    --------
    >>> Layer(3, 2, nonlin=False)
    Layer of [LinearNeuron(3), LinearNeuron(3)]
    """

    def __init__(self, nin: int, nout: int, **kwargs: Any) -> None:
        nout = _count(nout, "nout", "Layer")
        _check_size((_count(nin, "nin", "Layer") + 1) * nout, f"Layer({nin}, {nout})")
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        """Each neuron's output: a list, or a single Value for a layer of one neuron (as in
        micrograd, so that an MLP ending in one neuron returns a Value)."""
        # Plain numbers become Values once here, not once per neuron.
        return self._forward(_as_values(x, len(self.neurons[0].w), self._name()))

    def _forward(self, x: list[Value]) -> Value | list[Value]:
        out = [n._forward(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def _name(self) -> str:
        """How error messages name the layer (its repr can be long)."""
        return f"Layer({len(self.neurons[0].w)}, {len(self.neurons)})"

    def parameters(self) -> list[Value]:
        """Every neuron's parameters, neuron by neuron."""
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """A multi-layer perceptron: ReLU layers, then a linear output layer.

    Parameters
    ----------
    nin : int
        The number of inputs.
    nouts : sequence of int
        The size of each layer in turn; the last layer is linear.
    composed : bool, default False
        Build micrograd's node-for-node graph in every neuron (see `Neuron`).

    Attributes
    ----------
    layers : list of Layer

    Examples
    --------
    >>> import random
    >>> random.seed(1337)
    >>> model = MLP(2, [16, 16, 1])
    >>> len(model.parameters())
    337
    >>> MLP(2, [3, 1])
    MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2), ReLUNeuron(2)], Layer of [LinearNeuron(3)]]
    """

    def __init__(self, nin: int, nouts: Sequence[int], *, composed: bool = False) -> None:
        if isinstance(nouts, str | bytes) or not isinstance(nouts, Sequence):
            raise TypeError(
                f"MLP: nouts must be a list of layer sizes such as [16, 16, 1], got "
                f"{type(nouts).__name__}: {nouts!r}"
            )
        if not nouts:
            raise ValueError("MLP: nouts is empty; give at least one layer size, e.g. [1]")
        sizes = [_count(nin, "nin", "MLP")]
        sizes += [_count(n, f"nouts[{i}]", "MLP") for i, n in enumerate(nouts)]
        n_params = sum((a + 1) * b for a, b in itertools.pairwise(sizes))
        _check_size(n_params, f"MLP({sizes[0]}, {sizes[1:]})")
        self.layers = [
            Layer(sizes[i], sizes[i + 1], nonlin=i != len(nouts) - 1, composed=composed)
            for i in range(len(nouts))
        ]

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        """The network's output for the inputs ``x``: a Value when the last layer has one
        neuron, else a list of Values."""
        sizes = [len(layer.neurons) for layer in self.layers]
        name = f"MLP({len(self.layers[0].neurons[0].w)}, {sizes})"
        out: Value | list[Value] = _as_values(x, len(self.layers[0].neurons[0].w), name)
        for layer in self.layers:
            # A hidden layer of one neuron returns a Value; the next layer reads a list.
            out = layer._forward([out] if isinstance(out, Value) else out)
        return out

    def parameters(self) -> list[Value]:
        """Every layer's parameters, layer by layer."""
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
