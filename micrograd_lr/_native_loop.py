"""The loop behind `micrograd_lr.native`, compiled by Numba on first use and cached on disk
(a module of its own: importing it imports Numba, which the rest of the package does not
need, and Numba caches module-level functions across processes, not closures)."""

import math

import numba

from .native import CODES

ADD, SUB, MUL, DIV, POW = CODES["add"], CODES["sub"], CODES["mul"], CODES["div"], CODES["pow"]
NEG, ABS, EXP, LOG, TANH = CODES["neg"], CODES["abs"], CODES["exp"], CODES["log"], CODES["tanh"]
SIGMOID, RELU, LOGLOSS = CODES["sigmoid"], CODES["relu"], CODES["logloss"]
LINEAR, MEAN, NEURON = CODES["linear"], CODES["mean"], CODES["neuron"]


@numba.njit(cache=True, nogil=True)
def sigmoid(z: float) -> float:
    """engine._stable_sigmoid: exp never sees a large positive argument."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@numba.njit(cache=True, nogil=True)
def forward(code, start, operand, number, coefficient, values):
    """Each node's value into ``values`` (leaves filled in). Returns -1, or the position of
    the first node where the engine would raise or its value is not finite."""
    for i in range(code.size):
        c = code[i]
        if c == 0:
            continue
        s, e = start[i], start[i + 1]
        if c >= LINEAR:  # any number of operands, all nodes
            if c == LINEAR:  # ((w0 x0 + w1 x1) + ...) + b, as fused.linear sums
                v = values[operand[s]] * coefficient[s]
                for j in range(s + 1, e - 1):
                    v = v + values[operand[j]] * coefficient[j]
                v = v + values[operand[e - 1]]
            elif c == MEAN:  # (x0 + x1 + ...) / k, left to right
                v = values[operand[s]]
                for j in range(s + 1, e):
                    v = v + values[operand[j]]
                v = v / (e - s)
            else:  # NEURON: b + w0 x0 + w1 x1 + ..., micrograd's order
                v = values[operand[e - 1]]
                for j in range(s, e - 1, 2):
                    v = v + values[operand[j]] * values[operand[j + 1]]
        else:
            a = values[operand[s]] if operand[s] >= 0 else number[s]
            b = 0.0
            if e - s > 1:
                b = values[operand[s + 1]] if operand[s + 1] >= 0 else number[s + 1]
            if c == ADD:
                v = a + b
            elif c == SUB:
                v = a - b
            elif c == MUL:
                v = a * b
            elif c == DIV:
                if b == 0:
                    return i
                v = a / b
            elif c == POW:
                # The engine's domain checks: a Value exponent needs a positive base; 0 to a
                # negative power and a negative base to a fractional power have no value.
                if (e - s > 1 and operand[s + 1] >= 0 and a <= 0) or (a == 0 and b < 0):
                    return i
                if a < 0 and b != math.floor(b):
                    return i
                v = a**b
            elif c == NEG:
                v = -a
            elif c == ABS:
                v = abs(a)
            elif c == EXP:
                v = math.exp(a)
            elif c == LOG:
                if a <= 0:
                    return i
                v = math.log(a)
            elif c == TANH:
                v = math.tanh(a)
            elif c == SIGMOID:
                v = sigmoid(a)
            elif c == RELU:  # NaN is not <= 0 (and is caught below)
                v = 0.0 if a <= 0 else a
            else:  # LOGLOSS: max(z, 0.0) - y z + log1p(exp(-|z|)), Python's max
                v = (0.0 if a < 0.0 else a) - b * a + math.log1p(math.exp(-abs(a)))
        if not math.isfinite(v):
            return i
        values[i] = v
    return -1


@numba.njit(cache=True, nogil=True)
def backward(code, start, operand, number, coefficient, values, grads):
    """The gradients into ``grads`` (all 0.0 on entry), in the engine's order: nodes from
    the root down, each node's operands in written order, each share added to a sum that
    started at 0.0, as Value.backward adds them. Returns -1, or the position of the first
    node whose local derivative is not finite (the engine has it)."""
    n = code.size
    grads[n - 1] = 1.0
    for i in range(n - 1, -1, -1):
        c = code[i]
        if c == 0:
            continue
        g = grads[i]
        s, e = start[i], start[i + 1]
        if c >= LINEAR:
            if c == NEURON:  # d/dw_i = x_i, d/dx_i = w_i, d/db = 1
                for j in range(s, e - 1, 2):
                    w, x = operand[j], operand[j + 1]
                    grads[w] += values[x] * g
                    grads[x] += values[w] * g
                grads[operand[e - 1]] += 1.0 * g
            else:  # LINEAR, MEAN: the rules are the node's numbers
                for j in range(s, e):
                    grads[operand[j]] += coefficient[j] * g
            continue
        out = values[i]
        a = values[operand[s]] if operand[s] >= 0 else number[s]
        b = 0.0
        if e - s > 1:
            b = values[operand[s + 1]] if operand[s + 1] >= 0 else number[s + 1]
        # The local derivatives: the engine's rules, in its own arithmetic.
        db = 0.0
        if c == ADD:
            da, db = 1.0, 1.0
        elif c == SUB:
            da, db = 1.0, -1.0
        elif c == MUL:
            da, db = b, a
        elif c == DIV:
            da, db = 1 / b, -out / b
        elif c == POW:
            if b == 0:
                da = 0.0
            elif 0 < b < 1 and a == 0:
                return i  # the limit, +inf: the engine has it
            else:
                da = b * a ** (b - 1)
            if e - s > 1 and operand[s + 1] >= 0:
                db = out * math.log(a)
        elif c == NEG:
            da = -1.0
        elif c == ABS:
            da = 1.0 if a > 0 else -1.0 if a < 0 else 0.0
        elif c == EXP:
            da = out
        elif c == LOG:
            da = 1 / a
        elif c == TANH:
            da = 1 - out * out
        elif c == SIGMOID:
            da = out * sigmoid(-a)
        elif c == RELU:
            da = 1.0 if a > 0 else 0.0
        else:  # LOGLOSS (the label b is a folded number: no gradient)
            da = -sigmoid(-a) if b == 1 else sigmoid(a) - b
        if not (math.isfinite(da) and math.isfinite(db)):
            return i
        if operand[s] >= 0:
            grads[operand[s]] += da * g
        if e - s > 1 and operand[s + 1] >= 0:
            grads[operand[s + 1]] += db * g
    return -1


@numba.njit(cache=True, nogil=True)
def replay(code, start, operand, number, coefficient, values, grads, with_backward):
    """`forward`, then (if ``with_backward``) `backward`: -1, or where either stopped."""
    failed = forward(code, start, operand, number, coefficient, values)
    if failed >= 0 or not with_backward:
        return failed
    return backward(code, start, operand, number, coefficient, values, grads)
