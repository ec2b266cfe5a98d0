"""Bad input to the position playground (notebook 02, section 5): each call names the argument it rejects."""
from __future__ import annotations

import pytest

from bad_input import assert_rejects, bad, case_id
from helpers.playgrounds import encoder

CASES = [
    bad(encoder.position_view, "type", "offset", 2.5),
    bad(encoder.position_view, "range", "offset", 65),
    bad(encoder.position_view, "type", "d_model", d_model="128"),
    bad(encoder.position_view, "shape", "d_model", d_model=15),
    bad(encoder.position_view, "range", "d_model", d_model=0),
    bad(encoder.position_html, "type", "view", None),
    bad(encoder.encoder_playground, "type", "offset", offset=None),
    bad(encoder.encoder_playground, "shape", "d_model", d_model=127),
    bad(encoder.encoder_playground, "range", "offset", offset=-1),
]

NOT_APPLICABLE: dict[str, dict[str, str]] = {
    "playgrounds.encoder.position_html": {"shape": "takes one PositionView, built with consistent shapes",
                                          "range": "takes one PositionView; its values were checked when built"},
}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_is_rejected_with_a_useful_message(case):
    assert_rejects(case)
