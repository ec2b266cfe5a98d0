"""BLEU by hand equals sacreBLEU; the wrappers equal the libraries; notebook 07/09 metric exercises."""
import math

import pytest
import sacrebleu
from rouge_score import rouge_scorer

from helpers import checks
from helpers.seq2seq_metrics import (MetricInputError, _clipped_matches, _ngram_counts, _tokenize, bleu_by_hand,
                                     bleu_details, brevity_penalty, corpus_bleu_by_hand, mean_words, rouge_scores,
                                     smoothed_precisions, translation_scores)

PAIRS = [
    ("The cat sat on the mat today, quietly.", "The cat is sitting on the mat today, quietly."),
    ("Zorg ervoor dat deze waarde maximaal X tekens bevat.", "Zorg ervoor dat deze waarde hoogstens X tekens bevat."),
    ("the cat", "the cat sat on the mat"),  # shorter than 3 tokens: sacreBLEU's effective order
    ("a b c d e", "x y z"),  # no match at all
    ("the the the the the the the", "the cat is on the mat"),  # clipping
    ("Voer een geldige waarde in.", "Voer een geldige waarde in."),  # identical
]


@pytest.mark.parametrize("hypothesis,reference", PAIRS)
@pytest.mark.parametrize("tokenizer", ["13a", "none", "char"])
def test_bleu_by_hand_equals_sacrebleu(hypothesis, reference, tokenizer):
    mine = bleu_by_hand(hypothesis, reference, tokenizer=tokenizer)
    theirs = sacrebleu.sentence_bleu(hypothesis, [reference], smooth_method="none", tokenize=tokenizer)
    assert math.isclose(mine["bleu"], theirs.score, abs_tol=1e-9)
    assert math.isclose(mine["bp"], theirs.bp, abs_tol=1e-12)
    assert (mine["hyp_len"], mine["ref_len"]) == (theirs.sys_len, theirs.ref_len)


def test_ngram_counts_and_clipping_by_hand():
    hyp, ref = "the the the cat".split(), "the cat the".split()
    assert _ngram_counts(hyp, 1) == {("the",): 3, ("cat",): 1}
    assert _ngram_counts(hyp, 2) == {("the", "the"): 2, ("the", "cat"): 1}
    assert _clipped_matches(hyp, ref, 1) == (3, 4)  # 'the' clipped at 2 + 'cat'
    assert _clipped_matches(hyp, ref, 2) == (1, 3)  # only 'the cat'


@pytest.mark.parametrize("c,r,expected", [(10, 5, 1.0), (5, 5, 1.0), (5, 10, math.exp(-1)), (0, 3, 0.0),
                                          (4, 6, math.exp(1 - 6 / 4))])
def test_brevity_penalty(c, r, expected):
    assert math.isclose(brevity_penalty(c, r), expected)


def test_tokenizers_differ_as_documented():
    assert _tokenize("Hello, world.") == ["Hello", ",", "world", "."]
    assert _tokenize("Hello, world.", "none") == ["Hello,", "world."]
    assert _tokenize("中文字", "zh") == ["中", "文", "字"]


def test_translation_scores_equal_sacrebleu_corpus_scores():
    hyps, refs = [p[0] for p in PAIRS], [p[1] for p in PAIRS]
    scores = translation_scores(hyps, refs)
    assert math.isclose(scores["bleu"], sacrebleu.corpus_bleu(hyps, [refs]).score)
    assert math.isclose(scores["chrf"], sacrebleu.corpus_chrf(hyps, [refs]).score)
    details = bleu_details(hyps, refs)
    rebuilt = details["bp"] * math.exp(sum(math.log(p / 100) for p in details["precisions"]) / 4) * 100
    assert math.isclose(rebuilt, details["bleu"], rel_tol=1e-9)
    assert translation_scores(refs, refs) == {"bleu": pytest.approx(100), "chrf": pytest.approx(100)}


# corpora where some n-gram orders have no match at all: smoothing decides the score
CORPORA = {
    "all orders match": PAIRS,
    "orders 3-4 unmatched": [("the cat sat", "the cat is here"), ("a dog ran far away", "a dog is far off")],
    "orders 2-4 unmatched": [("de de de de de de", "de kat zit op de mat"), ("een een een", "een hond")],
    "no match": [("a b c d e", "x y z")],
    "short corpus": [("the cat", "the cat sat")],  # no 3- or 4-grams at all
}


@pytest.mark.parametrize("corpus", CORPORA)
@pytest.mark.parametrize("smooth_method", ["exp", "none"])
@pytest.mark.parametrize("tokenizer", ["13a", "char"])
def test_corpus_bleu_by_hand_equals_sacrebleu(corpus, smooth_method, tokenizer):
    hyps, refs = zip(*CORPORA[corpus])
    mine = corpus_bleu_by_hand(hyps, refs, tokenizer=tokenizer, smooth_method=smooth_method)
    theirs = sacrebleu.corpus_bleu(list(hyps), [list(refs)], tokenize=tokenizer, smooth_method=smooth_method)
    assert math.isclose(mine["bleu"], theirs.score, rel_tol=1e-9, abs_tol=1e-9)
    assert (mine["matches"], mine["totals"]) == (theirs.counts, theirs.totals)
    assert (mine["hyp_len"], mine["ref_len"]) == (theirs.sys_len, theirs.ref_len)
    assert mine["precisions"] == pytest.approx(theirs.precisions, rel=1e-12)  # all 0 when nothing matches
    details = bleu_details(list(hyps), list(refs), tokenizer=tokenizer, smooth_method=smooth_method)
    assert details["bleu"] == theirs.score and details["matches"] == theirs.counts
    assert translation_scores(list(hyps), list(refs), tokenizer, smooth_method)["bleu"] == theirs.score


