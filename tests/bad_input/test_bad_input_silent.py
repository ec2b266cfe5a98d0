"""Bad input that used to be silently accepted or to fail cryptically (issue 16): each case now gets one
sentence naming the argument (or row, window, question) and what was expected, or the reference's answer
(SciPy's spearmanr for NaN, sacreBLEU's brevity penalty, the official SQuAD v1.1 script's 0 for a
question without a prediction)."""
from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr
from transformers import BertConfig, BertForMaskedLM

from helpers import attribution, metrics, objectives, qa, seq2seq_metrics
from helpers.course import validation

# --- require_strings: None is an item like any other ------------------------------------------------


@pytest.mark.parametrize("items", [["a", None], [None], ("a", "b", None)])
def test_require_strings_rejects_none_items(items):
    with pytest.raises(TypeError, match=r"texts must hold only strings, got None at position \d"):
        validation.require_strings("texts", items)


@pytest.mark.parametrize("call, argument", [
    (lambda: seq2seq_metrics.rouge_scores(["a b", None], ["a", "b"]), "hypotheses"),
    (lambda: seq2seq_metrics.rouge_scores(["a b", "c"], ["a", None]), "references"),
    (lambda: seq2seq_metrics.mean_words(["a b", None]), "texts"),
    (lambda: seq2seq_metrics.translation_scores(["a", None], ["a", "b"]), "hypotheses"),
    (lambda: metrics.classification_metrics([0, 1], [0, 1], names=["ham", None]), "names"),
])
def test_callers_of_require_strings_name_the_none(call, argument):
    with pytest.raises(TypeError, match=rf"^{argument} must hold only strings, got None at position 1"):
        call()


def test_require_strings_still_accepts_strings():
    assert validation.require_strings("texts", ("a", "", "b")) == ["a", "", "b"]


# --- SQuAD references and predictions -------------------------------------------------------------------

GOOD = {"id": "q1", "answers": {"text": ["Denver Broncos"], "answer_start": [0]}}


@pytest.mark.parametrize("row, missing", [
    ({"answers": {"text": ["x"]}}, "id"),
    ({"id": "q2"}, "answers"),
])
def test_squad_rows_missing_a_field_are_named(row, missing):
    with pytest.raises(ValueError) as info:
        metrics.squad_scores({"q1": "x", "q2": "y"}, [GOOD, row])
    message = str(info.value)
    assert "row 1" in message and repr(missing) in message, message
    assert "'answers': {'text': [" in message, message  # the expected schema


def test_squad_json_style_answers_are_named_with_the_expected_schema():
    row = {"id": "q2", "answers": [{"text": "Denver", "answer_start": 0}]}
    with pytest.raises(ValueError) as info:
        metrics.squad_scores({"q1": "x", "q2": "Denver"}, [GOOD, row])
    message = str(info.value)
    assert "row 1" in message and "'q2'" in message and "a list" in message, message
    assert "'answers': {'text': [" in message, message


def test_a_question_without_prediction_is_named_with_the_official_rule():
    with pytest.raises(ValueError) as info:
        metrics.squad_scores({"q1": "x"}, [GOOD, {"id": "q2", "answers": {"text": ["y"]}}])
    message = str(info.value)
    assert "'q2'" in message and "scores it 0" in message and '""' in message, message


def _official_v11(dataset_rows, predictions):
    """The official SQuAD v1.1 evaluate() on flat rows (same normalisation as normalize_answer)."""
    def f1(prediction, truth):
        p, g = metrics.normalize_answer(prediction).split(), metrics.normalize_answer(truth).split()
        common = sum((Counter(p) & Counter(g)).values())
        if common == 0:
            return 0
        precision, recall = common / len(p), common / len(g)
        return 2 * precision * recall / (precision + recall)

    em = f1_total = total = 0
    for row in dataset_rows:
        total += 1
        if row["id"] not in predictions:  # "Unanswered question ... will receive score 0."
            continue
        golds = row["answers"]["text"]
        em += max(metrics.normalize_answer(predictions[row["id"]]) == metrics.normalize_answer(g) for g in golds)
        f1_total += max(f1(predictions[row["id"]], g) for g in golds)
    return {"exact_match": 100.0 * em / total, "f1": 100.0 * f1_total / total}


def test_an_empty_prediction_scores_as_the_official_script_scores_a_missing_one():
    rows = [GOOD, {"id": "q2", "answers": {"text": ["Santa Clara, California"]}},
            {"id": "q3", "answers": {"text": ["2016"]}}]
    predictions = {"q1": "the Denver Broncos", "q2": "Santa Clara"}  # q3 unanswered
    official = _official_v11(rows, predictions)
    ours = metrics.squad_scores({**predictions, "q3": ""}, rows)
    assert official["exact_match"] == pytest.approx(100 / 3)  # q1 only
    assert ours == pytest.approx(official)


# --- perplexity ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("loss", [1000.0, torch.tensor(1000.0), 710.0])
def test_perplexity_of_a_huge_loss_is_inf(loss):
    assert objectives.perplexity(loss) == math.inf


def test_perplexity_below_the_overflow_is_unchanged():
    assert objectives.perplexity(709.0) == math.exp(709.0)
    assert objectives.perplexity(2.0) == math.exp(2.0)


