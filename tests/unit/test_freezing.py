"""Freezing strategies: exactly the intended parameters receive gradients, on a tiny random BERT."""
import pytest
import torch
from transformers import BertConfig, BertForSequenceClassification, DistilBertConfig, \
    DistilBertForSequenceClassification

from helpers import freezing

LAYERS = 4


def tiny_bert(seed: int = 0) -> BertForSequenceClassification:
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=50, hidden_size=32, num_hidden_layers=LAYERS, num_attention_heads=4,
                        intermediate_size=64, max_position_embeddings=32, num_labels=2)
    return BertForSequenceClassification(config)


def tiny_distilbert() -> DistilBertForSequenceClassification:
    torch.manual_seed(0)
    config = DistilBertConfig(vocab_size=50, dim=32, n_layers=3, n_heads=4, hidden_dim=64,
                              max_position_embeddings=32, num_labels=2)
    return DistilBertForSequenceClassification(config)


def grads_after_backward(model) -> set[str]:
    """Names of parameters with a non-zero gradient after one backward pass."""
    model.zero_grad(set_to_none=True)
    ids = torch.randint(1, 50, (3, 7), generator=torch.Generator().manual_seed(1))
    model(input_ids=ids, labels=torch.tensor([0, 1, 1])).loss.backward()
    return {n for n, p in model.named_parameters() if p.grad is not None and p.grad.abs().sum() > 0}


def names(model, *prefixes: str) -> set[str]:
    return {n for n, _ in model.named_parameters() if n.startswith(prefixes)}


def layer(i: int) -> str:
    return f"bert.encoder.layer.{i}."


def test_parts_of_bert_and_distilbert():
    parts = freezing.bert_parts(tiny_bert())
    assert len(parts.layers) == LAYERS and parts.head == ("classifier",)
    distil = freezing.bert_parts(tiny_distilbert())
    assert len(distil.layers) == 3 and distil.head == ("pre_classifier", "classifier")


def test_parts_reject_other_models():
    with pytest.raises(TypeError, match="BERT-family"):
        freezing.bert_parts(torch.nn.Linear(2, 2))


def test_freeze_module_freezes_one_part_and_counts_what_it_froze():
    model = tiny_bert()
    layer = model.bert.encoder.layer[0]
    assert freezing.freeze_module(layer) == sum(p.numel() for p in layer.parameters())
    assert freezing.freeze_module(layer) == 0  # nothing left to freeze
    assert grads_after_backward(model) == names(model, "") - names(model, "bert.encoder.layer.0.")
    shared = torch.nn.Linear(3, 3)
    assert freezing.freeze_module(torch.nn.Sequential(shared, shared)) == 12  # a shared weight counts once


def test_parameter_report_counts_what_count_parameters_counts():
    from helpers.bert_encoder import count_parameters

    model = tiny_bert()
    freezing.freeze_bottom(model, k=1)
    report = freezing.parameter_report(model)
    assert (report.trainable, report.total) == (count_parameters(model, trainable_only=True), count_parameters(model))
    assert report.trainable == sum(p.numel() for p in model.parameters() if p.requires_grad) < report.total


def test_full_model_trains_everything():
    model = tiny_bert()
    report = freezing.parameter_report(model)
    assert report.trainable == report.total == sum(p.numel() for p in model.parameters())
    assert grads_after_backward(model) == names(model, "")


def test_freeze_all_but_head_trains_only_the_classifier():
    model = tiny_bert()
    report = freezing.freeze_all_but_head(model)
    assert grads_after_backward(model) == names(model, "classifier.")
    assert report.trainable == 32 * 2 + 2 and report.total == freezing.parameter_report(tiny_bert()).total


def test_freeze_all_but_head_distilbert_keeps_both_head_layers():
    model = tiny_distilbert()
    freezing.freeze_all_but_head(model)
    assert grads_after_backward(model) == names(model, "pre_classifier.", "classifier.")