def test_smoothing_only_changes_corpora_with_an_unmatched_order():
    scores = {name: {method: translation_scores(*map(list, zip(*pairs)), smooth_method=method)["bleu"]
                     for method in ("exp", "none")} for name, pairs in CORPORA.items()}
    assert scores["all orders match"]["exp"] == scores["all orders match"]["none"] > 0
    for name in ("orders 3-4 unmatched", "orders 2-4 unmatched"):  # unsmoothed 0, smoothed well above 0
        assert scores[name]["none"] == 0 and scores[name]["exp"] > 1, (name, scores[name])
    assert scores["no match"] == {"exp": 0, "none": 0}  # nothing to smooth: sacreBLEU's early exit
    # sacreBLEU's default is "exp": our default must be the same
    hyps, refs = map(list, zip(*CORPORA["orders 2-4 unmatched"]))
    assert translation_scores(hyps, refs)["bleu"] == sacrebleu.corpus_bleu(hyps, [refs]).score == scores[
        "orders 2-4 unmatched"]["exp"]


def test_exp_smoothing_by_hand():
    # the k-th order without a match gets 1 / (2^k * total): 1/(2*8), then 1/(4*7)
    assert smoothed_precisions([5, 2, 0, 0], [10, 9, 8, 7]) == [0.5, 2 / 9, 1 / 16, 1 / 28]
    assert smoothed_precisions([5, 2, 0, 0], [10, 9, 8, 7], "none") == [0.5, 2 / 9, 0.0, 0.0]
    assert smoothed_precisions([3, 0, 1, 0], [4, 3, 2, 1]) == [0.75, 1 / 6, 0.5, 1 / 4]  # k counts unmatched orders
    assert smoothed_precisions([2, 1, 0, 0], [2, 1, 0, 0]) == [1.0, 1.0, 0.0, 0.0]  # no n-grams: nothing to smooth
    with pytest.raises(ValueError, match="smooth_method must be one of 'exp', 'none'"):
        smoothed_precisions([1], [1], "floor")
    with pytest.raises(MetricInputError, match="2 matches but 1 totals"):
        smoothed_precisions([1, 0], [1])
    with pytest.raises(ValueError, match=r"totals\[0\] must be an int >= 3"):
        smoothed_precisions([3], [2])


def test_rouge_scores_equal_rouge_score_and_hand_values():
    hyps = ["Returns the number of queued items.", "open the file"]
    refs = ["Return the number of items in the queue.", "close the socket"]
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    got = rouge_scores(hyps, refs)
    for name in ("rouge1", "rouge2", "rougeL"):
        want = sum(scorer.score(r, h)[name].fmeasure for h, r in zip(hyps, refs)) / 2 * 100
        assert math.isclose(got[name], want)
    # by hand, the first pair: R1 P=5/6 R=5/8 (Porter: queued -> queu, queue -> queue); second: P=R=1/3
    f1 = lambda p, r: 2 * p * r / (p + r)
    assert math.isclose(got["rouge1"], 100 * (f1(5 / 6, 5 / 8) + f1(1 / 3, 1 / 3)) / 2)


@pytest.mark.parametrize("scorer_fn", [translation_scores, rouge_scores])
def test_mismatched_or_empty_inputs_say_what_to_do(scorer_fn):
    with pytest.raises(MetricInputError, match="2 hypotheses but 1 references"):
        scorer_fn(["a", "b"], ["a"])
    with pytest.raises(MetricInputError, match="empty"):
        scorer_fn([], [])
    with pytest.raises(MetricInputError, match="not one string"):
        scorer_fn("a b", "a b")


def test_mean_words():
    assert mean_words(["a b", "c d e f"]) == 3 and mean_words([]) == 0


# --- exercises 07.2 and 09.2 -------------------------------------------------------------------

def message(exercise_id, answer):
    result = checks.check(exercise_id, answer)
    assert not result.passed
    return result.message.lower()


@pytest.mark.parametrize("mistake,words", [
    ("_no_clipping", ["clip"]), ("_no_brevity_penalty", ["brevity penalty"]),
    ("_arithmetic_mean", ["geometric"]), ("_zero_to_one", ["0-100"]), ("_penalty_inverted", ["upside down"]),
])
def test_bleu_exercise_names_the_mistake(mistake, words):
    from helpers.exercises import nb07

    text = message("07.2", getattr(nb07, mistake))
    assert all(w in text for w in words), text


def test_bleu_exercise_accepts_the_helper_and_rejects_none():
    assert checks.check("07.2", lambda h, r: bleu_by_hand(" ".join(h), " ".join(r), tokenizer="none")["bleu"]).passed
    assert "none" in message("07.2", lambda h, r: None)


@pytest.mark.parametrize("mistake,words", [
    ("_precision_only", ["precision"]), ("_recall_only", ["recall"]), ("_unclipped", ["at most"]),
    ("_types_not_tokens", ["once"]), ("_percent", ["0-100"]),
])
def test_rouge_exercise_names_the_mistake(mistake, words):
    from helpers.exercises import nb09

    text = message("09.2", getattr(nb09, mistake))
    assert all(w in text for w in words), text


def test_rouge_exercise_accepts_rouge_score_itself():
    scorer = rouge_scorer.RougeScorer(["rouge1"])
    assert checks.check("09.2", lambda h, r: scorer.score(" ".join(r), " ".join(h))["rouge1"].fmeasure).passed
