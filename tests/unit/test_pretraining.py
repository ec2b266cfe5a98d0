"""The two tiny models have the same size, see the same tokens, and the shared loop trains them."""
import itertools
import math

import pytest
import torch
import torch.nn.functional as F
from transformers import RoFormerForCausalLM, RoFormerForMaskedLM

from helpers import objectives as obj
from helpers import pretraining as pt
from helpers.bert_encoder import count_parameters
from helpers.training import linear_schedule

SIZE = pt.ModelSize(layers=1, hidden=32, heads=2, context=16)
VOCAB, MASK, SPECIAL = 300, 4, (0, 1, 2, 3, 4)


def models():
    torch.manual_seed(0)
    return RoFormerForMaskedLM(pt.mlm_config(VOCAB, SIZE)), RoFormerForCausalLM(pt.lm_config(VOCAB, SIZE))


def blocks(n=64, seed=0):
    # a learnable stream: token t+1 = token t + 1 (mod a small range)
    start = torch.randint(5, 50, (n, 1), generator=torch.Generator().manual_seed(seed))
    return 5 + (start + torch.arange(SIZE.context)) % 40  # (n, T)


def test_one_network_two_uses_same_sizes_and_parameters():
    bert, gpt = models()
    assert bert.config.num_hidden_layers == gpt.config.num_hidden_layers == SIZE.layers
    assert bert.config.hidden_size == gpt.config.hidden_size and bert.config.intermediate_size == gpt.config.intermediate_size
    assert count_parameters(bert, trainable_only=True) == count_parameters(gpt, trainable_only=True)  # only the mask differs
    assert bert.get_output_embeddings().weight is bert.get_input_embeddings().weight  # tied, counted once
    assert not bert.config.is_decoder and gpt.config.is_decoder


def test_the_lm_is_causal_and_the_mlm_bidirectional():
    bert, gpt = models()
    ids = torch.randint(5, VOCAB, (1, SIZE.context), generator=torch.Generator().manual_seed(0))
    later = ids.clone()
    later[0, -1] = 5 if ids[0, -1] != 5 else 6  # change the last token only
    with torch.no_grad():
        for model, sees_the_future in ((bert, True), (gpt, False)):
            model.eval()
            changed = (model(input_ids=ids).logits[0, :-1] - model(input_ids=later).logits[0, :-1]).abs().max()
            assert (changed > 1e-6) == sees_the_future


