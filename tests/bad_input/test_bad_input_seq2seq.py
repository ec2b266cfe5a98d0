"""Bad input to helpers.seq2seq.trainer_arguments (notebooks 07, section 7, and 09, section 5).

One wrong type and one out-of-range value (``tests/bad_input/bad_input.py`` explains a case); the shape kind
cannot apply, the reason is in ``NOT_APPLICABLE``. Every call fails before TrainingArguments is built.
The other seq2seq helpers' cases are in ``tests/bad_input/test_bad_input_core.py``.
"""
from __future__ import annotations

import pytest

from bad_input import assert_rejects, bad, case_id
from helpers import seq2seq

GOOD = dict(output_dir="unused", learning_rate=1e-3, batch_size=2, max_steps=4)

CASES = [
    bad(seq2seq.trainer_arguments, "type", "output_dir", **{**GOOD, "output_dir": 5}),
    bad(seq2seq.trainer_arguments, "type", "learning_rate", **{**GOOD, "learning_rate": "fast"}),
    bad(seq2seq.trainer_arguments, "range", "max_steps", **{**GOOD, "max_steps": 0}),
    bad(seq2seq.trainer_arguments, "range", "warmup_fraction", **{**GOOD, "warmup_fraction": 1.5}),
]

NOT_APPLICABLE: dict[str, dict[str, str]] = {
    "seq2seq.trainer_arguments": {"shape": "takes numbers and a folder name; nothing has a shape"},
}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_is_rejected_with_a_useful_message(case):
    assert_rejects(case)
