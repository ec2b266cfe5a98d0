"""Bad input to the helpers notebook 05 added in issue 16: ``freezing.head_inputs`` and ``data.text_noun``.

Same shape as ``tests/bad_input/test_bad_input_core.py`` (see ``tests/bad_input/bad_input.py``): each call names the
argument, what it got and what it expects, and fails before any model runs.
"""
from __future__ import annotations

import pytest
from torch import nn

from bad_input import assert_rejects, bad, case_id
from tiny_models import tiny_bert
from helpers import freezing
from helpers.data import classification as data

BERT = tiny_bert(vocab_size=20, hidden_size=8, layers=2, num_labels=2)
ROWS = [{"input_ids": [1, 2, 3], "attention_mask": [1, 1, 1], "label": 0}]


def _collate(rows):  # never reached: every case fails first
    raise AssertionError("collate_fn must not be reached")


CASES = [
    bad(freezing.head_inputs, "type", "model", nn.Linear(2, 2), ROWS, _collate),
    bad(freezing.head_inputs, "shape", "dataset", BERT, [], _collate),
    bad(freezing.head_inputs, "range", "batch_size", BERT, ROWS, _collate, batch_size=0),
    bad(data.text_noun, "type", "identifier", 5),
    bad(data.text_noun, "range", "identifier", " "),
]

NOT_APPLICABLE = {
    "data.classification.text_noun": {"shape": "takes one identifier string, which has no shape"},
}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_is_named(case):
    assert_rejects(case)
