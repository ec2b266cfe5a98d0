"""Bad input to ``helpers.data.splits``: each call names the argument, what it got and what it expects.

Same shape as ``tests/bad_input/test_bad_input_core.py`` (see ``tests/bad_input/bad_input.py``); every call fails
before any dataset is built.
"""
from __future__ import annotations

import pytest

from bad_input import assert_rejects, bad, case_id
from helpers.data import splits

CASES = [
    bad(splits.split_indices, "type", "n", "100", 10, 20),
    bad(splits.split_indices, "type", "validation", 100, 0.1, 20),  # a fraction and a count
    bad(splits.split_indices, "shape", "stratify", 10, 0.2, 0.2, stratify=[0, 1] * 4),
    bad(splits.split_indices, "range", "validation", 100, 60, 50),
    bad(splits.split_indices, "range", "validation", 100, 1.5, 0.1),
    bad(splits.split_of, "type", "identifier", 5, {"test": 20}),
    bad(splits.split_of, "range", "percent", "json.dumps", {"test": 80, "validation": 30}),
    bad(splits.to_dataset_dict, "type", "columns", ["a"], {"train": [0]}),
    bad(splits.to_dataset_dict, "shape", "columns", {"text": ["a", "b"], "label": [0]}, {"train": [0]}),
    bad(splits.to_dataset_dict, "range", "splits", {"text": ["a"]}, {"train": [0, 3]}),
]

NOT_APPLICABLE = {
    "data.splits.split_of": {"shape": "takes one id string and a dict of shares"},
}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_is_named(case):
    assert_rejects(case)
