"""Bad input to the gradient-accumulation helpers of helpers.training (notebook 06, sections 3 and 7).

One wrong type, one wrong shape and one out-of-range value per public function (``tests/bad_input/bad_input.py``
explains a case); where a kind cannot apply, the reason is in ``NOT_APPLICABLE``. Every call fails
before a model runs.
"""
from __future__ import annotations

import pytest
import torch
from torch import nn

from bad_input import assert_rejects, bad, case_id
from helpers import training
from helpers.device import pick_precision

LINEAR = nn.Linear(2, 2)
CPU = torch.device("cpu")
FP32 = pick_precision(CPU)
BATCH = {"input": torch.ones(2, 2)}

CASES = [
    bad(training.accumulation_groups, "type", "loader", 5, 2),
    bad(training.accumulation_groups, "range", "k", [BATCH], 0),
    bad(training.accumulate_gradients, "type", "group", LINEAR, BATCH, None, CPU, FP32),
    bad(training.accumulate_gradients, "shape", "group", LINEAR, [{"input": torch.tensor(1.0)}], None, CPU, FP32),
    bad(training.accumulate_gradients, "range", "group", LINEAR, [], None, CPU, FP32),
    bad(training.accumulate_gradients, "range", "pieces", LINEAR, [BATCH], None, CPU, FP32, 0),
    bad(training.accumulate_gradients, "type", "precision", LINEAR, [BATCH], None, CPU, "bf16"),
]

NOT_APPLICABLE: dict[str, dict[str, str]] = {
    "training.accumulation_groups": {"shape": "takes any iterable of batches; it only counts them"},
}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_is_rejected_with_a_useful_message(case):
    assert_rejects(case)
