"""The shared shape of a bad-input case: a helper called wrongly must say which argument, what it got, what it expects.

Each ``tests/bad_input/test_bad_input_*.py`` file lists its cases as ``CASES = [bad(...), ...]``
and runs them with ``@pytest.mark.parametrize("case", CASES, ids=case_id)`` and
``assert_rejects(case)``. A coverage test reads every such ``CASES`` list and checks
that each public helper function has a wrong-type, a wrong-shape and an
out-of-range case (or a stated reason why a kind does not apply).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

import pytest

KINDS = ("type", "shape", "range")
# A useful message says what was expected and what came instead.
EXPECTS = re.compile(r"\b(expect|expects|expected|must|should|one of|at least|at most|between|positive|non-negative|needs?)\b", re.I)


@dataclass(frozen=True)
class BadInput:
    function: Callable[..., Any]
    kind: str  # "type" | "shape" | "range"
    argument: str  # the argument the message must name
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    error: type[BaseException] | tuple[type[BaseException], ...] = (TypeError, ValueError)


def bad(function: Callable[..., Any], kind: str, argument: str, *args: Any,
        error: type[BaseException] | tuple[type[BaseException], ...] = (TypeError, ValueError),
        **kwargs: Any) -> BadInput:
    """One wrong call: ``bad(f, "type", "x", "not a tensor")`` calls ``f("not a tensor")``."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return BadInput(function, kind, argument, args, kwargs, error)


def case_id(case: BadInput) -> str:
    return f"{case.function.__module__.removeprefix('helpers.')}.{case.function.__qualname__}-{case.kind}-{case.argument}"


def assert_rejects(case: BadInput) -> str:
    """The call fails with the expected error type, and its message names the argument and what it expects."""
    with pytest.raises(case.error) as info:
        case.function(*case.args, **case.kwargs)
    message = str(info.value)
    assert case.argument in message, f"the message does not name {case.argument!r}: {message!r}"
    assert EXPECTS.search(message), f"the message does not say what is expected: {message!r}"
    assert "got" in message or "found" in message or "is " in message, f"the message does not say what it got: {message!r}"
    return message
