"""Bad input to helpers.playgrounds.freezing (notebook 05, section 5): each call names the argument,
what it got and what it expects, before any count is taken (``tests/bad_input/bad_input.py``)."""
from __future__ import annotations

import pytest
from torch import nn

from bad_input import assert_rejects, bad, case_id
from tiny_models import tiny_bert
from helpers.playgrounds import freezing as playground

BERT = tiny_bert(layers=2, num_labels=2)

CASES = [
    bad(playground.freezing_view, "type", "strategy", BERT, 3),
    bad(playground.freezing_view, "shape", "measured", BERT, "freeze bottom k", 1, {"freeze bottom 1": 0.9}),
    bad(playground.freezing_view, "range", "frozen_layers", BERT, "freeze bottom k", 3),
    bad(playground.freezing_view, "range", "decay", BERT, "layer-wise LR decay", 1, decay=0.0),
    bad(playground.freezing_html, "type", "view", "freeze bottom 4"),
    bad(playground.freezing_playground, "type", "model", nn.Linear(2, 2)),
    bad(playground.freezing_playground, "shape", "measured", BERT, {"freeze bottom 1": [91.0]}, frozen_layers=1),
    bad(playground.freezing_playground, "range", "frozen_layers", BERT, frozen_layers=-1),
]

NOT_APPLICABLE: dict[str, dict[str, str]] = {
    "playgrounds.freezing.freezing_html": {"shape": "takes one FreezingView record, which freezing_view builds whole",
                                           "range": "takes one FreezingView record, which freezing_view builds whole"},
}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_is_rejected_with_a_useful_message(case):
    assert_rejects(case)