@pytest.mark.parametrize("bad", [dict(hidden=30, heads=4), dict(layers=0)])
def test_model_size_is_validated(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        pt.ModelSize(**{**dict(layers=1, hidden=32, heads=2, context=16), **bad})


def test_batches_count_tokens_and_targets():
    data = blocks()
    lm = next(pt.lm_batches(data, batch_size=8))
    assert lm.tokens == 8 * SIZE.context and lm.targets == 8 * (SIZE.context - 1)
    assert torch.equal(lm.inputs["input_ids"], lm.inputs["labels"])
    mlm = next(pt.mlm_batches(data, 8, SPECIAL, MASK, VOCAB))
    assert mlm.tokens == lm.tokens and mlm.targets == int((mlm.inputs["labels"] != -100).sum()) > 0
    # both streams draw the same blocks in the same order
    chosen = mlm.inputs["labels"] != -100
    assert torch.equal(mlm.inputs["labels"][chosen], lm.inputs["input_ids"][chosen])


def test_masked_positions_loss_equals_the_model_loss():
    bert, _ = models()
    bert.eval()
    batch = next(pt.mlm_batches(blocks(), 8, SPECIAL, MASK, VOCAB))
    with torch.no_grad():
        assert torch.isclose(pt.masked_positions_loss(bert, batch.inputs), pt.model_loss(bert, batch.inputs), atol=1e-5)


def test_pretrain_follows_the_training_schedule(monkeypatch):
    """pretrain warms up and decays with training.linear_schedule (the course's one schedule), stepped once a step."""
    made = []

    def recording(optimizer, warmup_steps, total_steps):
        made.append((warmup_steps, total_steps, linear_schedule(optimizer, warmup_steps, total_steps)))
        return made[-1][2]

    monkeypatch.setattr(pt, "linear_schedule", recording)
    _, gpt = models()
    pt.pretrain(gpt, pt.lm_batches(blocks(), 8), steps=6, lr=1.0, warmup=2)
    (warmup, total, schedule), = made
    assert (warmup, total) == (2, 6) and schedule.last_epoch == 6 and schedule.get_last_lr()[0] == 0.0


@pytest.mark.parametrize("kind", ["mlm", "lm"])
def test_pretrain_learns_and_counts(kind):
    bert, gpt = models()
    data = blocks()
    if kind == "mlm":
        model, loss_fn = bert, pt.masked_positions_loss
        stream = pt.mlm_batches(data, 16, SPECIAL, MASK, VOCAB)
        held = [next(pt.mlm_batches(blocks(16, seed=1), 16, SPECIAL, MASK, VOCAB, seed=9))]
    else:
        model, loss_fn = gpt, pt.model_loss
        stream = pt.lm_batches(data, 16)
        held = [next(pt.lm_batches(blocks(16, seed=1), 16))]
    result = pt.pretrain(model, stream, steps=60, lr=3e-3, warmup=5, held_out=held, eval_every=20, loss_fn=loss_fn)
    assert result.eval_steps == [0, 20, 40, 60] and len(result.losses) == 60
    assert result.tokens_seen == 60 * 16 * SIZE.context
    assert result.eval_losses[-1] < 0.7 * result.eval_losses[0]
    if kind == "lm":
        assert result.targets_seen == 60 * 16 * (SIZE.context - 1)
    assert not model.training


def test_pretrain_rejects_bad_steps():
    _, gpt = models()
    with pytest.raises(ValueError, match="steps"):
        pt.pretrain(gpt, pt.lm_batches(blocks(), 4), steps=0)


def masked_batch(ids, labels):
    return pt.Batch({"input_ids": ids, "labels": labels}, tokens=ids.numel(), targets=int((labels != -100).sum()))


def test_evaluate_is_the_mean_over_all_targets_by_hand():
    bert, _ = models()
    scored = list(itertools.islice(pt.mlm_batches(blocks(), 4, SPECIAL, MASK, VOCAB, seed=3), 3))
    assert len({b.targets for b in scored}) > 1  # unequal batches: a mean of batch means would differ
    bert.eval()
    with torch.no_grad():  # sum of the per-target losses over every batch / number of targets
        total = sum(F.cross_entropy(bert(input_ids=b.inputs["input_ids"]).logits.flatten(0, 1),
                                    b.inputs["labels"].flatten(), reduction="sum").item() for b in scored)
    expected = total / sum(b.targets for b in scored)
    assert pt.mean_loss(bert, scored) == pytest.approx(expected, rel=1e-5)
    assert pt.mean_loss(bert, scored, pt.masked_positions_loss) == pytest.approx(expected, rel=1e-5)


def test_evaluate_weights_each_batch_by_its_targets():
    losses = iter([1.0, 3.0])
    ids = torch.ones(2, 4, dtype=torch.long)
    few, many = (pt.Batch({"input_ids": ids, "labels": ids}, tokens=8, targets=n) for n in (2, 6))
    # (1.0 * 2 + 3.0 * 6) / 8 = 2.5 nats; the plain mean of the two batch means would be 2.0
    assert pt.mean_loss(torch.nn.Linear(1, 1), [few, many], lambda m, b: torch.tensor(next(losses))) == 2.5


def test_evaluate_ignores_a_batch_with_no_masked_targets():
    bert, _ = models()
    scored = next(pt.mlm_batches(blocks(), 8, SPECIAL, MASK, VOCAB, seed=3))
    ids = scored.inputs["input_ids"][:2]
    empty = masked_batch(ids, torch.full_like(ids, -100))  # masking chose nothing in this batch
    assert empty.targets == 0
    with torch.no_grad():
        assert math.isnan(pt.model_loss(bert.eval(), empty.inputs).item())  # its own mean is 0 / 0
    alone = pt.mean_loss(bert, [scored])
    assert math.isfinite(alone)
    assert pt.mean_loss(bert, [scored, empty]) == alone  # bit for bit: the empty batch adds nothing
    assert pt.mean_loss(bert, [empty, scored], pt.masked_positions_loss) == pytest.approx(alone, rel=1e-5)


def test_evaluate_names_batches_without_any_target():
    bert, _ = models()
    ids = blocks(2)
    with pytest.raises(ValueError, match="at least one target"):
        pt.mean_loss(bert, [masked_batch(ids, torch.full_like(ids, -100))])


def test_learned_positions_give_the_same_network_with_a_position_table():
    from transformers import BertForMaskedLM

    rotary, learned = pt.mlm_config(VOCAB, SIZE), pt.mlm_config(VOCAB, SIZE, positions="learned")
    assert type(rotary).__name__ == "RoFormerConfig" and type(learned).__name__ == "BertConfig"
    for name in ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                 "hidden_act", "max_position_embeddings", "hidden_dropout_prob", "attention_probs_dropout_prob"):
        assert getattr(rotary, name) == getattr(learned, name), name
    trained = lambda model: count_parameters(model, trainable_only=True)  # RoFormer's fixed sinusoid table is not
    extra = trained(BertForMaskedLM(learned)) - trained(RoFormerForMaskedLM(rotary))
    assert extra == SIZE.context * SIZE.hidden  # one learned vector per position; everything else is shared
