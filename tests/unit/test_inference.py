"""helpers.inference.forward_batches: the one batched forward pass behind training.predict,
classification.predict_proba and qa.predict_logits. Each of the three gives, bit for bit, what a loop
written out by hand gives (the loops they each had before they shared one)."""
import numpy as np
import pytest
import torch
from transformers import BertForQuestionAnswering, DataCollatorWithPadding

import tiny_models

from helpers import qa
from helpers.classification import predict_proba
from helpers.device import OutOfMemory, autocast, pick_precision, to_device
from helpers.inference import forward_batches
from helpers.training import make_loader, predict, stack_collate
from test_training import VALID, tiny_bert


def padding_collate(features):
    """Pads each batch to its own longest example, as DataCollatorWithPadding does (pad id 0, mask 0)."""
    width = max(len(f["input_ids"]) for f in features)
    batch = {"input_ids": torch.tensor([f["input_ids"] + [0] * (width - len(f["input_ids"])) for f in features]),
             "attention_mask": torch.tensor([[1] * len(f["input_ids"]) + [0] * (width - len(f["input_ids"]))
                                             for f in features])}
    if "label" in features[0]:
        batch["labels"] = torch.tensor([f["label"] for f in features])
    return batch


def uneven(n: int = 23, seed: int = 3) -> list[dict]:
    """Examples of 3 to 11 tokens, so that padded batches have different widths."""
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(3, 12, (n,), generator=g).tolist()
    return [{"input_ids": torch.randint(1, 20, (t,), generator=g).tolist(), "label": i % 2}
            for i, t in enumerate(lengths)]


@torch.no_grad()
def hand_predict(model, dataset, collate_fn, batch_size):
    """training.predict as it was written out before forward_batches."""
    device = next(model.parameters()).device
    precision = pick_precision(device)
    model.eval()
    predictions, labels, loss_sum = [], [], 0.0
    for batch in make_loader(dataset, batch_size, collate_fn):
        batch = {k: v.to(device) for k, v in batch.items()}
        with autocast(device, precision):
            out = model(**batch)
        predictions.append(out.logits.argmax(dim=-1).cpu())
        labels.append(batch["labels"].cpu())
        loss_sum += out.loss.float().item() * len(batch["labels"])
    truth = torch.cat(labels)
    return torch.cat(predictions), truth, loss_sum / len(truth)


@torch.no_grad()
def hand_predict_proba(model, dataset, collate_fn, batch_size):
    """classification.predict_proba as it was written out before forward_batches."""
    device = next(model.parameters()).device
    model.eval()
    probs, labels = [], []
    for batch in make_loader(dataset, batch_size, collate_fn):
        batch = {k: v.to(device) for k, v in batch.items()}
        truth = batch.pop("labels")
        logits = model(**batch).logits
        probs.append(logits.float().softmax(dim=-1).cpu())
        labels.append(truth.cpu())
    return torch.cat(probs), torch.cat(labels)


@torch.no_grad()
def hand_predict_logits(model, features, collate_fn, batch_size):
    """qa.predict_logits as it was written out before forward_batches."""
    model.eval()
    rows = [{k: features[k][i] for k in ("input_ids", "attention_mask")} for i in range(len(features["input_ids"]))]
    width = max(len(r["input_ids"]) for r in rows)
    starts = np.full((len(rows), width), -np.inf, dtype=np.float32)
    ends = np.full((len(rows), width), -np.inf, dtype=np.float32)
    for first in range(0, len(rows), batch_size):
        batch = collate_fn(rows[first:first + batch_size])
        out = model(**batch)
        count, length = batch["input_ids"].shape
        padding = batch["attention_mask"] == 0
        starts[first:first + count, :length] = out.start_logits.float().masked_fill(padding, -np.inf)
        ends[first:first + count, :length] = out.end_logits.float().masked_fill(padding, -np.inf)
    return starts, ends


@pytest.mark.parametrize("collate,data,batch_size", [(stack_collate, VALID, 10), (padding_collate, uneven(), 4)])
def test_predict_is_the_hand_loop_bit_for_bit(collate, data, batch_size):
    model = tiny_bert(seed=1)
    model.train()  # dropout on: predict must switch it off, and switch it back on afterwards
    predicted, truth, loss = predict(model, data, collate, batch_size)
    assert model.training
    want_predicted, want_truth, want_loss = hand_predict(model, data, collate, batch_size)
    assert torch.equal(predicted, want_predicted) and torch.equal(truth, want_truth) and loss == want_loss
    assert predicted.shape == (len(data),)


