"""Bad input to helpers.data.translation.english_key (notebook 07, section 2: the form in which two English
strings count as one, for de-duplication and the check that no held-out string is a training input).

One wrong type; the shape and range kinds cannot apply, the reasons are in ``NOT_APPLICABLE``.
"""
from __future__ import annotations

import pytest

from bad_input import assert_rejects, bad, case_id
from helpers.data import translation

CASES = [
    bad(translation.english_key, "type", "text", 5),
    bad(translation.english_key, "type", "text", ["Save"]),
]

NOT_APPLICABLE: dict[str, dict[str, str]] = {
    "data.translation.english_key": {"shape": "takes one text", "range": "any text is valid (empty gives empty)"},
}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_is_rejected_with_a_useful_message(case):
    assert_rejects(case)
