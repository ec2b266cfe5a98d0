"""helpers.quantization: int8 by hand against PyTorch's packed weights, sizes, and outputs that barely move."""
import pytest
import torch
from torch import nn

import tiny_models

from helpers.quantization import dynamic_int8, int8_symmetric, saved_bytes


def test_int8_by_hand_matches_torchs_dynamic_weights():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 4))
    small = dynamic_int8(model)
    for fp32, int8 in ((model[0], small[0]), (model[2], small[2])):
        q, scale = int8_symmetric(fp32.weight.detach())
        packed = int8.weight()  # torch's quantized weight
        assert packed.q_scale() == pytest.approx(scale, rel=1e-6) and packed.q_zero_point() == 0
        assert torch.equal(packed.int_repr(), q)
        assert (fp32.weight - scale * q.float()).abs().max() <= scale / 2 + 1e-7  # error at most s / 2


def test_the_original_is_untouched_and_the_copy_is_close():
    model = tiny_models.tiny_bert(num_labels=2, hidden_size=32, layers=2, heads=2).eval()
    weight = model.classifier.weight.clone()
    small = dynamic_int8(model)
    assert torch.equal(model.classifier.weight, weight) and isinstance(model.classifier, nn.Linear)
    assert type(small.classifier).__name__ == "Linear" and small.classifier.__module__.startswith("torch.ao")
    ids = torch.randint(0, 30, (4, 10))
    with torch.no_grad():
        a, b = model(input_ids=ids).logits, small(input_ids=ids).logits
    assert (a - b).abs().max() < 0.05 * a.abs().max() + 1e-3


def test_linear_weights_shrink_about_four_times():
    model = nn.Sequential(nn.Linear(256, 256), nn.Linear(256, 256))
    ratio = saved_bytes(model) / saved_bytes(dynamic_int8(model))
    assert 3.3 < ratio < 4.1  # 4 bytes -> 1 per weight; biases, scales and the file's framing stay


def test_scale_of_a_zero_weight_is_not_zero():
    q, scale = int8_symmetric(torch.zeros(3, 3))
    assert scale > 0 and torch.equal(q, torch.zeros(3, 3, dtype=torch.int8))
