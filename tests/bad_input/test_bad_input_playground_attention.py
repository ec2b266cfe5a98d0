"""Bad input to the attention playground (notebook 01, section 5): each call names the argument it rejects."""
from __future__ import annotations

import pytest

from bad_input import assert_rejects, bad, case_id
from helpers.playgrounds import attention

CASES = [
    bad(attention.attention_view, "type", "d_k", 16.5),
    bad(attention.attention_view, "range", "d_k", 0),
    bad(attention.attention_view, "type", "temperature", temperature="hot"),
    bad(attention.attention_view, "range", "temperature", temperature=0.0),
    bad(attention.attention_view, "range", "mask", mask="diagonal"),
    bad(attention.attention_view, "type", "scaled", scaled="yes"),
    bad(attention.attention_html, "type", "view", {"weights": None}),
    bad(attention.attention_playground, "type", "mask", mask=None),
    bad(attention.attention_playground, "range", "temperature", temperature=50.0),
]

NOT_APPLICABLE: dict[str, dict[str, str]] = {
    "playgrounds.attention.attention_view": {"shape": "takes scalars and a mask name; the tokens are fixed"},
    "playgrounds.attention.attention_html": {"shape": "takes one AttentionView, built with consistent shapes",
                                             "range": "takes one AttentionView; its values were checked when built"},
    "playgrounds.attention.attention_playground": {"shape": "takes scalars and a mask name; the tokens are fixed"},
}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_is_rejected_with_a_useful_message(case):
    assert_rejects(case)
