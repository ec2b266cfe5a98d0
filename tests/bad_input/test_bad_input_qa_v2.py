"""Bad input to notebook 08's SQuAD v2 helpers (helpers.qa_v2), the question variants
(helpers.data.qa_variants) and the pipeline-style reference decoding (helpers.qa_reference)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from bad_input import assert_rejects, bad, case_id
from helpers import qa_reference, qa_v2
from helpers.data import qa_variants

EXAMPLES = {"id": ["a"], "question": ["Who?"], "context": ["It is me."]}
FEATURES = {"input_ids": [[101, 5, 102]], "attention_mask": [[1, 1, 1]], "example_id": ["a"],
            "offset_mapping": [[None, (0, 2), None]]}
LOGITS = np.zeros((1, 3))
CANDIDATES = {"a": qa_v2.Candidate("me", 1.0, 0.0)}
REFERENCES = [{"id": "a", "answers": {"text": ["me"], "answer_start": [6]}}]

CASES = [
    bad(qa_v2.null_candidates, "type", "examples", "It is me.", FEATURES, LOGITS, LOGITS),
    bad(qa_v2.null_candidates, "shape", "start_logits", EXAMPLES, FEATURES, np.zeros((2, 3)), np.zeros((2, 3))),
    bad(qa_v2.null_candidates, "range", "n_best", EXAMPLES, FEATURES, LOGITS, LOGITS, n_best=0),
    bad(qa_v2.answer_or_null, "type", "threshold", CANDIDATES, "0.5"),
    bad(qa_v2.answer_or_null, "shape", "candidates", [("me", 1.0, 0.0)], 0.0),
    bad(qa_v2.answer_or_null, "range", "threshold", CANDIDATES, math.nan),
    bad(qa_v2.v2_exact, "type", "prediction", None, ["me"]),
    bad(qa_v2.v2_exact, "shape", "golds", "me", "me"),
    bad(qa_v2.v2_exact, "range", "golds", "me", ["me", 1]),
    bad(qa_v2.v2_f1, "type", "prediction", 1, ["me"]),
    bad(qa_v2.v2_f1, "shape", "golds", "me", "me"),
    bad(qa_v2.v2_f1, "range", "golds", "me", [None]),
    bad(qa_v2.v2_scores, "type", "predictions", ["me"], REFERENCES),
    bad(qa_v2.v2_scores, "shape", "references", {"a": "me"}, "a"),
    bad(qa_v2.v2_scores, "range", "predictions", {"b": "me"}, REFERENCES),
    bad(qa_v2.best_threshold, "type", "candidates", [("me", 1.0, 0.0)], REFERENCES),
    bad(qa_v2.best_threshold, "shape", "references", CANDIDATES, []),
    bad(qa_v2.best_threshold, "range", "candidates", {"b": CANDIDATES["a"]}, REFERENCES),
    bad(qa_reference.pipeline_style_answers, "type", "examples", "It is me.", FEATURES, LOGITS, LOGITS),
    bad(qa_reference.pipeline_style_answers, "shape", "end_logits", EXAMPLES, FEATURES, LOGITS, np.zeros((2, 3))),
    bad(qa_reference.pipeline_style_answers, "range", "max_answer_tokens", EXAMPLES, FEATURES, LOGITS, LOGITS,
        max_answer_tokens=0),
    bad(qa_variants.paraphrase, "type", "question", ["Who says so?"]),
    bad(qa_variants.paraphrase, "range", "question", "  "),
    bad(qa_variants.question_type, "type", "question_id", 7),
    bad(qa_variants.question_type, "range", "question_id", ""),
    bad(qa_variants.add_unanswerable, "type", "split", REFERENCES),
    bad(qa_variants.add_unanswerable, "range", "every", None, every=0),
]

NOT_APPLICABLE: dict[str, dict[str, str]] = {
    "qa_v2.Candidate": {"type": "a NamedTuple record, built only by null_candidates",
                        "shape": "a NamedTuple record, built only by null_candidates",
                        "range": "a NamedTuple record, built only by null_candidates"},
    "qa_reference.pipeline_available": {"type": "takes no argument", "shape": "takes no argument",
                                        "range": "takes no argument"},
    "data.qa_variants.paraphrase": {"shape": "takes one string"},
    "data.qa_variants.question_type": {"shape": "takes one string"},
    "data.qa_variants.previous_sentence_questions": {"type": "a private building block of the offline set builder",
                                                     "shape": "a private building block of the offline set builder",
                                                     "range": "a private building block of the offline set builder"},
    "data.qa_variants.add_unanswerable": {"shape": "a dataset has no shape to get wrong beyond its type"},
}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_is_rejected_with_a_useful_message(case):
    assert_rejects(case)
