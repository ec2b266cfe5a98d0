"""A small embedding association probe (WEAT-style, Caliskan et al. 2017) for a pretrained encoder.

    from helpers.bias_probe import word_embeddings, effect_size, permutation_test
    X = word_embeddings(model, tokenizer, ["engineer", ...])   # (n, D) target words, e.g. occupations
    effect_size(X, Y, A, B)       # how much more X than Y leans towards attribute A (vs B), in std units
    permutation_test(X, Y, A, B)  # one-sided p-value: how often a random split of X + Y does as well

For a word w, s(w, A, B) = mean cos(w, a) - mean cos(w, b): its lean towards A. The effect
size is (mean_x s - mean_y s) / std over X + Y of s (sample std), between -2 and 2.
The permutation test re-splits X + Y into two groups of the same sizes, every way (or at
random when there are too many ways), and counts how often the difference of summed
leans is at least the observed one.

The probe measures the geometry of one encoder's embeddings for hand-picked word lists in
a template; it does not measure what a downstream system does to people.
"""
from __future__ import annotations

import itertools
import math
from typing import Any, Sequence

import numpy as np
import torch

from .bert_inspect import cosine_matrix, sentence_embeddings
from .course.validation import require_int, require_str, require_strings, require_tensor


def _matrix(value: Any, name: str, width: int | None = None) -> torch.Tensor:
    wanted = f"(N, {width})" if width is not None else "(N, D) with N >= 1"
    require_tensor(name, value, 2, f"{wanted}, one embedding per row")
    if value.shape[0] < 1 or (width is not None and value.shape[1] != width):
        raise ValueError(f"{name} must be {wanted}, got shape {tuple(value.shape)}")
    return value.float()


def _embeddings(x: Any, y: Any, a: Any, b: Any) -> tuple[torch.Tensor, ...]:
    """The four checked (N, D) matrices of a test, all with the width of ``x``."""
    x = _matrix(x, "x")
    return (x, *(_matrix(value, name, x.shape[1]) for name, value in (("y", y), ("a", a), ("b", b))))


def word_embeddings(model: Any, tokenizer: Any, words: Sequence[str], template: str = "{}") -> torch.Tensor:
    """Mean-pooled encoder output of each word put in ``template`` (e.g. "This is a {}."): (N, D).

    Taught in: notebook 10, section 5.
    """
    words = require_strings("words", words, min_length=1)
    for index, word in enumerate(words):
        require_str(f"words[{index}]", word)
    require_str("template", template)
    if template.count("{}") != 1:
        raise ValueError(f"template must be a string with exactly one '{{}}' for the word, got {template!r}")
    return sentence_embeddings(model, tokenizer, [template.format(w) for w in words])  # (N, D)


def _association(w: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """s(w, A, B) = mean cosine with A - mean cosine with B, for each row of ``w``: (N,)."""
    return cosine_matrix(w, a).mean(dim=1) - cosine_matrix(w, b).mean(dim=1)  # (N,)


def effect_size(x: torch.Tensor, y: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> float:
    """(mean_x s - mean_y s) / sample std of s over X and Y together (WEAT's d).

    Taught in: notebook 10, section 5.
    """
    x, y, a, b = _embeddings(x, y, a, b)
    s = _association(torch.cat([x, y]), a, b)  # (n_x + n_y,)
    spread = s.std(unbiased=True)
    if len(s) < 3 or spread == 0:
        raise ValueError(f"x and y need at least 3 words together with differing associations, got {len(s)}")
    return float((s[: len(x)].mean() - s[len(x):].mean()) / spread)


def permutation_test(x: torch.Tensor, y: torch.Tensor, a: torch.Tensor, b: torch.Tensor,
                     n_permutations: int = 10000, seed: int = 0) -> float:
    """One-sided p-value of sum_x s - sum_y s over re-splits of X + Y (exact when there are few).

    Taught in: notebook 10, section 5.
    """
    x, y, a, b = _embeddings(x, y, a, b)
    require_int("n_permutations", n_permutations, minimum=100)
    require_int("seed", seed, minimum=0)
    s = _association(torch.cat([x, y]), a, b).double().numpy()  # (n,)
    n, k = len(s), len(x)
    observed = s[:k].sum() - s[k:].sum()
    total = s.sum()
    if math.comb(n, k) <= n_permutations:  # every split, exactly
        sums = np.array([s[list(group)].sum() for group in itertools.combinations(range(n), k)])
    else:
        generator = np.random.default_rng(seed)
        sums = np.array([s[generator.permutation(n)[:k]].sum() for _ in range(n_permutations)])
    statistics = sums - (total - sums)  # sum over the first group - sum over the rest
    return float(np.mean(statistics >= observed - 1e-12))
