"""Bad input to the gradient-accumulation helpers of helpers.training (notebook 06, sections 3 and 7), and to
the forward pass they share with prediction (helpers.inference, and autocast/to_device in helpers.device).

One wrong type, one wrong shape and one out-of-range value per public function (``tests/bad_input/bad_input.py``
explains a case); where a kind cannot apply, the reason is in ``NOT_APPLICABLE``. Every call fails
before a model runs.
"""
from __future__ import annotations

import pytest
import torch
from torch import nn

from bad_input import assert_rejects, bad, case_id
from helpers import device, inference, training
from helpers.course import validation
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
    bad(device.autocast, "type", "device", "cpu", FP32),
    bad(device.autocast, "type", "precision", CPU, "bf16"),
    bad(device.to_device, "type", "batch", [torch.ones(2)], CPU),
    bad(device.to_device, "type", "device", BATCH, 0),
    bad(inference.forward_batches, "type", "model", "bert", [BATCH], lambda batch, out: out),
    bad(inference.forward_batches, "type", "batches", LINEAR, BATCH, lambda batch, out: out),
    bad(inference.forward_batches, "type", "keep", LINEAR, [BATCH], "logits"),
    bad(inference.forward_batches, "type", "leave_out", LINEAR, [BATCH], lambda batch, out: out, leave_out="labels"),
    bad(validation.require_instance, "type", "config", "config", {"epochs": 1}, training.TrainConfig, "a TrainConfig(...)"),
]

NOT_APPLICABLE: dict[str, dict[str, str]] = {
    "training.accumulation_groups": {"shape": "takes any iterable of batches; it only counts them"},
    "device.autocast": {"shape": "takes a device and a Precision record", "range": "every device and Precision is valid"},
    "device.to_device": {"shape": "moves tensors of any shape", "range": "any mapping of tensors, even an empty one"},
    "course.validation.require_instance": {"shape": "checks a value's type only", "range": "checks a value's type only"},
    "inference.forward_batches": {"shape": "batches are the model's own inputs, checked by the model",
                                  "range": "any number of batches is valid (none gives an empty list)"},
}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_is_rejected_with_a_useful_message(case):
    assert_rejects(case)
