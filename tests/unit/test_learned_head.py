"""helpers.learned_head: the partner task, a head with learned W_Q / W_K / W_V, and its scores (notebook 01, section 8)."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from helpers.exercises import nb01
from helpers.learned_head import (LearnedHead, identity_head_weights, mass_on_targets, partner_task,
                                  train_head)


def test_partner_task_pairs_each_token_with_the_other_token_of_its_colour():
    task = partner_task(50, num_pairs=5, num_colours=12, num_values=7, seed=3)
    n, t = task.colours.shape
    assert (n, t) == (50, 10) and task.x.shape == (50, 10, 12 + 7)
    positions = torch.arange(t)
    assert (task.partner != positions).all()
    assert (task.colours.gather(1, task.partner) == task.colours).all()
    assert torch.equal(task.partner.gather(1, task.partner), positions.expand(n, t))  # partner of partner is self
    counts = F.one_hot(task.colours, 12).sum(dim=1)  # (N, colours): each colour used 0 or 2 times
    assert ((counts == 0) | (counts == 2)).all()
    assert torch.equal(task.target, task.values.gather(1, task.partner))
    assert torch.equal(task.x, torch.cat([F.one_hot(task.colours, 12), F.one_hot(task.values, 7)], -1).float())


def test_partner_task_is_reproducible_and_leaves_the_global_random_state_alone():
    state = torch.random.get_rng_state()
    a, b, c = partner_task(8, seed=5), partner_task(8, seed=5), partner_task(8, seed=6)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert torch.equal(a.x, b.x) and torch.equal(a.partner, b.partner)
    assert not torch.equal(a.x, c.x)


def test_the_exercise_solution_recovers_the_partners():
    task = partner_task(20, seed=9)
    assert torch.equal(nb01.partner_positions(task.colours), task.partner)


def test_learned_head_matches_pytorch_attention_with_the_diagonal_masked():
    torch.manual_seed(0)
    head = LearnedHead(d_in=7, d_k=4, d_out=3, init_std=0.5)
    x = torch.randn(2, 5, 7)
    logits, weights = head(x)
    q, k, v = x @ head.w_q, x @ head.w_k, x @ head.w_v
    allowed = ~torch.eye(5, dtype=torch.bool)
    expected = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)
    assert torch.allclose(logits, expected, atol=1e-6)
    scores = (q @ k.transpose(-2, -1) / 2.0).masked_fill(~allowed, -math.inf)  # sqrt(d_k) = 2
    assert torch.allclose(weights, scores.softmax(-1), atol=1e-6)
    assert (weights.diagonal(dim1=-2, dim2=-1) == 0).all()
    assert sorted(name for name, _ in head.named_parameters()) == ["w_k", "w_q", "w_v"]


def test_identity_head_is_the_dot_product_of_the_tokens_themselves():
    x = partner_task(3, seed=1).x
    d = x.shape[-1]
    scores = (x @ x.transpose(-2, -1) / math.sqrt(d)).masked_fill(torch.eye(x.shape[1], dtype=torch.bool), -math.inf)
    assert torch.allclose(identity_head_weights(x), scores.softmax(-1), atol=1e-6)


def test_mass_on_targets_by_hand():
    weights = torch.tensor([[[0.0, 0.7, 0.3], [0.5, 0.0, 0.5], [0.1, 0.9, 0.0]]])  # (1, 3, 3)
    targets = torch.tensor([[1, 2, 0]])
    assert mass_on_targets(weights, targets) == pytest.approx((0.7 + 0.5 + 0.1) / 3)


@pytest.mark.parametrize("seed", [0, 1])
def test_training_finds_the_partner_on_held_out_sequences(seed):
    torch.manual_seed(seed)
    train, held_out = partner_task(512, seed=10 + seed), partner_task(128, seed=20 + seed)
    head = LearnedHead(held_out.x.shape[-1], 16, 10)
    with torch.no_grad():
        before = mass_on_targets(head(held_out.x)[1], held_out.partner)
    losses = train_head(head, train, steps=100, batch_size=32, seed=seed)
    with torch.no_grad():
        logits, weights = head(held_out.x)
    assert before < 0.15  # about uniform over the 11 others
    assert losses[-1] < 0.2 * losses[0]
    assert mass_on_targets(weights, held_out.partner) > 0.9  # the floor; the notebook measures > 0.99
    assert (logits.argmax(-1) == held_out.target).float().mean() > 0.9