# --- rank correlation -------------------------------------------------------------------------------------


@pytest.mark.parametrize("a, b", [
    ([1.0, 2.0, float("nan"), 4.0], [1.0, 2.0, 3.0, 4.0]),
    ([3.0, 1.0, 2.0, 5.0], [1.0, float("nan"), 2.0, 0.0]),
])
def test_rank_correlation_with_nan_is_nan_like_scipy(a, b):
    assert math.isnan(spearmanr(a, b).statistic)
    assert math.isnan(attribution.rank_correlation(a, b))


def test_rank_correlation_without_nan_equals_scipy():
    a, b = [3.0, 1.0, 2.0, 5.0, 2.0], [1.0, 0.5, 2.0, 0.0, 7.0]
    assert attribution.rank_correlation(a, b) == pytest.approx(spearmanr(a, b).statistic)


# --- QA post-processing ----------------------------------------------------------------------------------

EXAMPLES = {"id": ["a"], "context": ["hello world"]}
OFFSETS = [None, (0, 5), (6, 11)]


def test_postprocess_names_a_window_of_an_unknown_question():
    features = {"example_id": ["a", "zzz"], "offset_mapping": [OFFSETS, OFFSETS]}
    logits = np.array([[0.0, 5.0, 1.0], [0.0, 9.0, 1.0]])
    with pytest.raises(ValueError, match=r"window 1 .*'zzz'.* not in examples\['id'\]"):
        qa.postprocess(EXAMPLES, features, logits, logits)


def test_postprocess_names_end_logits_with_too_few_rows():
    features = {"example_id": ["a", "a"], "offset_mapping": [OFFSETS, OFFSETS]}
    logits = np.array([[0.0, 5.0, 1.0], [0.0, 9.0, 1.0]])
    with pytest.raises(ValueError, match=r"end_logits must have one row per window \(2\), got 1"):
        qa.postprocess(EXAMPLES, features, logits, logits[:1])


def test_postprocess_names_logits_shorter_than_a_window():
    features = {"example_id": ["a", "a"], "offset_mapping": [OFFSETS, OFFSETS]}
    logits = np.array([[0.0, 5.0], [0.0, 9.0]])
    with pytest.raises(ValueError, match=r"start_logits must have a column for each of window 0's 3 tokens, got 2"):
        qa.postprocess(EXAMPLES, features, logits, logits)


def test_postprocess_still_accepts_padded_logits():
    features = {"example_id": ["a"], "offset_mapping": [OFFSETS]}
    logits = np.array([[0.0, 1.0, 5.0, -np.inf]])  # padded one column past the window
    assert qa.postprocess(EXAMPLES, features, logits, logits) == {"a": "world"}


# --- pseudo-perplexity runs in eval mode ----------------------------------------------------------------


def _dropout_bert():
    torch.manual_seed(0)
    return BertForMaskedLM(BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                      intermediate_size=32, max_position_embeddings=16,
                                      hidden_dropout_prob=0.5, attention_probs_dropout_prob=0.5))


def test_pseudo_perplexity_runs_in_eval_mode_and_restores_the_mode():
    model = _dropout_bert()
    ids = torch.tensor([[2, 10, 11, 12, 13, 3]])  # (N, T)
    special = torch.tensor([[True, False, False, False, False, True]])
    expected = objectives.pseudo_perplexity(model.eval(), ids, special, mask_token_id=4)
    model.train()
    assert objectives.pseudo_perplexity(model, ids, special, mask_token_id=4) == expected  # no dropout
    assert model.training  # the caller's mode is back
    scores = objectives._pseudo_log_likelihoods(model, ids[0], special[0], mask_token_id=4)
    assert model.training
    model.eval()
    torch.testing.assert_close(scores, objectives._pseudo_log_likelihoods(model, ids[0], special[0], 4))
    assert not model.training


# --- brevity penalty --------------------------------------------------------------------------------------


@pytest.mark.parametrize("c, r", [(0, 0), (0, 5), (3, 5), (5, 5), (7, 5)])
def test_brevity_penalty_equals_sacrebleu(c, r):
    from sacrebleu.metrics.bleu import BLEU

    reference = BLEU.compute_bleu(correct=[0] * 4, total=[0] * 4, sys_len=c, ref_len=r).bp
    assert seq2seq_metrics.brevity_penalty(c, r) == reference


def test_brevity_penalty_of_two_empty_texts_is_one():
    assert seq2seq_metrics.brevity_penalty(0, 0) == 1.0


@pytest.mark.parametrize("answers", [
    [{"text": "me", "answer_start": 6}],  # the SQuAD JSON's list of dicts
    {"text": ["me"]},  # no answer_start
])  # {"text": [], "answer_start": []} is valid: an unanswerable SQuAD v2 question, labelled [CLS]
def test_train_features_name_answers_outside_the_squad_schema(answers):
    examples = {"id": ["a", "b"], "question": ["Who?", "Who?"], "context": ["It is me.", "It is me."],
                "answers": [{"text": ["me"], "answer_start": [6]}, answers]}
    with pytest.raises(ValueError, match=r"examples\['answers'\] must hold dicts of lists, .* in row 1$"):
        qa.prepare_train_features(examples, tokenizer=None, max_length=64, stride=16)
