"""helpers.attribution: gradient x input by hand and by finite differences, attention rows, Spearman vs scipy."""
import pytest
import torch
from scipy.stats import spearmanr
from torch import nn
from transformers import BertForSequenceClassification
from types import SimpleNamespace

import tiny_models

from helpers.attribution import (cls_attention, _deletion_order, deletion_curve, gradient_x_input, rank_correlation,
                                  removal_effect)


class SumModel(nn.Module):
    """logits = W @ sum_t e_t: gradient x input of class c at token t is exactly W[c] . e_t."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.embed = nn.Embedding(10, 4)
        self.head = nn.Linear(4, 2, bias=False)

    def get_input_embeddings(self):
        return self.embed

    def forward(self, inputs_embeds=None, attention_mask=None, input_ids=None):
        x = self.embed(input_ids) if inputs_embeds is None else inputs_embeds
        return SimpleNamespace(logits=self.head(x.sum(dim=1)))


def tiny_bert(eager: bool = False) -> BertForSequenceClassification:
    return tiny_models.tiny_bert(layers=2, num_labels=2, eager=eager).eval()


def test_gradient_x_input_of_a_linear_model_by_hand():
    model = SumModel()
    ids = torch.tensor([[1, 2, 3]])
    scores = gradient_x_input(model, {"input_ids": ids}, target=1)
    expected = model.embed(ids)[0] @ model.head.weight[1]  # (T,)
    torch.testing.assert_close(scores[0], expected.detach())
    assert all(p.grad is None for p in model.parameters())  # parameters untouched


def test_gradient_x_input_is_the_derivative_of_scaling_each_token():
    model = tiny_bert().double()
    ids = torch.tensor([[2, 5, 7, 9, 3]])
    mask = torch.ones_like(ids)
    scores = gradient_x_input(model, {"input_ids": ids, "attention_mask": mask}, target=0)[0]
    embeds = model.get_input_embeddings()(ids).detach()
    for t in range(5):
        def logit(alpha):
            scaled = embeds.clone()
            scaled[0, t] *= alpha
            with torch.no_grad():
                return model(inputs_embeds=scaled, attention_mask=mask).logits[0, 0]
        eps = 1e-5
        numeric = (logit(1 + eps) - logit(1 - eps)) / (2 * eps)  # d logit / d alpha = grad_t . e_t
        assert float(scores[t]) == pytest.approx(float(numeric), rel=1e-4, abs=1e-8)


def test_gradient_x_input_defaults_to_the_predicted_class_and_keeps_the_mode():
    model = tiny_bert()
    model.train()
    ids = torch.tensor([[2, 5, 7, 3]])
    with torch.no_grad():
        model.eval()
        predicted = int(model(input_ids=ids).logits.argmax())
        model.train()
    assert torch.equal(gradient_x_input(model, {"input_ids": ids}), gradient_x_input(model, {"input_ids": ids}, predicted))
    assert model.training


def test_cls_attention_rows_sum_to_one_and_ignore_padding():
    model = tiny_bert(eager=True)
    inputs = {"input_ids": torch.tensor([[2, 5, 7, 3, 0]]), "attention_mask": torch.tensor([[1, 1, 1, 1, 0]])}
    attn = cls_attention(model, inputs)
    assert attn.shape == (1, 5)
    torch.testing.assert_close(attn.sum(dim=-1), torch.ones(1))
    assert float(attn[0, 4]) < 1e-6
    first = cls_attention(model, inputs, layer=0)
    with torch.no_grad():
        full = model(**inputs, output_attentions=True).attentions[0]  # (1, H, T, T)
    torch.testing.assert_close(first, full[:, :, 0, :].mean(dim=1))


@pytest.mark.parametrize("a, b", [([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]), ([3, 1, 4, 1, 5, 9, 2], [2, 7, 1, 8, 2, 8, 1]),
                                  ([0.1, 0.4, 0.2], [3.0, 1.0, 2.0])])
def test_rank_correlation_matches_scipy(a, b):
    assert rank_correlation(a, b) == pytest.approx(spearmanr(a, b).statistic)
    assert rank_correlation(torch.tensor(a, dtype=torch.float), torch.tensor(b, dtype=torch.float)) == \
        pytest.approx(spearmanr(a, b).statistic)


def test_removal_effect_by_hand():
    model = tiny_bert()
    inputs = {"input_ids": torch.tensor([[2, 5, 7, 9, 3]]), "attention_mask": torch.ones(1, 5, dtype=torch.long)}
    scores = torch.tensor([9.0, 0.1, 5.0, 0.2, 9.0])  # special tokens 0 and 4 are never removed
    assert removal_effect(model, inputs, scores, k=0) == 0.0
    with torch.no_grad():
        before = model(**inputs).logits.softmax(-1)[0]
        c = int(before.argmax())
        after = model(input_ids=inputs["input_ids"], attention_mask=torch.tensor([[1, 1, 0, 1, 1]])).logits.softmax(-1)[0]
    log_odds = lambda p: float(torch.log(p[c] / (1 - p[c])))  # noqa: E731
    assert removal_effect(model, inputs, scores, k=1) == pytest.approx(log_odds(before) - log_odds(after), abs=1e-7)


class MaskedSumModel(SumModel):
    """logits = W @ sum_t mask_t e_t: deleting token t (mask 0) moves logit c by exactly -W[c] . e_t."""

    def forward(self, inputs_embeds=None, attention_mask=None, input_ids=None):
        x = self.embed(input_ids) if inputs_embeds is None else inputs_embeds  # (B, T, D)
        mask = torch.ones(x.shape[:2]) if attention_mask is None else attention_mask.float()  # (B, T)
        return SimpleNamespace(logits=self.head((x * mask[..., None]).sum(dim=1)))


def test_deletion_order_is_signed_where_the_absolute_order_differs():
    scores = torch.tensor([9.0, 3.0, -5.0, 1.0, 0.5, 9.0])  # token 2 argues hardest *against* the class
    ends = torch.tensor([True, False, False, False, False, True])   # [CLS] and [SEP] stay
    assert _deletion_order(scores, ends).tolist() == [1, 3, 4, 2]          # supporters first, the opponent last
    assert _deletion_order(scores.abs(), ends).tolist() == [2, 1, 3, 4]    # by size, the opponent would go first
    keep = torch.tensor([True, False, False, True, False, True])
    assert _deletion_order(scores, keep).tolist() == [1, 4, 2]
    ties = torch.tensor([0.0, 2.0, 2.0, 1.0, 0.0])
    assert _deletion_order(ties, ends[[0, 1, 2, 3, 5]]).tolist() == [1, 2, 3]  # ties: left to right


def test_deleting_by_signed_attribution_lowers_the_predicted_class_fastest():
    model = MaskedSumModel()
    with torch.no_grad():  # a hand-made case: tokens 1, 2 support class 1, token 3 opposes it strongly
        model.embed.weight.zero_()
        model.head.weight.copy_(torch.tensor([[0.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]]))
        model.embed.weight[[1, 2, 3, 4], 0] = torch.tensor([1.0, 0.5, -3.0, 2.0])
    inputs = {"input_ids": torch.tensor([[4, 1, 2, 3, 4]]), "attention_mask": torch.ones(1, 5, dtype=torch.long)}
    grad_x = gradient_x_input(model, inputs)[0]  # the predicted class is 1: z_1 = 2 + 1 + 0.5 - 3 + 2 = 2.5, z_0 = 0
    torch.testing.assert_close(grad_x, torch.tensor([2.0, 1.0, 0.5, -3.0, 2.0]))
    signed = deletion_curve(model, inputs, grad_x, k_max=3)
    by_size = deletion_curve(model, inputs, grad_x.abs(), k_max=3)
    p_class = lambda z: torch.sigmoid(z)  # noqa: E731  (two classes: p_1 = sigmoid(z_1 - z_0))
    torch.testing.assert_close(signed, p_class(torch.tensor([2.5, 1.5, 1.0, 4.0])))  # deleting the opponent last
    torch.testing.assert_close(by_size[:2], p_class(torch.tensor([2.5, 5.5])))  # by size: opponent first, p rises
    assert signed[1] < signed[0] < by_size[1]


def test_deletion_curve_matches_removal_effect_and_keeps_the_mode():
    model = tiny_bert()
    model.train()
    inputs = {"input_ids": torch.tensor([[2, 5, 7, 9, 8, 3]]), "attention_mask": torch.ones(1, 6, dtype=torch.long)}
    scores = torch.tensor([0.0, 0.3, -1.0, 2.0, 0.1, 0.0])
    curve = deletion_curve(model, inputs, scores, k_max=4)
    assert curve.shape == (5,) and model.training
    log_odds = lambda p: float(torch.log(p / (1 - p)))  # noqa: E731
    for k in range(5):
        assert removal_effect(model, inputs, scores, k=k) == pytest.approx(log_odds(curve[0]) - log_odds(curve[k]),
                                                                           abs=1e-5)
    with pytest.raises(ValueError, match="k_max"):
        deletion_curve(model, inputs, scores, k_max=5)
