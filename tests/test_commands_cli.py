"""The CLI's one place for errors: every error type that input can reach becomes one line
and exit 2, Ctrl-C exit 130, a bug keeps its traceback; exit statuses in every --help."""

import io
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from micrograd_lr import Value
from micrograd_lr.cli import (
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    build_parser,
    main,
    run_command,
    user_error_message,
)
from micrograd_lr.errors import (
    DataError,
    DomainError,
    GraphTooLargeError,
    GraphvizNotFoundError,
    Interrupted,
    UsageError,
)


def raising(error):
    def body():
        raise error

    return body


def deep_recursion(n=0):
    return deep_recursion(n + 1)


def run(body):
    err = io.StringIO()
    code = run_command("grad", body, stderr=err)
    return code, err.getvalue()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (raising(UsageError("bad x")), "bad x"),
        (lambda: Value(-1.0).log(), "log"),
        (raising(DomainError("log of -1")), "log of -1"),
        (raising(DataError("data.csv, line 3: two cells")), "data.csv, line 3"),
        (raising(GraphTooLargeError("the graph has 900 nodes")), "900 nodes"),
        (raising(GraphvizNotFoundError("no dot")), "no dot"),
        (lambda: 1.0 / 0.0, "division by zero"),
        (lambda: 10.0**400, "overflow"),
        (lambda: np.linalg.inv(np.zeros((2, 2))), "Singular matrix"),
        (lambda: np.exp(np.array([1000.0])), "numerical problem: overflow encountered in exp"),
        (lambda: np.log(np.array([0.0])), "numerical problem: divide by zero"),
        (raising(MemoryError()), "out of memory"),
        (deep_recursion, "nested too deeply"),
        (
            lambda: Path("/nonexistent/x.csv").read_text(),
            "cannot read or write '/nonexistent/x.csv'",
        ),
        (raising(ValueError("the learning rate must be positive, got nan")), "got nan"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(body, message):
    code, err = run(body)
    assert code == EXIT_USAGE
    assert err.startswith("micrograd-lr grad: error: ") and err.count("\n") == 1
    assert message in err


@pytest.mark.parametrize("error", [TypeError("bug"), AttributeError("bug"), KeyError("k")])
def test_bugs_keep_their_traceback(error):
    assert user_error_message(error) is None
    with pytest.raises(type(error)):
        run(raising(error))


def test_the_debug_variable_shows_the_traceback(monkeypatch):
    monkeypatch.setenv("MICROGRAD_LR_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        run(lambda: 1.0 / 0.0)


def test_ctrl_c_is_one_line_and_exit_130():
    assert run(raising(KeyboardInterrupt())) == (
        EXIT_INTERRUPTED,
        "micrograd-lr grad: interrupted\n",
    )
    code, err = run(raising(Interrupted("at iteration 3 of 10, cost 0.5")))
    assert (code, err) == (130, "micrograd-lr grad: interrupted: at iteration 3 of 10, cost 0.5\n")


def test_the_status_of_the_body_is_returned_and_warnings_are_restored():
    assert run(lambda: 1) == (1, "")
    assert run(lambda: None) == (0, "")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        warnings.warn("after", RuntimeWarning, stacklevel=1)
    assert len(seen) == 1  # run_command's "error" filter did not leak out


@pytest.mark.parametrize("command", ["grad", "draw", "demo", None])
def test_every_help_lists_the_exit_statuses(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"] if command else ["--help"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0
    epilog = out[out.index("exit status:") :].splitlines()
    codes = [line.split()[0] for line in epilog[1:] if line.startswith("  ") and line[2] != " "]
    assert codes[0] == "0" and codes[-3:] == ["2", "130", "141"]
    assert ("1" in codes) == (command != "draw")  # draw checks nothing on request


def test_every_registered_command_has_an_exit_status_epilog():
    subparsers = next(a for a in build_parser()._actions if a.dest == "command")
    missing = [
        name
        for name, parser in subparsers.choices.items()
        if "exit status:" not in (parser.epilog or "")
    ]
    assert missing == []


@pytest.mark.parametrize("command", ["grad", "draw"])
def test_an_unknown_option_is_not_taken_for_a_formula(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "x*x", "x=1", "--bogus"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert "unrecognized arguments: --bogus; see micrograd-lr" in err
    assert "starts with -" not in err


def test_a_reader_that_stops_early_ends_the_command_silently():
    """``micrograd-lr grad ... | head -1`` printed "cannot read or write 'a file': Broken pipe"."""
    child = subprocess.Popen(
        [sys.executable, "-m", "micrograd_lr", "grad", "a*b", "a=1", "b=2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=Path(__file__).parents[1],
    )
    child.stdout.close()  # before the child prints anything
    _, err = child.communicate(timeout=60)
    assert (child.returncode, err) == (141, b"")


def test_an_unknown_option_is_one_line_naming_the_subcommands_help(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["grad", "x", "x=1", "--bogus"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert err == (
        "micrograd-lr grad: error: unrecognized arguments: --bogus; see micrograd-lr grad --help\n"
    )


@pytest.mark.parametrize(
    "argv",
    [["grad"], ["train", "--engine"], ["nosuchcommand"], ["draw", "a", "--timeout"], []],
)
def test_argument_errors_are_one_line_exit_2(capsys, argv):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1 and "usage:" not in err
    assert err.startswith("micrograd-lr") and "--help" in err
