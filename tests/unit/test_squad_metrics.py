"""SQuAD v1.1 exact match and F1 (helpers.metrics), against hand-computed cases."""
import pytest

from helpers.metrics import exact_match, normalize_answer, squad_example_scores, squad_scores, token_f1


@pytest.mark.parametrize("text,expected", [
    ("The Eiffel Tower", "eiffel tower"),                   # lowercase, article dropped
    ("  an   apple,  a pear!  ", "apple pear"),            # punctuation, articles, spaces
    ("$1,500 (approx.)", "1500 approx"),                    # punctuation inside numbers goes too
    ("theatre anthem", "theatre anthem"),                   # 'the'/'an' inside words stay
    ("A", ""),
    ("U.S.-led", "usled"),
])
def test_normalize_answer_follows_the_official_script(text, expected):
    assert normalize_answer(text) == expected


def test_exact_match_after_normalisation():
    assert exact_match("the Eiffel Tower.", "Eiffel tower") == 1.0
    assert exact_match("Eiffel", "Eiffel Tower") == 0.0


def test_token_f1_by_hand():
    # prediction: "new south wales" (3), gold: "south wales coast" (3), common: south, wales (2)
    assert token_f1("New South Wales", "the South Wales coast") == pytest.approx(2 * (2 / 3) * (2 / 3) / (4 / 3))
    # prediction 1 word, gold 4 words ("the" dropped -> 3): p = 1, r = 1/3, F1 = 0.5
    assert token_f1("Sydney", "the Sydney Harbour Bridge") == pytest.approx(0.5)
    assert token_f1("Melbourne", "Sydney") == 0.0
    assert token_f1("", "Sydney") == 0.0
    # repeated words count as many times as they appear in both
    assert token_f1("very very good", "very good") == pytest.approx(2 * 1 * (2 / 3) / (1 + 2 / 3))


def test_scores_take_the_best_gold_answer_and_average_in_percent():
    references = [
        {"id": "q1", "answers": {"text": ["Denver Broncos", "the Broncos"], "answer_start": [0, 0]}},
        {"id": "q2", "answers": {"text": ["Santa Clara, California"], "answer_start": [0]}},
        {"id": "q3", "answers": {"text": ["1999"], "answer_start": [0]}},
    ]
    predictions = {"q1": "Broncos", "q2": "Santa Clara", "q3": "in 2001"}
    rows = squad_example_scores(predictions, references)
    # q1: EM with "the Broncos" (normalised: broncos); q2: p = 1, r = 2/3 -> F1 0.8; q3: nothing shared
    assert [r["exact_match"] for r in rows] == [1.0, 0.0, 0.0]
    assert [r["f1"] for r in rows] == pytest.approx([1.0, 0.8, 0.0])
    scores = squad_scores(predictions, references)
    assert scores["exact_match"] == pytest.approx(100 / 3)
    assert scores["f1"] == pytest.approx(100 * 1.8 / 3)


def test_missing_predictions_and_bad_golds_are_rejected():
    with pytest.raises(ValueError, match="got none for 'q2'"):
        squad_scores({"q1": "x"}, [{"id": "q1", "answers": {"text": ["x"]}}, {"id": "q2", "answers": {"text": ["y"]}}])
    with pytest.raises(ValueError, match="non-empty list of gold answers"):
        squad_scores({"q1": "x"}, [{"id": "q1", "answers": {"text": []}}])
