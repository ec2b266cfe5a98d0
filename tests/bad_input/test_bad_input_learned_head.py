"""Bad input to notebook 01's learned head and attention cost and notebook 02's LayerNorm orders (``tests/bad_input/bad_input.py`` explains a case)."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from bad_input import assert_rejects, bad, case_id
from helpers import attention_cost, layer_norm_order, learned_head

TASK = learned_head.partner_task(4, num_pairs=2, num_colours=4, num_values=3)
HEAD = learned_head.LearnedHead(7, 4, 3)
WEIGHTS = torch.full((1, 3, 3), 1 / 3)

CASES = [
    bad(learned_head.partner_task, "type", "num_sequences", "8"),
    bad(learned_head.partner_task, "range", "num_pairs", 8, num_pairs=1),
    bad(learned_head.partner_task, "range", "num_colours", 8, num_pairs=6, num_colours=5),
    bad(learned_head.LearnedHead, "type", "d_k", 7, 4.0, 3),
    bad(learned_head.LearnedHead, "range", "init_std", 7, 4, 3, init_std=0.0),
    bad(HEAD.forward, "shape", "x", torch.zeros(3, 7)),
    bad(HEAD.forward, "type", "x", torch.zeros(1, 3, 7, dtype=torch.long)),
    bad(learned_head.train_head, "type", "task", HEAD, TASK.x),
    bad(learned_head.train_head, "type", "head", nn.Linear(7, 3), TASK),
    bad(learned_head.train_head, "range", "steps", HEAD, TASK, steps=0),
    bad(learned_head.mass_on_targets, "type", "targets", WEIGHTS, torch.zeros(1, 3)),
    bad(learned_head.mass_on_targets, "shape", "targets", WEIGHTS, torch.zeros(1, 2, dtype=torch.long)),
    bad(learned_head.mass_on_targets, "range", "targets", WEIGHTS, torch.tensor([[0, 1, 3]])),
    bad(learned_head.identity_head_weights, "type", "x", [[0.0, 1.0]]),
    bad(learned_head.identity_head_weights, "shape", "x", torch.zeros(3, 7)),
    bad(learned_head.identity_head_weights, "range", "x", torch.zeros(1, 3, 7, dtype=torch.long), error=TypeError),
    bad(attention_cost.attention_cost, "type", "seq_len", 128.0, 64, 4),
    bad(attention_cost.attention_cost, "range", "seq_len", 0, 64, 4),
    bad(attention_cost.attention_cost, "range", "num_heads", 128, 64, 5),
    bad(layer_norm_order.norm_and_add, "type", "sublayer", torch.zeros(1, 2, 4), "linear", nn.LayerNorm(4)),
    bad(layer_norm_order.norm_and_add, "type", "norm", torch.zeros(1, 2, 4), nn.Linear(4, 4), "layernorm"),
    bad(layer_norm_order.norm_and_add, "range", "x", torch.zeros(1, 2, 4, dtype=torch.long), nn.Linear(4, 4),
        nn.LayerNorm(4), error=TypeError),
    bad(layer_norm_order.PreLNEncoderLayer, "type", "d_model", "16", 4, 32),
    bad(layer_norm_order.PreLNEncoderLayer, "shape", "d_model", 10, 4, 32),
    bad(layer_norm_order.PreLNEncoderLayer, "range", "dropout", 16, 4, 32, dropout=1.5),
    bad(layer_norm_order.layer_stack, "type", "num_layers", "post-LN", 2.0),
    bad(layer_norm_order.layer_stack, "range", "order", "middle-LN", 2),
    bad(layer_norm_order.layer_stack, "shape", "d_model", "pre-LN", 2, d_model=10, num_heads=4),
    bad(layer_norm_order.layer_gradient_norms, "type", "order", 1, 2),
    bad(layer_norm_order.layer_gradient_norms, "range", "num_layers", "pre-LN", 0),
]

NOT_APPLICABLE: dict[str, dict[str, str]] = {
    "learned_head.partner_task": {"shape": "takes sizes, not tensors"},
    "learned_head.LearnedHead": {"shape": "takes sizes; forward's shape cases are listed"},
    "learned_head.train_head": {"shape": "a PartnerTask's shapes were made consistent by partner_task"},
    "attention_cost.attention_cost": {"shape": "takes sizes, not tensors; a d_model not divisible by num_heads "
                                               "is the range case"},
    "layer_norm_order.norm_and_add": {"shape": "any (..., D) tensor that the sublayer and norm accept"},
    "layer_norm_order.layer_gradient_norms": {"shape": "takes sizes and draws its own tensors"},
}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_is_rejected_with_a_clear_message(case):
    assert_rejects(case)
