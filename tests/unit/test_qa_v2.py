"""helpers.qa_v2: SQuAD v2 scoring against a hand-computed case, the null score, and the threshold search
against a brute-force one."""
from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import qa_v2


def _rows(golds: dict[str, list[str]]) -> list[dict]:
    return [{"id": i, "answers": {"text": g, "answer_start": [0] * len(g)}} for i, g in golds.items()]


def test_v2_scores_match_a_hand_computed_case():
    golds = {"q1": ["New South Wales"], "q2": ["500 residents"], "q3": [], "q4": [], "q5": ["Sydney"]}
    predictions = {"q1": "new south wales", "q2": "500", "q3": "", "q4": "Sydney", "q5": ""}
    scores = qa_v2.v2_scores(predictions, _rows(golds))
    # by hand: EM 1, 0, 1, 0, 0; F1 1, 2/3 (p = 1, r = 1/2), 1, 0, 0
    want = {"exact": 40.0, "f1": 100 * (1 + 2 / 3 + 1) / 5, "HasAns_exact": 100 / 3, "HasAns_f1": 100 * (5 / 3) / 3,
            "NoAns_exact": 50.0, "NoAns_f1": 50.0, "HasAns_total": 3, "NoAns_total": 2}
    assert scores == pytest.approx(want)


def test_a_gold_that_normalises_to_nothing_scores_only_the_empty_prediction():
    assert qa_v2.v2_f1("", ["the"]) == 1.0 and qa_v2.v2_f1("a", ["The"]) == 1.0 and qa_v2.v2_f1("x", ["the"]) == 0.0
    assert qa_v2.v2_exact("", []) == 1.0 and qa_v2.v2_exact("no", []) == 0.0


def test_answerable_only_leaves_out_the_noans_group():
    scores = qa_v2.v2_scores({"q": "Sydney"}, _rows({"q": ["Sydney"]}))
    assert scores["exact"] == 100.0 and "NoAns_exact" not in scores and scores["HasAns_total"] == 1


def test_null_candidates_take_the_smallest_null_and_the_best_span_over_windows():
    examples = {"id": ["a"], "context": ["It is me and you."]}
    offsets = [None, (0, 2), (3, 5), (6, 8), None]
    features = {"example_id": ["a", "a"], "offset_mapping": [offsets, offsets]}
    start = np.array([[3.0, 0, 0, 2, -9], [1.0, 0, 5, 0, -9]])  # window 0: CLS 3+1; window 1: CLS 1+0
    end = np.array([[1.0, 0, 0, 2, -9], [0.0, 0, 4, 0, -9]])
    got = qa_v2.null_candidates(examples, features, start, end, n_best=5, max_answer_tokens=5)["a"]
    assert got.null == 1.0  # min(3 + 1, 1 + 0)
    assert got.score == 9.0 and got.text == "is"  # window 1: tokens 2..2, 5 + 4


def test_answer_or_null_abstains_only_beyond_the_threshold():
    candidates = {"a": qa_v2.Candidate("me", 2.0, 3.0), "b": qa_v2.Candidate("you", 5.0, 1.0)}
    assert qa_v2.answer_or_null(candidates, 0.0) == {"a": "", "b": "you"}
    assert qa_v2.answer_or_null(candidates, 1.0) == {"a": "me", "b": "you"}  # gap 1 is not > 1
    assert qa_v2.answer_or_null(candidates, -math.inf) == {"a": "", "b": ""}


def test_best_threshold_matches_a_brute_force_search():
    rng = np.random.default_rng(0)
    golds = {f"q{i}": ([] if rng.random() < 0.4 else ["the answer"]) for i in range(60)}
    candidates = {i: qa_v2.Candidate("the answer" if rng.random() < 0.7 else "other words",
                                     float(rng.normal()), float(rng.normal() + (1.5 if not g else 0)))
                  for i, g in golds.items()}
    rows = _rows(golds)
    threshold, f1 = qa_v2.best_threshold(candidates, rows)
    tries = [-math.inf] + sorted(c.null - c.score for c in candidates.values())
    brute = max(qa_v2.v2_scores(qa_v2.answer_or_null(candidates, t), rows)["f1"] for t in tries)
    assert f1 == pytest.approx(brute)
    assert qa_v2.v2_scores(qa_v2.answer_or_null(candidates, threshold), rows)["f1"] == pytest.approx(f1)
    never = qa_v2.v2_scores(qa_v2.answer_or_null(candidates, math.inf), rows)["f1"]
    assert f1 > never  # the null score carries signal here, so abstaining sometimes helps


def test_unanswerable_examples_label_every_window_cls():
    from transformers import AutoTokenizer

    from helpers import qa
    from helpers.course import assets

    tokenizer = AutoTokenizer.from_pretrained(str(assets.path("encoder")))
    context = " ".join(["The storm hit the coast of New South Wales on Monday night."] * 12)
    examples = {"id": ["a", "b"], "question": ["Who?", "When did the storm hit?"], "context": [context, context],
                "answers": [{"text": [], "answer_start": []}, {"text": ["Monday"], "answer_start": [context.index("Monday")]}]}
    features = qa.prepare_train_features(examples, tokenizer, max_length=64, stride=16)
    windows_of_a = len(qa.prepare_eval_features({"id": ["a"], "question": ["Who?"], "context": [context]},
                                                tokenizer, 64, 16)["input_ids"])
    assert windows_of_a >= 3
    labels = list(zip(features["start_positions"], features["end_positions"]))
    assert labels[:windows_of_a] == [(qa.CLS_INDEX, qa.CLS_INDEX)] * windows_of_a
    assert any(label != (0, 0) for label in labels[windows_of_a:])  # the answerable one still has its span
