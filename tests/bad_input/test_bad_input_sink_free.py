"""Bad input to the sink-free head-pattern helpers of notebook 03 (``tests/bad_input/bad_input.py`` explains a case)."""
from __future__ import annotations

import pytest
import torch

from bad_input import assert_rejects, bad, case_id
from helpers import bert_inspect

TOKENS = ["[CLS]", "a", "b", "[SEP]"]
FOUND = bert_inspect.sink_free_scores(torch.full((1, 2, 4, 4), 1 / 4), TOKENS)


def _tokenizer(*args, **kwargs):  # a stand-in: every case fails before a tokenizer is used
    raise AssertionError("the tokenizer must not be reached")


MODEL = torch.nn.Linear(2, 2)  # a stand-in model: a module with a .config
MODEL.config = type("Config", (), {"_attn_implementation": "eager", "hidden_size": 2})()


CASES = [
    bad(bert_inspect.sink_free_scores, "type", "tokens", torch.full((1, 1, 4, 4), 1 / 4), "abcd"),
    bad(bert_inspect.sink_free_scores, "shape", "attention", torch.full((1, 1, 3, 3), 1 / 3), TOKENS),
    bad(bert_inspect.sink_free_scores, "range", "tokens", torch.full((1, 1, 3, 3), 1 / 3), ["[CLS]", "a", "[SEP]"]),
    bad(bert_inspect.sink_free_scores_for_texts, "type", "texts", MODEL, _tokenizer, "one text"),
    bad(bert_inspect.sink_free_scores_for_texts, "range", "texts", MODEL, _tokenizer, []),
    bad(bert_inspect.sink_free_heads, "type", "found", bert_inspect.head_pattern_scores(
        torch.full((1, 2, 4, 4), 1 / 4), TOKENS)),
    bad(bert_inspect.sink_free_heads, "range", "max_sink", FOUND, max_sink=0.0),
    bad(bert_inspect.sink_free_heads, "range", "max_sink", FOUND, max_sink=0.1),  # every head gives the sink 1/2
]

NOT_APPLICABLE: dict[str, dict[str, str]] = {
    "bert_inspect.sink_free_scores_for_texts": {"shape": "takes text, which has no shape"},
    "bert_inspect.sink_free_heads": {"shape": "a SinkFreeScores was checked when it was made"},
}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_is_rejected_with_a_useful_message(case):
    assert_rejects(case)
