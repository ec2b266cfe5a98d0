"""Bad input to helpers.playgrounds.summarizer (notebook 09, section 7): the summary view, its HTML and the
playground builder.

A wrong type (no model, a settings value that is not a dict of generate() arguments, a view that is not a
SummaryView), a shape that does not fit (a decode dict without max_new_tokens) and a value out of range (an
empty document, a decoding name that is not one of the settings). Every call fails before anything is
generated, so no model is needed (``tests/bad_input/bad_input.py`` explains a case).
"""
from __future__ import annotations

import pytest

from bad_input import assert_rejects, bad, case_id
from helpers.playgrounds import summarizer

SETTINGS = {"greedy": {}, "4 beams, no_repeat 3": {"num_beams": 4, "no_repeat_ngram_size": 3}}
DECODE = {"max_source_length": 64, "max_new_tokens": 24, "prefix": ""}
DOCUMENT = "Return a copy of the list. The items are not copied."

CASES = [
    bad(summarizer.summary_view, "type", "document", None, None, None, settings=SETTINGS, decoding="greedy",
        decode=DECODE),
    bad(summarizer.summary_view, "type", "settings", DOCUMENT, None, None, settings={"greedy": "num_beams=4"},
        decoding="greedy", decode=DECODE),
    bad(summarizer.summary_view, "type", "model", DOCUMENT, None, None, settings=SETTINGS, decoding="greedy",
        decode=DECODE),
    bad(summarizer.summary_view, "shape", "decode", DOCUMENT, None, None, settings=SETTINGS, decoding="greedy",
        decode={"max_source_length": 64}),
    bad(summarizer.summary_view, "range", "document", "   ", None, None, settings=SETTINGS, decoding="greedy",
        decode=DECODE),
    bad(summarizer.summary_view, "range", "decoding", DOCUMENT, None, None, settings=SETTINGS, decoding="beam",
        decode=DECODE),
    bad(summarizer.summary_html, "type", "view", "a summary"),
    bad(summarizer.summarizer_playground, "type", "model", None, None, settings=SETTINGS, decode=DECODE,
        document=DOCUMENT),
    bad(summarizer.summarizer_playground, "type", "decode", None, None, settings=SETTINGS, decode=[64, 24],
        document=DOCUMENT),
    bad(summarizer.summarizer_playground, "shape", "settings", None, None, settings={}, decode=DECODE,
        document=DOCUMENT),
    bad(summarizer.summarizer_playground, "range", "decoding", None, None, settings=SETTINGS, decode=DECODE,
        document=DOCUMENT, decoding="sampling"),
]

NOT_APPLICABLE: dict[str, dict[str, str]] = {
    "playgrounds.summarizer.summary_html": {
        "shape": "takes one SummaryView, which summary_view builds already checked",
        "range": "takes one SummaryView, which summary_view builds already checked"},
}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_is_rejected_with_a_useful_message(case):
    assert_rejects(case)
