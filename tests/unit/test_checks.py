"""Every exercise: its solution passes, its typical wrong answers are rejected, nothing crashes."""
from dataclasses import replace

import pytest

from helpers import checks
from helpers.exercises.checks import CheckResult, Exercise

from helpers import exercises  # noqa: E402,F401  (registers every notebook's exercises)

IDS = sorted(checks.REGISTRY)


def test_every_notebook_exercise_is_registered():
    assert IDS, "no exercises registered"


@pytest.mark.parametrize("exercise_id", IDS)
def test_solution_passes_its_own_check(exercise_id):
    result = checks.check(exercise_id, checks.exercise(exercise_id).solution)
    assert result.passed, result.message


@pytest.mark.parametrize("exercise_id", IDS)
def test_typical_wrong_answers_are_rejected_with_a_hint(exercise_id):
    spec = checks.exercise(exercise_id)
    assert spec.wrong_answers, f"exercise {exercise_id} lists no typical wrong answer"
    for wrong in spec.wrong_answers:
        result = checks.check(exercise_id, wrong)
        assert not result.passed, f"{wrong.__name__} was accepted"
        assert result.attempted and "Hint:" in result.message


def _stub(*args, **kwargs):
    raise NotImplementedError


def _crashes(*args, **kwargs):
    raise ZeroDivisionError("division by zero")


def _returns_none(*args, **kwargs):
    return None


def _raises_value_error(*args, **kwargs):
    raise ValueError("learner's bug")


def _returns_wrong_type(*args, **kwargs):
    return {"not": "what any exercise asks for"}


@pytest.mark.parametrize("exercise_id", IDS)
@pytest.mark.parametrize("answer", [_stub, _crashes, _raises_value_error, _returns_none, _returns_wrong_type,
                                    None, 42, "text"])
def test_broken_answers_are_reported_not_raised(exercise_id, answer):
    result = checks.check(exercise_id, answer)
    assert isinstance(result, CheckResult) and not result.passed
    assert result.message
    if answer is _stub:
        assert not result.attempted and "not attempted yet" in result.message
    if answer is _crashes:
        assert "raised ZeroDivisionError: division by zero" in result.message
    if answer is not _stub:
        assert result.attempted and "Hint:" in result.message


@pytest.mark.parametrize("exercise_id", IDS)
def test_a_checker_that_itself_breaks_is_reported_too(exercise_id, monkeypatch):
    """Even a checker bug (it raises on an odd answer) reaches the learner as a message, not a traceback."""
    spec = checks.exercise(exercise_id)

    def broken_checker(answer):
        raise ValueError("checker could not use this answer")

    monkeypatch.setitem(checks.REGISTRY, exercise_id, replace(spec, checker=broken_checker))
    result = checks.check(exercise_id, spec.solution)
    assert not result.passed and "ValueError" in result.message and "Hint:" in result.message


def test_exercise_records_are_checked_when_registered():
    with pytest.raises(ValueError, match="id must look like 'NN.k'"):
        Exercise("1", "demo", lambda answer: None, "none", _stub)
    with pytest.raises(TypeError, match="checker must be callable"):
        Exercise("00.1", "demo", None, "none", _stub)


def test_result_reads_well():
    assert repr(CheckResult("01.1", True, "correct: x.")) == "✅ Exercise 01.1: correct: x."
    assert repr(CheckResult("01.1", False, "no.", attempted=False)).startswith("✏️")
    assert not CheckResult("01.1", False, "no.")


def test_unknown_exercise_lists_known_ones():
    with pytest.raises(KeyError, match="no exercise '99.9'; known: "):
        checks.check("99.9", _stub)


def test_registering_twice_is_an_error():
    spec = Exercise("00.0", "demo", lambda answer: None, "none", _stub)
    checks.register(spec)
    try:
        with pytest.raises(ValueError, match="registered twice"):
            checks.register(Exercise("00.0", "other", lambda answer: None, "none", _stub))
    finally:
        del checks.REGISTRY["00.0"]


def test_solution_shows_source(capsys):
    exercise_id = IDS[0]
    returned = checks.solution(exercise_id)
    assert returned is checks.exercise(exercise_id).solution
    assert f"def {returned.__name__}" in capsys.readouterr().out