@pytest.mark.parametrize("collate,data,batch_size", [(stack_collate, VALID, 10), (padding_collate, uneven(), 4)])
def test_predict_proba_is_the_hand_loop_bit_for_bit(collate, data, batch_size):
    model = tiny_bert(seed=2)
    model.train()
    probs, labels = predict_proba(model, data, collate, batch_size)
    assert model.training
    want_probs, want_labels = hand_predict_proba(model, data, collate, batch_size)
    assert torch.equal(probs, want_probs) and torch.equal(labels, want_labels)
    assert probs.dtype == torch.float32 and probs.shape == (len(data), 2)


def test_predict_logits_is_the_hand_loop_bit_for_bit():
    model = tiny_models.tiny_bert(BertForQuestionAnswering, seed=3, vocab_size=20, hidden_size=32, layers=2,
                                  heads=4)
    data = uneven(13)
    features = {"input_ids": [d["input_ids"] for d in data],
                "attention_mask": [[1] * len(d["input_ids"]) for d in data]}
    model.train()
    starts, ends = qa.predict_logits(model, features, padding_collate, batch_size=4)
    assert model.training
    want_starts, want_ends = hand_predict_logits(model, features, padding_collate, batch_size=4)
    np.testing.assert_array_equal(starts, want_starts)
    np.testing.assert_array_equal(ends, want_ends)
    assert np.isneginf(starts[0, len(data[0]["input_ids"]):]).all()  # padding beyond a window's end: -inf


def test_the_comparison_can_fail():
    """Guard: the hand loop in train mode (dropout on) gives other probabilities, so equality means something."""
    model = tiny_bert(seed=2)
    probs, _ = predict_proba(model, VALID, stack_collate, 10)
    model.train()
    with torch.no_grad():
        dropped = model(**{k: v for k, v in stack_collate([VALID[i] for i in range(10)]).items()
                           if k != "labels"}).logits.softmax(-1)
    assert not torch.equal(probs[:10], dropped)


def test_forward_batches_keeps_what_keep_returns_and_leaves_keys_out():
    model = tiny_bert(seed=0)
    batches = [stack_collate([VALID[i] for i in range(s, s + 8)]) for s in (0, 8, 16)]
    seen = []

    def keep(batch, out):
        seen.append(sorted(batch))
        return out.loss, out.logits.shape

    kept = forward_batches(model, batches, keep, leave_out=("labels",))
    assert [shape for _, shape in kept] == [(8, 2)] * 3
    assert all(loss is None for loss, _ in kept)  # the labels stayed out of the model: no loss
    assert seen == [["attention_mask", "input_ids", "labels"]] * 3  # ... but keep still gets them
    with_loss = forward_batches(model, batches, lambda batch, out: out.loss)
    assert all(loss is not None and not loss.requires_grad for loss in with_loss)  # no gradients recorded


def test_forward_batches_explains_out_of_memory_and_restores_the_mode():
    class Exhausted(torch.nn.Linear):
        def forward(self, **batch):
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    model = Exhausted(2, 2).train()
    with pytest.raises(OutOfMemory, match="batch_size=3: halve the batch size"):
        forward_batches(model, [{"x": torch.ones(3, 2)}], lambda batch, out: out)
    assert model.training


def test_to_device_and_autocast():
    batch = {"input_ids": torch.ones(2, 3, dtype=torch.long), "labels": torch.zeros(2)}
    moved = to_device(batch, torch.device("cpu"))
    assert moved.keys() == batch.keys() and all(moved[k] is batch[k] for k in batch)  # already there: the same
    with autocast(torch.device("cpu"), pick_precision("cpu")):
        assert not torch.is_autocast_enabled("cpu")  # fp32: no autocast
    with autocast(torch.device("cpu"), pick_precision("cpu").__class__(torch.bfloat16, False)):
        assert torch.is_autocast_enabled("cpu") and torch.get_autocast_dtype("cpu") == torch.bfloat16
