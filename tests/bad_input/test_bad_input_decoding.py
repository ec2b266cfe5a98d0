"""Bad input to helpers.decoding (notebook 09, section 7): repetition measures, the length-matched
lead and the decoding sweep.

A wrong type, a shape that does not fit (lists of different lengths, a settings value that is not a
dict of generate() arguments) and an out-of-range n or k (``tests/bad_input/bad_input.py`` explains a
case). Every call fails before any text is generated.
"""
from __future__ import annotations

import pytest

from bad_input import assert_rejects, bad, case_id
from helpers import decoding

CASES = [
    bad(decoding.repeated_ngram_rate, "type", "text", ["a", "b"]),
    bad(decoding.repeated_ngram_rate, "range", "n", "a b a b", n=0),
    bad(decoding.repetition, "type", "texts", "a b a b"),
    bad(decoding.repetition, "shape", "texts", [["a", "b"]]),
    bad(decoding.repetition, "range", "n", ["a b a b"], n=0),
    bad(decoding.lead_words, "type", "document", None, 3),
    bad(decoding.lead_words, "range", "k", "One two three.", 0),
    bad(decoding.length_matched_lead, "type", "documents", "One two.", ["a"]),
    bad(decoding.length_matched_lead, "shape", "like", ["One two.", "Three four."], ["a"]),
    bad(decoding.length_matched_lead, "range", "documents", [], []),
    bad(decoding.decoding_sweep, "type", "settings", None, None, ["A document."], ["A summary."], [("greedy", {})]),
    bad(decoding.decoding_sweep, "shape", "references", None, None, ["A document."], ["A summary.", "Another."],
        {"greedy": {}}),
    bad(decoding.decoding_sweep, "range", "documents", None, None, [], [], {"greedy": {}}),
]

NOT_APPLICABLE: dict[str, dict[str, str]] = {
    "decoding.repeated_ngram_rate": {"shape": "takes one text; any string is a valid shape"},
    "decoding.lead_words": {"shape": "takes one document; any string is a valid shape"},
}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_is_rejected_with_a_useful_message(case):
    assert_rejects(case)
