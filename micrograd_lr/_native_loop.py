"""The loop behind `micrograd_lr.native`, compiled by Numba on first use and cached on disk
(a module of its own: importing it imports Numba, which the rest of the package does not
need, and Numba caches module-level functions across processes, not closures)."""

import math

import numba

from .native import CODES

ADD, SUB, MUL, DIV, POW = CODES["add"], CODES["sub"], CODES["mul"], CODES["div"], CODES["pow"]
NEG, ABS, EXP, LOG, TANH = CODES["neg"], CODES["abs"], CODES["exp"], CODES["log"], CODES["tanh"]
SIGMOID, RELU = CODES["sigmoid"], CODES["relu"]


@numba.njit(cache=True, nogil=True)
def sigmoid(z: float) -> float:
    """engine._stable_sigmoid: exp never sees a large positive argument."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@numba.njit(cache=True, nogil=True)
def replay(code, left, right, left_k, right_k, values, grads, backward):
    """Forward over ``values`` (leaves filled in), then, if ``backward``, the gradients into
    ``grads`` (all 0.0 on entry). Returns -1, or the position of the first node where the
    engine would raise or its numbers leave the finite floats (the caller asks the engine)."""
    n = code.size
    for i in range(n):
        c = code[i]
        if c == 0:
            continue
        a = values[left[i]] if left[i] >= 0 else left_k[i]
        b = values[right[i]] if right[i] >= 0 else right_k[i]
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
            # negative power and a negative base to a fractional power have no real value.
            if (right[i] >= 0 and a <= 0) or (a == 0 and b < 0):
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
        else:  # RELU; NaN is not <= 0 (and is caught below)
            v = 0.0 if a <= 0 else a
        if not math.isfinite(v):
            return i
        values[i] = v
    if not backward:
        return -1
    grads[n - 1] = 1.0
    for i in range(n - 1, -1, -1):  # the engine's backward order
        c = code[i]
        if c == 0:
            continue
        g = grads[i]
        out = values[i]
        a = values[left[i]] if left[i] >= 0 else left_k[i]
        b = values[right[i]] if right[i] >= 0 else right_k[i]
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
            if right[i] >= 0:
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
        else:  # RELU
            da = 1.0 if a > 0 else 0.0
        if not (math.isfinite(da) and math.isfinite(db)):
            return i
        # Shares in operand order, each added to a sum that started at 0.0, as
        # Value.backward adds them.
        if left[i] >= 0:
            grads[left[i]] += da * g
        if right[i] >= 0:
            grads[right[i]] += db * g
    return -1
