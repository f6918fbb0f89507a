"""The stepper's frames for J = (a-1)(b+c) at a=2, b=3, c=4, worked out by hand; shared by
the frame tests and the browser test."""

from micrograd_lr import Value


def j_course():
    """J = (a - 1)(b + c); the stepper names u = a - 1 and v = b + c."""
    a, b, c = Value(2.0, "a"), Value(3.0, "b"), Value(4.0, "c")
    return (a - 1) * (b + c)


# (node processed, operand receiving, the gradients shown) after each step.
J_FRAMES = [
    (None, None, {}),
    ("J", None, {"J": "1"}),
    ("J", "u", {"J": "1", "u": "7"}),
    ("J", "v", {"J": "1", "u": "7", "v": "1"}),
    ("v", "b", {"J": "1", "u": "7", "v": "1", "b": "1"}),
    ("v", "c", {"J": "1", "u": "7", "v": "1", "b": "1", "c": "1"}),
    ("u", "a", {"J": "1", "u": "7", "v": "1", "b": "1", "c": "1", "a": "7"}),
]

# The line beside the picture at each step (frame 0: how it starts).
J_LINES = [
    "Forward pass",
    "dJ/dJ = 1 (the output's own gradient)",
    "dJ/du = 7 (the local derivative of J = u * v)",
    "dJ/dv = 1 (the local derivative of J = u * v)",
    "dJ/db = dJ/dv * dv/db = 1 * 1 = 1",
    "dJ/dc = dJ/dv * dv/dc = 1 * 1 = 1",
    "dJ/da = dJ/du * du/da = 7 * 1 = 7",
]