@pytest.mark.parametrize("k", [0, 1, 3, LAYERS])
def test_freeze_bottom_k(k):
    model = tiny_bert()
    report = freezing.freeze_bottom(model, k)
    frozen = names(model, "bert.embeddings.", *[layer(i) for i in range(k)])
    expected = names(model, "") - frozen
    assert grads_after_backward(model) == expected
    assert report.trainable == sum(p.numel() for n, p in model.named_parameters() if n in expected)


def test_freeze_bottom_rejects_too_many_layers():
    with pytest.raises(ValueError, match="k must be an int from 0 to 4"):
        freezing.freeze_bottom(tiny_bert(), LAYERS + 1)


def test_gradual_unfreezing_one_more_layer_per_epoch():
    model = tiny_bert()
    unfreezer = freezing.GradualUnfreezer(model)
    always = names(model, "classifier.")
    for epoch in range(LAYERS):
        unfreezer(step=100 * epoch, epoch=epoch)
        top = [layer(i) for i in range(LAYERS - epoch - 1, LAYERS)]
        assert grads_after_backward(model) == always | names(model, *top), f"epoch {epoch}"
    unfreezer(step=999, epoch=LAYERS)  # past the last layer: the embeddings and pooler thaw too
    assert names(model, "bert.embeddings.word_embeddings", "bert.pooler.") <= grads_after_backward(model)
    assert [r.trainable for _, r in unfreezer.reports] == sorted(r.trainable for _, r in unfreezer.reports)


def test_gradual_unfreezing_by_steps_changes_only_at_stage_boundaries():
    model = tiny_bert()
    unfreezer = freezing.GradualUnfreezer(model, steps_per_stage=3)
    changes = [unfreezer(step, 0) is not None for step in range(7)]
    assert changes == [True, False, False, True, False, False, True]
    assert unfreezer.unfrozen == 3


def test_layerwise_learning_rates():
    model = tiny_bert()
    lr, decay = 1e-3, 0.5
    groups = freezing.layerwise_lr_groups(model, lr, decay, weight_decay=0.1)
    optimizer = torch.optim.AdamW(groups)
    rate = {name: group["lr"] for group in optimizer.param_groups for name in group["names"]}
    assert set(rate) == names(model, "")  # every parameter exactly once
    assert sum(len(g["params"]) for g in groups) == len(list(model.parameters()))
    assert rate["classifier.weight"] == lr
    for i in range(LAYERS):
        assert rate[layer(i) + "attention.self.query.weight"] == pytest.approx(lr * decay ** (LAYERS - i))
    assert rate["bert.embeddings.word_embeddings.weight"] == pytest.approx(lr * decay ** (LAYERS + 1))
    assert rate["bert.embeddings.word_embeddings.weight"] == min(rate.values())
    no_decay = {n for g in groups if g["weight_decay"] == 0 for n in g["names"]}
    assert "classifier.bias" in no_decay and "classifier.weight" not in no_decay


def test_layerwise_learning_rates_skip_frozen_parameters():
    model = tiny_bert()
    freezing.freeze_bottom(model, 2)
    groups = freezing.layerwise_lr_groups(model, 1e-3, 0.9)
    grouped = {n for g in groups for n in g["names"]}
    assert grouped == {n for n, p in model.named_parameters() if p.requires_grad}


def test_lora_trains_only_adapters_and_head():
    model = freezing.apply_lora(tiny_bert(), r=2)
    trained = grads_after_backward(model)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trained <= trainable
    assert all("lora_" in n or ".classifier." in n for n in trainable), sorted(trainable)
    assert any("lora_B" in n for n in trained) and any("classifier" in n for n in trained)
    # the lora_A of every query/value projection and the head, nothing else
    adapters = {n for n in trainable if "lora_" in n}
    assert len(adapters) == LAYERS * 2 * 2  # layers x (query, value) x (A, B)
    report = freezing.parameter_report(model)
    assert report.trainable == sum(p.numel() for n, p in model.named_parameters() if n in trainable)
    assert 0 < report.fraction < 0.2
    assert len(freezing.bert_parts(model).layers) == LAYERS  # parts are found through the peft wrapper


