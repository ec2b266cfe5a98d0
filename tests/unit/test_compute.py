"""helpers.compute: FLOPs per token by formula vs FlopCounterMode, memory by formula vs what tensors hold."""
import pytest
import torch
from torch import nn
from transformers import BertModel

import tiny_models

from helpers.compute import (activation_bytes, flops_per_token, matmul_parameters, measure_flops, state_bytes,
                             training_memory)


def tiny_bert() -> BertModel:
    return tiny_models.tiny_bert(BertModel, vocab_size=50, hidden_size=32, layers=2, heads=4, positions=64,
                                 eager=True, model_kwargs={"add_pooling_layer": False}).eval()


def test_a_linear_layer_costs_two_flops_per_weight():
    layer = nn.Linear(8, 5)

    class Wrap(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = layer

        def forward(self, input_ids):
            return (self.layer(input_ids.float()),)

    x = {"input_ids": torch.ones(3, 8)}
    assert matmul_parameters(layer) == 40
    assert measure_flops(Wrap(), x) == 2 * 40 * 3


@pytest.mark.parametrize("length", [8, 24])
def test_formula_matches_the_flop_counter_for_bert(length):
    model = tiny_bert()
    batch = {"input_ids": torch.randint(0, 50, (2, length)), "attention_mask": torch.ones(2, length, dtype=torch.long)}
    n = matmul_parameters(model.encoder)
    assert n == 2 * (4 * 32 * 32 + 2 * 32 * 64)  # per layer: Q, K, V, output; two feed-forward matrices
    formula = flops_per_token(n, 2, length, 32) * 2 * length
    assert measure_flops(model, batch) == formula  # exact: matmuls are all the counter counts
    assert flops_per_token(n, 2, length, 32, training=True) == 3 * flops_per_token(n, 2, length, 32)
    ratio = measure_flops(model, batch, backward=True) / formula
    assert 2.8 < ratio <= 3.0  # backward ~ 2x forward (the first layer's input gradient is all that is missing)
    assert all(p.grad is None for p in model.parameters())


def test_training_memory_formula_matches_adamw_state():
    model = tiny_bert().train()
    total = sum(p.numel() for p in model.parameters())
    memory = training_memory(total)
    assert memory["weights"] == state_bytes(model.state_dict()) - state_bytes(
        {k: v for k, v in model.state_dict().items() if k not in dict(model.named_parameters())})
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    batch = {"input_ids": torch.randint(0, 50, (2, 8))}
    model(**batch).last_hidden_state.sum().backward()
    optimizer.step()
    step_counters = state_bytes([s["step"] for s in optimizer.state.values()])
    assert state_bytes(optimizer.state_dict()) - step_counters == memory["optimizer"]
    assert state_bytes([p.grad for p in model.parameters()]) == memory["gradients"]
    assert memory["total"] == 16 * total
    frozen = training_memory(total, trainable=10, precision="bf16")
    assert frozen == {"weights": 2 * total, "gradients": 20, "optimizer": 80, "total": 2 * total + 100}


def test_activations_grow_linearly_with_the_batch():
    model = tiny_bert()
    one = {"input_ids": torch.randint(0, 50, (2, 16))}
    two = {"input_ids": one["input_ids"].repeat(2, 1)}
    a1, a2 = activation_bytes(model, one), activation_bytes(model, two)
    assert a1 > 0 and a2 == pytest.approx(2 * a1, rel=0.05)
    assert not model.training  # mode restored
    with torch.no_grad():  # nothing is saved when no graph is built
        assert activation_bytes(model, one) == 0
