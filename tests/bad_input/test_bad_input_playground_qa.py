"""Bad input to helpers.playgrounds.qa (notebook 08, section 6): a wrong type, a shape that does not fit
and an out-of-range value for the view, its HTML and the builder. Every call fails before the model runs."""
from __future__ import annotations

import pytest
from torch import nn

from bad_input import assert_rejects, bad, case_id
from helpers.playgrounds import qa as qa_playgrounds


def _tokenizer(*args, **kwargs):  # a stand-in: every case fails before a tokenizer is used
    raise AssertionError("the tokenizer must not be reached")


_tokenizer.batch_decode = _tokenizer
MODEL = nn.Linear(2, 2)  # never run: every case fails first
WINDOWS = {"max_length": 64, "stride": 16}
Q, C = "Who?", "Ann met Bob."

CASES = [
    bad(qa_playgrounds.qa_view, "type", "question", 3, C, MODEL, _tokenizer, **WINDOWS),
    bad(qa_playgrounds.qa_view, "type", "model", Q, C, "bert", _tokenizer, **WINDOWS),
    bad(qa_playgrounds.qa_view, "shape", "context", Q, "   ", MODEL, _tokenizer, **WINDOWS),
    bad(qa_playgrounds.qa_view, "range", "top_k", Q, C, MODEL, _tokenizer, top_k=0, **WINDOWS),
    bad(qa_playgrounds.qa_html, "type", "view", {"answer": "Bob"}),
    bad(qa_playgrounds.qa_playground, "type", "tokenizer", MODEL, "bert", **WINDOWS),
    bad(qa_playgrounds.qa_playground, "shape", "question", MODEL, _tokenizer, question="", **WINDOWS),
    bad(qa_playgrounds.qa_playground, "range", "stride", MODEL, _tokenizer, max_length=64, stride=32),
    bad(qa_playgrounds.qa_playground, "range", "max_length", MODEL, _tokenizer, max_length=8, stride=0),
]

NOT_APPLICABLE: dict[str, dict[str, str]] = {
    "playgrounds.qa.qa_html": {"shape": "takes one QAView record, which qa_view builds whole",
                               "range": "takes one QAView record; its numbers come from qa_view"},
}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_is_rejected_with_a_useful_message(case):
    assert_rejects(case)
