"""helpers.bias_probe: associations, effect size and permutation p-values by hand."""
import itertools
import math

import numpy as np
import pytest
import torch
from transformers import AutoModel, AutoTokenizer

from helpers.bias_probe import _association, effect_size, permutation_test, word_embeddings

A = torch.tensor([[1.0, 0.0]])
B = torch.tensor([[0.0, 1.0]])


def test_association_by_hand():
    w = torch.tensor([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    torch.testing.assert_close(_association(w, A, B), torch.tensor([1.0, -1.0, 0.0]))


def test_effect_size_by_hand():
    x = torch.tensor([[1.0, 0.0], [2.0, 1.0]])  # associations 1 and (2 - 1)/sqrt(5)
    y = torch.tensor([[0.0, 1.0], [1.0, 1.0]])  # -1 and 0
    s = np.array([1.0, 1 / math.sqrt(5), -1.0, 0.0])
    expected = (s[:2].mean() - s[2:].mean()) / s.std(ddof=1)
    assert effect_size(x, y, A, B) == pytest.approx(expected, rel=1e-6)
    assert effect_size(y, x, A, B) == pytest.approx(-expected, rel=1e-6)


def test_exact_permutation_p_value_by_enumeration():
    torch.manual_seed(0)
    x, y = torch.randn(4, 2) + torch.tensor([1.0, 0.0]), torch.randn(4, 2)
    s = _association(torch.cat([x, y]), A, B).double().numpy()
    observed = s[:4].sum() - s[4:].sum()
    stats = [s[list(g)].sum() * 2 - s.sum() for g in itertools.combinations(range(8), 4)]
    expected = np.mean(np.array(stats) >= observed - 1e-12)
    assert permutation_test(x, y, A, B) == pytest.approx(expected)
    assert 1 / 70 <= expected <= 1


def test_sampled_permutations_agree_with_the_exact_p_value():
    torch.manual_seed(1)
    x, y = torch.randn(7, 2) + torch.tensor([0.3, 0.0]), torch.randn(7, 2)  # C(14, 7) = 3432 splits
    exact = permutation_test(x, y, A, B, n_permutations=5000)
    sampled = permutation_test(x, y, A, B, n_permutations=2000, seed=0)
    assert sampled == pytest.approx(exact, abs=0.04)


def test_a_clearly_separated_pair_is_significant():
    x = torch.tensor([[1.0, 0.1], [1.0, 0.2], [1.0, 0.0], [0.9, 0.1]])
    y = torch.tensor([[0.1, 1.0], [0.2, 1.0], [0.0, 1.0], [0.1, 0.9]])
    assert effect_size(x, y, A, B) > 1.5
    assert permutation_test(x, y, A, B) == pytest.approx(1 / 70)  # only the observed split does as well


def test_word_embeddings_use_the_template():
    from helpers import settings
    cfg = settings()
    tokenizer = AutoTokenizer.from_pretrained(cfg.models.encoder)
    model = AutoModel.from_pretrained(cfg.models.encoder)
    plain = word_embeddings(model, tokenizer, ["nurse", "pilot"])
    in_sentence = word_embeddings(model, tokenizer, ["nurse", "pilot"], template="This is a {}.")
    assert plain.shape == in_sentence.shape == (2, model.config.hidden_size)
    assert not torch.allclose(plain, in_sentence)
