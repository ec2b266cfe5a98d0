"""Exercises of notebook 10: the solutions pass, every typical mistake is rejected with a message."""
import pytest

from helpers import checks
from helpers.exercises import nb10  # noqa: F401  (registers the exercises)

IDS = ("10.1", "10.2", "10.3")


@pytest.mark.parametrize("exercise_id", IDS)
def test_solution_passes(exercise_id):
    spec = checks.exercise(exercise_id)
    assert checks.check(exercise_id, spec.solution).passed


@pytest.mark.parametrize("exercise_id, index", [(i, k) for i in IDS for k in range(3)])
def test_wrong_answers_are_rejected_with_a_reason(exercise_id, index):
    spec = checks.exercise(exercise_id)
    result = checks.check(exercise_id, spec.wrong_answers[index])
    assert not result.passed and result.attempted
    assert "Hint" in result.message and len(result.message) > len("Hint: ") + len(spec.hint)


@pytest.mark.parametrize("exercise_id", IDS)
def test_stubs_and_broken_answers_do_not_crash(exercise_id):
    def stub(*args, **kwargs):
        raise NotImplementedError

    assert not checks.check(exercise_id, stub).attempted
    assert not checks.check(exercise_id, lambda *a, **k: None).passed
    assert not checks.check(exercise_id, lambda *a, **k: 1 / 0).passed


@pytest.mark.parametrize("exercise_id, mistake, words", [
    ("10.1", nb10._signed, ["absolute"]),
    ("10.1", nb10._unweighted, ["weight each bin"]),
    ("10.1", nb10._with_empty_bins, ["empty bins"]),
    ("10.2", nb10._no_attention, ["attention"]),
    ("10.2", nb10._multiply_adds, ["two flops"]),
    ("10.2", nb10._training_twice, ["3x"]),
])
def test_each_mistake_is_named(exercise_id, mistake, words):
    text = checks.check(exercise_id, mistake).message.lower()
    assert all(word in text for word in words), text


@pytest.mark.parametrize("mistake, words", [
    (nb10._dequantized, ["int8 numbers"]),
    (nb10._truncated, ["round"]),
    (nb10._half_range, ["127.5"]),
])
def test_each_int8_mistake_is_named(mistake, words):
    text = checks.check("10.3", mistake).message.lower()
    assert all(word in text for word in words), text
