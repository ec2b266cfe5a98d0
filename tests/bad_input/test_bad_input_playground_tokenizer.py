"""Bad input to the tokenizer playground (notebook 03): the view, its HTML and the builder.

A wrong type (not a tokenizer, not a string, not a view) and a text longer than the playground
draws; every call fails before anything is tokenized.
"""
from __future__ import annotations

import pytest

from bad_input import assert_rejects, bad, case_id
from helpers.playgrounds import tokenizer as playground


def _tokenizer(*args, **kwargs):  # a stand-in fast tokenizer: every case fails before it is called
    raise AssertionError("the tokenizer must not be reached")


_tokenizer.batch_decode = _tokenizer
_tokenizer.is_fast = True

CASES = [
    bad(playground.tokenizer_view, "type", "tokenizer", "a text", "not a tokenizer"),
    bad(playground.tokenizer_view, "type", "text", None, _tokenizer),
    bad(playground.tokenizer_view, "type", "pair", "a text", _tokenizer, pair=["a", "b"]),
    bad(playground.tokenizer_view, "range", "text", "x" * 501, _tokenizer),
    bad(playground.tokenizer_view, "range", "max_characters", "a text", _tokenizer, max_characters=0),
    bad(playground.tokenizer_html, "type", "view", {"tokens": ["[CLS]"]}),
    bad(playground.tokenizer_playground, "type", "tokenizer", None),
    bad(playground.tokenizer_playground, "type", "text", _tokenizer, text=42),
    bad(playground.tokenizer_playground, "range", "pair", _tokenizer, pair="x" * 501),
]

NOT_APPLICABLE: dict[str, dict[str, str]] = {
    "playgrounds.tokenizer.tokenizer_view": {"shape": "takes one text (and one optional second text); any string "
                                                      "is a valid shape"},
    "playgrounds.tokenizer.tokenizer_html": {"shape": "takes one TokenizerView, built consistent by tokenizer_view",
                                             "range": "takes one TokenizerView; it has no numeric argument"},
    "playgrounds.tokenizer.tokenizer_playground": {"shape": "takes one tokenizer and two texts; any string is a "
                                                            "valid shape"},
}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_is_rejected_with_a_useful_message(case):
    assert_rejects(case)


def test_a_slow_tokenizer_is_refused_with_a_reason():
    _tokenizer.is_fast = False
    try:
        message = assert_rejects(bad(playground.tokenizer_view, "type", "tokenizer", "a text", _tokenizer))
    finally:
        _tokenizer.is_fast = True
    assert "fast tokenizer" in message
