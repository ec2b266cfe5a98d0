"""Bad input to the QA helpers (helpers.qa, qa_data, qa_baselines and the SQuAD metrics): each call names
the argument, what it got and what it expects, and fails before any model or file is touched."""
from __future__ import annotations

import numpy as np
import pytest
from torch import nn

from bad_input import assert_rejects, bad, case_id
from helpers import metrics, qa, qa_baselines
from helpers.data import qa as qa_data
from helpers.training import TrainConfig

OFFSETS = [(0, 0), (0, 3), (0, 0), (0, 2), (3, 5), (0, 0)]
IDS = [None, 0, None, 1, 1, None]
EXAMPLES = {"id": ["a"], "question": ["Who?"], "context": ["It is me."],
            "answers": [{"text": ["me"], "answer_start": [6]}]}
UNEVEN = {**EXAMPLES, "context": ["It is me.", "And you."]}
FEATURES = {"input_ids": [[101, 5, 102]], "attention_mask": [[1, 1, 1]], "start_positions": [0],
            "end_positions": [0], "example_id": ["a"], "offset_mapping": [[None, (0, 2), None]]}
UNEVEN_FEATURES = {**FEATURES, "attention_mask": [[1, 1, 1], [1, 1, 1]]}
LOGITS = np.zeros((1, 3))
MODEL = nn.Linear(2, 2)
CONFIG = TrainConfig(progress=False)
REFERENCES = [{"id": "a", "answers": {"text": ["me"], "answer_start": [6]}}]

CASES = [
    bad(qa.char_to_token_span, "type", "start_char", OFFSETS, IDS, "3", 5),
    bad(qa.char_to_token_span, "shape", "offsets", OFFSETS[:2], IDS, 0, 2),
    bad(qa.char_to_token_span, "range", "start_char", OFFSETS, IDS, -1, 2),
    bad(qa.prepare_train_features, "type", "examples", "Who? It is me.", None, 64, 16),
    bad(qa.prepare_train_features, "shape", "examples", UNEVEN, None, 64, 16),
    bad(qa.prepare_train_features, "range", "max_length", EXAMPLES, None, 4, 0),
    bad(qa.prepare_eval_features, "type", "examples", ["Who?"], None, 64, 16),
    bad(qa.prepare_eval_features, "shape", "examples", UNEVEN, None, 64, 16),
    bad(qa.prepare_eval_features, "range", "stride", EXAMPLES, None, 64, 40),
    bad(qa.predict_logits, "type", "features", MODEL, [[101, 102]], None),
    bad(qa.predict_logits, "shape", "features", MODEL, UNEVEN_FEATURES, None),
    bad(qa.predict_logits, "range", "batch_size", MODEL, FEATURES, list, batch_size=0),
    bad(qa.best_spans, "type", "offsets", LOGITS[0], LOGITS[0], "0-3"),
    bad(qa.best_spans, "shape", "start_logits", LOGITS, LOGITS, [None] * 3),
    bad(qa.best_spans, "range", "n_best", LOGITS[0], LOGITS[0], [None] * 3, n_best=0),
    bad(qa.postprocess, "type", "examples", "It is me.", FEATURES, LOGITS, LOGITS),
    bad(qa.postprocess, "shape", "start_logits", EXAMPLES, FEATURES, np.zeros((2, 3)), np.zeros((2, 3))),
    bad(qa.postprocess, "range", "max_answer_tokens", EXAMPLES, FEATURES, LOGITS, LOGITS, max_answer_tokens=0),
    bad(qa.train_qa, "type", "features", MODEL, [[101, 102]], CONFIG, None),
    bad(qa.train_qa, "shape", "features", MODEL, UNEVEN_FEATURES, CONFIG, None),
    bad(qa.error_category, "type", "prediction", 500, ["500"]),
    bad(qa.error_category, "shape", "golds", "500", []),
    bad(qa_data.questions_from_sentence, "type", "sentence", ["Sydney is big."]),
    bad(qa_data.passages, "type", "article", 42),
    bad(qa_data.passages, "range", "max_words", "A sentence. Another one.", max_words=3),
    bad(qa_data.question_kinds, "type", "split", 1),
    bad(qa_data.question_kinds, "range", "split", "test"),
    bad(qa_data.load_qa, "type", "identifier", None),
    bad(qa_data.load_qa, "range", "identifier", ""),
    bad(qa_baselines.first_noun_phrase, "type", "question", None, "Some context."),
    bad(qa_baselines.first_noun_phrase, "range", "context", "Who?", "   "),
    bad(qa_baselines.overlap_window, "type", "context", "Who?", ["Some context."]),
    bad(qa_baselines.overlap_window, "range", "context", "Who?", ""),
    bad(qa_baselines.cloze_alignment, "type", "question", 3, "Some context."),
    bad(qa_baselines.cloze_alignment, "range", "context", "Who?", " "),
    bad(metrics.normalize_answer, "type", "text", None),
    bad(metrics.exact_match, "type", "prediction", 1, "1"),
    bad(metrics.token_f1, "type", "gold", "1", ["1"]),
    bad(metrics.squad_example_scores, "type", "predictions", ["me"], REFERENCES),
    bad(metrics.squad_example_scores, "shape", "references", {"a": "me"},
        [{"id": "a", "answers": {"text": [], "answer_start": []}}]),
    bad(metrics.squad_example_scores, "range", "predictions", {"b": "me"}, REFERENCES),
    bad(metrics.squad_scores, "type", "references", {"a": "me"}, "a"),
    bad(metrics.squad_scores, "shape", "references", {"a": "me"}, [{"id": "a", "answers": {"text": "me"}}]),
    bad(metrics.squad_scores, "range", "references", {"a": "me"}, []),
]

NOT_APPLICABLE: dict[str, dict[str, str]] = {
    "qa.train_qa": {"range": "its numbers come in a TrainConfig, which checks them itself"},
    "qa.error_category": {"range": "it takes strings only: no numeric argument"},
    "data.qa.questions_from_sentence": {"shape": "takes one string", "range": "any string is valid"},
    "data.qa.passages": {"shape": "takes one string"},
    "data.qa.question_kinds": {"shape": "takes a split name"},
    "data.qa.load_qa": {"shape": "takes a name"},
    "data.qa.squad_features": {"type": "takes no argument", "shape": "takes no argument",
                               "range": "takes no argument"},
    "qa_baselines.first_noun_phrase": {"shape": "takes two strings"},
    "qa_baselines.overlap_window": {"shape": "takes two strings"},
    "qa_baselines.cloze_alignment": {"shape": "takes two strings"},
    "metrics.normalize_answer": {"shape": "takes one string", "range": "any string is valid"},
    "metrics.exact_match": {"shape": "takes two strings", "range": "any strings are valid"},
    "metrics.token_f1": {"shape": "takes two strings", "range": "any strings are valid"},
}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_is_rejected_with_a_useful_message(case):
    assert_rejects(case)
