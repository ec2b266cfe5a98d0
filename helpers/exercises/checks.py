"""Exercise checkers: tell the learner what is wrong and give a hint, never the answer.

Each exercise is registered once (in ``helpers/exercises/nbXX.py``) with a checker,
a hint, the solution and a few typical wrong answers (which the tests prove the
checker rejects). In a notebook::

    checks.check("01.2", causal_mask)   # -> ✅ / ❌ / ✏️ with a one-line message
    checks.solution("01.2")             # shows the solution's code, when asked for

A checker never crashes on a broken answer: an exception inside the learner's
function, ``None`` or a wrong type are reported as a message.
"""
from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from ..course.errors import TutorialError
from ..course.validation import require_callable, require_str

# A checker returns None when the answer is right, else a sentence saying what is wrong.
Checker = Callable[[Any], "str | None"]


@dataclass(frozen=True)
class Exercise:
    """One exercise of a notebook: its id, checker, hint, solution and the wrong answers its checker rejects.

    Not taught: course machinery, used by helpers.exercises.nb01 and others.
    """
    id: str  # "NN.k": notebook NN, exercise k
    title: str
    checker: Checker
    hint: str
    solution: Callable[..., Any]
    wrong_answers: tuple[Callable[..., Any], ...] = field(default=())

    def __post_init__(self) -> None:
        require_str("id", self.id)
        if not re.fullmatch(r"\d\d\.\d+", self.id):
            raise ValueError(f"id must look like 'NN.k' (notebook NN, exercise k), got {self.id!r}")
        require_str("title", self.title)
        require_callable("checker", self.checker)
        require_str("hint", self.hint)
        require_callable("solution", self.solution)
        if not isinstance(self.wrong_answers, tuple):
            raise TypeError(f"wrong_answers must be a tuple of functions, got {type(self.wrong_answers).__name__}")
        for wrong in self.wrong_answers:
            require_callable("wrong_answers", wrong)


class UnknownExercise(TutorialError, KeyError):
    """An exercise id that no notebook registered."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


@dataclass(frozen=True)
class CheckResult:
    """The verdict of a check: which exercise, whether it passed, and the message the learner reads.

    Not taught: course machinery.
    """
    exercise: str
    passed: bool
    message: str
    attempted: bool = True

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        icon = "✅" if self.passed else ("❌" if self.attempted else "✏️")
        return f"{icon} Exercise {self.exercise}: {self.message}"


REGISTRY: dict[str, Exercise] = {}


def register(exercise: Exercise) -> Exercise:
    """Add an exercise to the registry (once per id).

    Not taught: course machinery, used by helpers.exercises.nb01 and others.
    """
    if not isinstance(exercise, Exercise):
        raise TypeError(f"exercise must be a checks.Exercise, got {type(exercise).__name__}")
    if exercise.id in REGISTRY and REGISTRY[exercise.id] is not exercise:
        raise ValueError(f"exercise {exercise.id} is registered twice: an id must be registered once, "
                         f"got a second Exercise with it")
    REGISTRY[exercise.id] = exercise
    return exercise


def exercise(exercise_id: str) -> Exercise:
    """The registered exercise with this id ("NN.k").

    Not taught: course machinery.
    """
    from .. import exercises  # noqa: F401  (importing registers every notebook's exercises)

    require_str("exercise_id", exercise_id)
    if exercise_id not in REGISTRY:
        raise UnknownExercise(f"no exercise {exercise_id!r}; known: {', '.join(sorted(REGISTRY))} "
                              f"(exercise_id must be one of them, got {exercise_id!r})")
    return REGISTRY[exercise_id]


def check(exercise_id: str, answer: Any) -> CheckResult:
    """Run an exercise's checker on the learner's answer and say what, if anything, is wrong.

    Taught in: notebook 01, section 8.
    """
    spec = exercise(exercise_id)
    try:
        problem = spec.checker(answer)
    except NotImplementedError:
        return CheckResult(exercise_id, False, "not attempted yet: replace `raise NotImplementedError` "
                           f"with your code, then run this cell again. Hint: {spec.hint}", attempted=False)
    except Exception as error:  # the learner's code failed: report it, don't crash
        return CheckResult(exercise_id, False, f"your code raised {type(error).__name__}: {error}. "
                           f"Hint: {spec.hint}")
    if problem is None:
        return CheckResult(exercise_id, True, f"correct: {spec.title}.")
    return CheckResult(exercise_id, False, f"{problem} Hint: {spec.hint}")


def solution(exercise_id: str) -> Callable[..., Any]:
    """Show the solution's code (asked for on purpose) and return the function.

    Taught in: notebook 01, section 8.
    """
    spec = exercise(exercise_id)
    source = inspect.getsource(spec.solution)
    try:
        from IPython.display import Code, display

        display(Code(source, language="python"))
    except ImportError:
        print(source)
    return spec.solution


def returned(value: Any, expected_type: type, what: str) -> str | None:
    """A message when an answer is not of the expected type (None is named explicitly).

    Not taught: course machinery, used by helpers.exercises.nb01 and others.
    """
    if not isinstance(expected_type, type):
        raise TypeError(f"expected_type must be a type such as torch.Tensor, got {expected_type!r}")
    require_str("what", what)
    if value is None:
        return f"{what} returned None: did you forget a `return`?"
    if not isinstance(value, expected_type):
        got, wanted = type(value).__name__, expected_type.__name__
        return f"{what} returned {_article(got)} {got}, expected {_article(wanted)} {wanted}."
    return None


def _article(noun: str) -> str:
    return "an" if noun[:1].lower() in "aeiou" else "a"
