"""Bad input to helpers.playgrounds.classifier (notebook 06, section 8): each call names the argument,
what it got and what it expects, before the model runs (``tests/bad_input/bad_input.py``)."""
from __future__ import annotations

import pytest

from bad_input import assert_rejects, bad, case_id
from tiny_models import tiny_bert
from helpers.playgrounds import classifier as playground


def _tokenizer(*args, **kwargs):  # a stand-in: every case fails before a tokenizer is used
    raise AssertionError("the tokenizer must not be reached")


_tokenizer.batch_decode = _tokenizer
BERT = tiny_bert(num_labels=2)

CASES = [
    bad(playground.classify_view, "type", "text", 5, BERT, _tokenizer),
    bad(playground.classify_view, "range", "text", "   ", BERT, _tokenizer),
    bad(playground.classify_view, "range", "max_length", "free money", BERT, _tokenizer, max_length=1),
    bad(playground.classify_view, "type", "tokenizer", "free money", BERT, "bert-base-uncased"),
    bad(playground.classify_html, "type", "view", "spam"),
    bad(playground.classifier_playground, "type", "model", "bert-base-uncased", _tokenizer),
    bad(playground.classifier_playground, "range", "max_length", BERT, _tokenizer, max_length=0),
]

NOT_APPLICABLE: dict[str, dict[str, str]] = {
    "playgrounds.classifier.classify_view": {"shape": "takes one text; any string is a valid shape"},
    "playgrounds.classifier.classify_html": {"shape": "takes one ClassifyView record, which classify_view builds whole",
                                             "range": "takes one ClassifyView record, which classify_view builds whole"},
    "playgrounds.classifier.classifier_playground": {"shape": "takes one text and one model; any string is a valid shape"},
}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_is_rejected_with_a_useful_message(case):
    assert_rejects(case)
