"""helpers.playgrounds.freezing: per-block counts against helpers.freezing, the model left untouched, HTML, widget."""
import pytest
import torch
from transformers import BertForSequenceClassification

from tiny_models import tiny_bert
from helpers import freezing
from helpers.playgrounds.freezing import STRATEGIES, FreezingView, freezing_html, freezing_playground, freezing_view
from helpers.playgrounds.core import WIDGET_VIEW, STATIC_NOTE

LAYERS = 4
MEASURED = {"freeze bottom 2": {"val accuracy (%)": 91.5, "s / step": 0.25},
            "head only": {"val accuracy (%)": 60.0, "s / step": 0.05}}


@pytest.fixture(scope="module")
def model() -> BertForSequenceClassification:
    return tiny_bert(layers=LAYERS, num_labels=2)


def count(module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_blocks_add_up_and_the_model_is_left_as_it_was(model, strategy):
    before = [p.requires_grad for p in model.parameters()]
    view = freezing_view(model, strategy, 2)
    assert [p.requires_grad for p in model.parameters()] == before
    assert sum(row.trainable for row in view.blocks) == view.trainable
    assert sum(row.parameters for row in view.blocks) == view.total
    assert [row.name for row in view.blocks] == ["embeddings", *(f"layer {i}" for i in range(LAYERS)), "pooler", "head"]


def test_the_model_keeps_a_partial_freeze_it_came_with(model):
    freezing.freeze_bottom(model, 1)
    try:
        before = [p.requires_grad for p in model.parameters()]
        freezing_view(model, "head only")
        assert [p.requires_grad for p in model.parameters()] == before
    finally:
        freezing.set_trainable(model, True)


def test_counts_equal_helpers_freezing(model):
    copy = tiny_bert(layers=LAYERS, num_labels=2)
    for k in range(LAYERS + 1):
        assert freezing_view(model, "freeze bottom k", k).trainable == freezing.freeze_bottom(copy, k).trainable
    assert freezing_view(model, "head only").trainable == freezing.freeze_all_but_head(copy).trainable
    assert freezing_view(model, "head only").trainable == count(model.classifier)
    assert freezing_view(model, "gradual unfreezing").trainable == count(model.classifier) + count(model.bert.encoder.layer[-1])
    assert freezing_view(model, "full fine-tuning").fraction == 1.0
    lora = freezing.parameter_report(freezing.apply_lora(tiny_bert(layers=LAYERS, num_labels=2), r=4))
    view = freezing_view(model, "LoRA", lora_rank=4)
    assert (view.trainable, view.total) == (lora.trainable, lora.total)


def test_freezing_more_layers_trains_strictly_less(model):
    counts = [freezing_view(model, "freeze bottom k", k).trainable for k in range(LAYERS + 1)]
    assert all(a > b for a, b in zip(counts, counts[1:]))
    blocks = {row.name: row for row in freezing_view(model, "freeze bottom k", 2).blocks}
    assert blocks["layer 1"].state == "frozen" and blocks["layer 2"].state == "trains" and blocks["embeddings"].trainable == 0


def test_layerwise_decay_rates(model):
    view = freezing_view(model, "layer-wise LR decay", decay=0.5)
    factors = {row.name: row.lr_factor for row in view.blocks}
    assert factors["head"] == 1.0 and factors[f"layer {LAYERS - 1}"] == 0.5 and factors["embeddings"] == 0.5 ** (LAYERS + 1)
    assert all(row.lr_factor is None for row in freezing_view(model, "full fine-tuning").blocks)


def test_measured_values_follow_the_label(model):
    assert dict(freezing_view(model, "freeze bottom k", 2, MEASURED).measured) == MEASURED["freeze bottom 2"]
    assert freezing_view(model, "freeze bottom k", 3, MEASURED).measured == ()
    assert freezing_view(model, "freeze bottom k", 3, MEASURED).label == "freeze bottom 3"


def test_html_shows_the_numbers_and_escapes(model):
    view = freezing_view(model, "freeze bottom k", 2, MEASURED)
    text = freezing_html(view)
    assert f"{view.trainable:,}" in text and "91.500" in text and "frozen" in text and f"{view.fraction:.2%}" in text
    evil = freezing_html(freezing_view(model, "head only", measured={"head only": {"<script>": "x"}}))
    assert "<script>" not in evil and "&lt;script&gt;" in evil
    assert "not run in this notebook" in freezing_html(freezing_view(model, "freeze bottom k", 3, MEASURED))


def test_builder_responds_and_has_a_static_fallback(model):
    playground = freezing_playground(model, MEASURED, frozen_layers=2)
    first = playground.output.value
    assert "91.500" in first
    playground.controls["frozen_layers"].value = 3
    assert playground.output.value != first and "freeze bottom 3" in playground.output.value
    playground.controls["strategy"].value = "head only"
    assert "60.000" in playground.output.value
    bundle = playground._repr_mimebundle_()
    assert WIDGET_VIEW in bundle and STATIC_NOTE in bundle["text/html"]


def test_a_bad_value_shows_a_sentence(model):
    playground = freezing_playground(model)
    assert "course-playground-error" in playground.render(frozen_layers=LAYERS + 3)
