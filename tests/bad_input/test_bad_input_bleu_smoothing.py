"""Bad input for BLEU's smoothing helpers (notebook 07, section 6): each case names the argument and what it expects."""
from __future__ import annotations

import pytest

from bad_input import assert_rejects, bad, case_id
from helpers import seq2seq_metrics

CASES = [
    bad(seq2seq_metrics.smoothed_precisions, "type", "matches[1]", [1, 0.5], [2, 2]),
    bad(seq2seq_metrics.smoothed_precisions, "shape", "totals", [1, 0], [2]),
    bad(seq2seq_metrics.smoothed_precisions, "range", "totals[0]", [3], [2]),  # more matches than n-grams
    bad(seq2seq_metrics.smoothed_precisions, "range", "smooth_method", [1], [1], "floor"),
    bad(seq2seq_metrics.corpus_bleu_by_hand, "type", "hypotheses", "the cat", "the cat"),
    bad(seq2seq_metrics.corpus_bleu_by_hand, "shape", "references", ["a", "b"], ["a"]),
    bad(seq2seq_metrics.corpus_bleu_by_hand, "range", "smooth_method", ["a"], ["a"], smooth_method="add-k"),
    bad(seq2seq_metrics.corpus_bleu_by_hand, "range", "max_order", ["a"], ["a"], max_order=0),
    bad(seq2seq_metrics.translation_scores, "range", "smooth_method", ["a"], ["a"], smooth_method="floor"),
    bad(seq2seq_metrics.bleu_details, "range", "smooth_method", ["a"], ["a"], smooth_method="EXP"),
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_is_named(case):
    assert_rejects(case)
