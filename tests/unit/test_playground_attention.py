"""The attention playground (notebook 01, section 5): its view against PyTorch, its HTML, its widgets."""
from __future__ import annotations

import math

import pytest
import torch

from helpers.playgrounds import attention as pg
from helpers.playgrounds.core import STATIC_NOTE, WIDGET_VIEW


def _qk(d_k: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    full = torch.randn(2, 6, pg.MAX_D_K, generator=torch.Generator().manual_seed(seed))
    return full[0, :, :d_k], full[1, :, :d_k]


@pytest.mark.parametrize("mask", pg.MASKS)
@pytest.mark.parametrize("scaled", [True, False])
def test_weights_equal_pytorch_softmax_of_scaled_masked_scores(mask, scaled):
    view = pg.attention_view(d_k=16, temperature=0.5, mask=mask, scaled=scaled)
    q, k = _qk(16)
    scores = q @ k.T / ((4.0 if scaled else 1.0) * 0.5)
    allowed = {"none": torch.ones(6, 6, dtype=torch.bool), "causal": torch.ones(6, 6, dtype=torch.bool).tril(),
               "padding": torch.tensor([True] * 4 + [False] * 2).expand(6, 6)}[mask]
    expected = scores.masked_fill(~allowed, float("-inf")).softmax(dim=-1)
    assert torch.allclose(view.weights, expected, atol=1e-6)
    assert torch.allclose(view.weights.sum(dim=-1), torch.ones(6))
    entropy = torch.special.entr(expected).sum(dim=-1)
    assert view.entropy == pytest.approx(entropy.tolist(), abs=1e-5)
    assert view.max_entropy == pytest.approx([math.log(n) for n in allowed.sum(dim=-1).tolist()])
    assert view.score_std == pytest.approx(scores[allowed].std().item(), rel=1e-5)


def test_masked_keys_get_exactly_zero_weight():
    causal = pg.attention_view(mask="causal")
    assert (causal.weights.triu(diagonal=1) == 0).all() and causal.weights[0, 0] == 1
    assert causal.entropy[0] == pytest.approx(0.0, abs=1e-9)
    assert (pg.attention_view(mask="padding").weights[:, 4:] == 0).all()


def test_temperature_limits_uniform_and_one_hot():
    hot = pg.attention_view(temperature=5.0, mask="none")
    cold = pg.attention_view(temperature=0.05, mask="none")
    assert hot.uniform_entropy == pytest.approx(math.log(6))
    assert hot.mean_entropy > 0.95 * math.log(6)
    assert cold.mean_entropy < 0.1 * math.log(6) and cold.weights.max(dim=-1).values.min() > 0.9


def test_unscaled_scores_collapse_as_d_k_grows_scaled_do_not():
    unscaled = [pg.attention_view(d_k=d, scaled=False, mask="none") for d in (4, 64, 1024)]
    scaled = [pg.attention_view(d_k=d, scaled=True, mask="none") for d in (4, 64, 1024)]
    assert unscaled[0].score_std < unscaled[1].score_std < unscaled[2].score_std
    assert unscaled[-1].mean_entropy < 0.1 * math.log(6)
    assert all(0.5 < v.score_std < 2.0 for v in scaled)  # about variance one whatever d_k
    assert scaled[-1].mean_entropy > 0.5 * math.log(6)


def test_the_view_is_deterministic_and_the_seed_matters():
    assert torch.equal(pg.attention_view().weights, pg.attention_view().weights)
    assert not torch.equal(pg.attention_view(seed=1).weights, pg.attention_view().weights)


def test_html_shows_the_numbers_and_escapes_the_labels():
    view = pg.attention_view(mask="causal")
    page = pg.attention_html(view)
    assert f"{view.mean_entropy:.3f}" in page and f"{view.uniform_entropy:.3f}" in page
    assert f"{view.weights[1, 0].item():.2f}" in page and "[PAD]" in page and "causal" in page
    assert "-0.000" not in page  # a one-hot row has entropy 0, shown without a sign
    tricky = pg.AttentionView(**{**vars(view), "tokens": ("<script>",) + view.tokens[1:], "mask": "<b>"})
    page = pg.attention_html(tricky)
    assert "<script>" not in page and "&lt;script&gt;" in page and "&lt;b&gt;" in page


def test_moving_a_control_redraws_the_output():
    playground = pg.attention_playground()
    first = playground.output.value
    assert first == pg.attention_html(pg.attention_view())
    playground.controls["mask"].value = "none"
    after_mask = playground.output.value
    assert after_mask != first and "mask: <b>none</b>" in after_mask
    playground.controls["scaled"].value = False
    playground.controls["d_k"].value = 1024
    assert playground.output.value == pg.attention_html(pg.attention_view(d_k=1024, mask="none", scaled=False))
    playground.controls["temperature"].value = 5.0
    assert playground.output.value != after_mask
    assert len(playground.controls["mask"].options) >= 2


def test_a_bad_value_shows_a_sentence_and_the_bundle_has_both_views():
    playground = pg.attention_playground()
    assert "must be one of" in playground.render(mask="sideways")
    bundle = playground._repr_mimebundle_()
    assert WIDGET_VIEW in bundle and STATIC_NOTE in bundle["text/html"]
    assert pg.attention_html(pg.attention_view()) in bundle["text/html"]
