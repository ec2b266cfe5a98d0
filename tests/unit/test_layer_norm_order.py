"""helpers.layer_norm_order: pre-LN and post-LN layers against PyTorch's TransformerEncoderLayer (notebook 02, section 10)."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from helpers.attention import MultiHeadAttention
from helpers.encoder import EncoderLayer
from helpers.exercises import nb02
from helpers.layer_norm_order import (PreLNEncoderLayer, layer_gradient_norms, layer_stack, norm_and_add)


def _copy_from_torch(ours: EncoderLayer, theirs: nn.TransformerEncoderLayer) -> EncoderLayer:
    ours.attention = MultiHeadAttention.from_torch(theirs.self_attn)
    with torch.no_grad():
        for mine, source in ((ours.feed_forward.up, theirs.linear1), (ours.feed_forward.down, theirs.linear2),
                             (ours.attention_norm, theirs.norm1), (ours.feed_forward_norm, theirs.norm2)):
            mine.weight.copy_(source.weight)
            mine.bias.copy_(source.bias)
    return ours.eval()


@pytest.mark.parametrize("norm_first,kind", [(True, PreLNEncoderLayer), (False, EncoderLayer)])
def test_layers_match_pytorchs_encoder_layer_in_both_orders(norm_first, kind):
    torch.manual_seed(0)
    theirs = nn.TransformerEncoderLayer(16, 4, 32, dropout=0.0, activation="gelu", batch_first=True,
                                        norm_first=norm_first).eval()
    ours = _copy_from_torch(kind(16, 4, 32, dropout=0.0, layer_norm_eps=theirs.norm1.eps), theirs)
    x = torch.randn(2, 5, 16)
    with torch.no_grad():
        assert torch.allclose(ours(x), theirs(x), atol=1e-5)


def test_the_two_orders_differ_with_the_same_weights():
    torch.manual_seed(1)
    post = EncoderLayer(16, 4, 32, dropout=0.0).eval()
    pre = PreLNEncoderLayer(16, 4, 32, dropout=0.0).eval()
    pre.load_state_dict(post.state_dict())
    x = 3 + 2 * torch.randn(2, 5, 16)
    with torch.no_grad():
        assert (pre(x) - post(x)).abs().max() > 0.1


def test_norm_and_add_is_x_plus_sublayer_of_the_normalised_x_and_the_exercise_agrees():
    torch.manual_seed(2)
    x, sublayer, norm = 1 + torch.randn(2, 3, 8), nn.Linear(8, 8), nn.LayerNorm(8)
    expected = x + sublayer((x - x.mean(-1, keepdim=True)) / (x.var(-1, unbiased=False, keepdim=True) + 1e-5).sqrt())
    assert torch.allclose(norm_and_add(x, sublayer, norm), expected, atol=1e-5)
    assert torch.allclose(nb02.pre_ln_block_solution(x, sublayer, norm), expected, atol=1e-5)


def test_stacks_are_xavier_initialised_and_only_pre_ln_ends_with_a_layer_norm():
    torch.manual_seed(3)
    pre, post = layer_stack("pre-LN", 3, d_model=32, num_heads=2), layer_stack("post-LN", 3, d_model=32, num_heads=2)
    assert isinstance(pre[-1], nn.LayerNorm) and isinstance(post[-1], nn.Identity)
    assert all(isinstance(layer, PreLNEncoderLayer) for layer in list(pre)[:3])
    assert all(type(layer) is EncoderLayer for layer in list(post)[:3])
    up = pre[0].feed_forward.up
    assert (up.bias == 0).all()
    assert abs(up.weight.std().item() - (2 / (32 + 128)) ** 0.5) < 0.02  # Xavier: std sqrt(2 / (fan_in + fan_out))


def test_gradient_norms_are_reproducible_positive_and_leave_the_random_state_alone():
    state = torch.random.get_rng_state()
    a, b = layer_gradient_norms("pre-LN", 3, seed=4), layer_gradient_norms("pre-LN", 3, seed=4)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert a == b and len(a) == 3 and all(v > 0 for v in a)


@pytest.mark.parametrize("seed", [5, 6])
def test_pre_ln_last_layer_gradient_shrinks_with_depth_and_post_ln_does_not(seed):
    pre = [layer_gradient_norms("pre-LN", depth, seed=seed)[-1] for depth in (2, 16)]
    post = [layer_gradient_norms("post-LN", depth, seed=seed)[-1] for depth in (2, 16)]
    assert pre[1] < 0.75 * pre[0]
    assert post[1] > 0.9 * post[0]
    assert post[1] > 1.5 * pre[1]