def test_lora_starts_as_the_original_model():
    base = tiny_bert()
    ids = torch.randint(1, 50, (2, 5), generator=torch.Generator().manual_seed(2))
    base.eval()
    before = base(input_ids=ids).logits
    lora = freezing.apply_lora(base, r=2)
    lora.eval()
    assert torch.allclose(lora(input_ids=ids).logits, before, atol=1e-6)  # lora_B starts at zero


def test_report_text_and_memory():
    report = freezing.ParamReport(trainable=1_500, total=22_700_000)
    assert str(report) == "trainable 1.5K of 22.7M parameters (0.01%)"
    assert report.training_state_bytes == 4 * (22_700_000 + 3 * 1_500)


def test_gradual_unfreezing_counts_its_first_stage_in_reports():
    # before its first call the model is untouched (the optimizer must see every parameter);
    # what trains at the start is reports[0]: the head and the top layer only, not 100%
    model = tiny_bert()
    unfreezer = freezing.GradualUnfreezer(model, steps_per_stage=2)
    assert freezing.parameter_report(model).fraction == 1.0
    unfreezer(0, 0)
    step, first = unfreezer.reports[0]
    top_and_head = sum(p.numel() for n, p in model.named_parameters() if n.startswith((layer(LAYERS - 1), "classifier.")))
    assert step == 0 and first.trainable == top_and_head and first.fraction < 0.5


def test_gradual_unfreezing_in_train_reaches_the_bottom_layer():
    # the optimizer is built before the first stage freezes anything, so layers thawed later do train
    from datasets import Dataset

    from helpers.training import TrainConfig, train

    model = tiny_bert()
    rows = Dataset.from_dict({"input_ids": [[1 + (i + k) % 40 for k in range(6)] for i in range(24)],
                              "attention_mask": [[1] * 6] * 24, "label": [i % 2 for i in range(24)]})
    bottom = model.bert.encoder.layer[0].attention.self.query.weight.detach().clone()
    unfreezer = freezing.GradualUnfreezer(model, steps_per_stage=1)
    train(model, rows, None, TrainConfig(epochs=1, batch_size=4, learning_rate=1e-2, progress=False),
          on_step=unfreezer, device="cpu")
    assert unfreezer.unfrozen == LAYERS + 2  # 6 steps: stages 1..6, the last thaws the embeddings too
    assert not torch.equal(model.bert.encoder.layer[0].attention.self.query.weight, bottom)


def _rows(n: int = 5):
    return [{"input_ids": torch.randint(1, 50, (3 + i % 3,), generator=torch.Generator().manual_seed(i)),
             "label": i % 2} for i in range(n)]


def _pad(rows):
    longest = max(len(r["input_ids"]) for r in rows)
    ids = torch.zeros(len(rows), longest, dtype=torch.long)
    mask = torch.zeros(len(rows), longest, dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, :len(r["input_ids"])], mask[i, :len(r["input_ids"])] = r["input_ids"], 1
    return {"input_ids": ids, "attention_mask": mask}


def test_head_inputs_are_what_the_head_sees():
    model = tiny_bert()
    model.train()  # head_inputs runs in eval mode (no dropout) and gives the mode back
    rows = _rows()
    x = freezing.head_inputs(model, rows, _pad, batch_size=2)  # (N, D)
    assert x.shape == (5, 32) and model.training
    model.eval()
    batch = _pad(rows)
    with torch.no_grad():
        pooled = model.bert(**batch).pooler_output  # BERT's head sees the pooled [CLS] vector
        logits = model(**batch).logits
    assert torch.allclose(torch.from_numpy(x), pooled, atol=1e-6)
    # the head applied to these inputs gives the model's logits: they are exactly its input
    assert torch.allclose(model.classifier(torch.from_numpy(x)), logits, atol=1e-6)


def test_head_inputs_of_distilbert_enter_its_pre_classifier():
    model = tiny_distilbert().eval()
    rows = _rows(3)
    x = torch.from_numpy(freezing.head_inputs(model, rows, _pad))
    with torch.no_grad():
        hidden = model.distilbert(**_pad(rows)).last_hidden_state[:, 0]  # (N, D) the [CLS] position
    assert torch.allclose(x, hidden, atol=1e-6)
