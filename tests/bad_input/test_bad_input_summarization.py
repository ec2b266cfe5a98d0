"""Bad input to helpers.data.summarization.cap_splits and data_name (notebook 09, section 1).

A wrong type, a caps mapping that does not fit the splits, and an out-of-range cap (``tests/bad_input/bad_input.py``
explains a case); data_name takes one string, so the shape kind cannot apply (``NOT_APPLICABLE``). Every call
fails before any row is selected. The other summarization_data helpers' cases are in
``tests/bad_input/test_bad_input_core.py``.
"""
from __future__ import annotations

import pytest
from datasets import Dataset, DatasetDict

from bad_input import assert_rejects, bad, case_id
from helpers.data import summarization as summarization_data

SPLITS = DatasetDict({name: Dataset.from_dict({"document": ["A document."] * 4, "summary": ["A summary."] * 4})
                      for name in ("train", "validation", "test")})

CASES = [
    bad(summarization_data.cap_splits, "type", "data", SPLITS["train"], {"train": 2}),
    bad(summarization_data.cap_splits, "type", "caps", SPLITS, [("train", 2)]),
    bad(summarization_data.cap_splits, "shape", "caps", SPLITS, {"tset": 2}),  # a split data does not have
    bad(summarization_data.cap_splits, "range", "caps", SPLITS, {"train": -1}),
    bad(summarization_data.cap_splits, "range", "seed", SPLITS, {"train": 2}, seed=-1),
    bad(summarization_data.data_name, "type", "identifier", None),
    bad(summarization_data.data_name, "range", "identifier", " "),
]

NOT_APPLICABLE: dict[str, dict[str, str]] = {
    "data.summarization.data_name": {"shape": "takes one identifier string; nothing has a shape"},
}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_is_rejected_with_a_useful_message(case):
    assert_rejects(case)
