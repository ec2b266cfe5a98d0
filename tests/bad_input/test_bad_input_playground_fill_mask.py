"""Bad input to the fill-mask and generation playground (notebook 04): the view, its HTML and the builder.

A wrong type (not a model, not a tokenizer, not a string, not a view), a sentence with the wrong
number of blanks, and a k or a number of new tokens out of range; every call fails before a model runs.
"""
from __future__ import annotations

import pytest
import torch
from torch import nn

from bad_input import assert_rejects, bad, case_id
from helpers.playgrounds import fill_mask as playground


class _Model(nn.Linear):  # a stand-in model: every case fails before it is called
    def __init__(self) -> None:
        super().__init__(2, 2)
        self.config = type("Config", (), {"max_position_embeddings": 8})()

    def forward(self, *args, **kwargs):
        raise AssertionError("the model must not be reached")


def _tokenizer(*args, **kwargs):  # a stand-in tokenizer with a mask token: never called
    raise AssertionError("the tokenizer must not be reached")


_tokenizer.batch_decode = _tokenizer
_tokenizer.mask_token = "[MASK]"
MODEL = _Model()
FOUR = (MODEL, _tokenizer, MODEL, _tokenizer)
OK = "the [MASK] said"

CASES = [
    bad(playground.fill_mask_view, "type", "mlm_model", OK, "not a model", _tokenizer, MODEL, _tokenizer),
    bad(playground.fill_mask_view, "type", "lm_tokenizer", OK, MODEL, _tokenizer, MODEL, None),
    bad(playground.fill_mask_view, "type", "sentence", ["the", "[MASK]"], *FOUR),
    bad(playground.fill_mask_view, "shape", "sentence", "the [MASK] and the [MASK]", *FOUR),
    bad(playground.fill_mask_view, "shape", "sentence", "no blank at all", *FOUR),
    bad(playground.fill_mask_view, "range", "k", OK, *FOUR, k=0),
    bad(playground.fill_mask_view, "range", "new_tokens", OK, *FOUR, new_tokens=playground.MAX_NEW_TOKENS + 1),
    bad(playground.fill_mask_html, "type", "view", "The [MASK] said"),
    bad(playground.fill_mask_playground, "type", "lm_model", MODEL, _tokenizer, torch.ones(2), _tokenizer),
    bad(playground.fill_mask_playground, "type", "k", *FOUR, k=2.5),
    bad(playground.fill_mask_playground, "range", "k", *FOUR, k=playground.MAX_K + 1),
]

NOT_APPLICABLE: dict[str, dict[str, str]] = {
    "playgrounds.fill_mask.fill_mask_html": {"shape": "takes one FillMaskView, built consistent by fill_mask_view",
                                             "range": "takes one FillMaskView; it has no numeric argument"},
    "playgrounds.fill_mask.fill_mask_playground": {"shape": "a sentence without one [MASK] is shown as one "
                                                            "sentence in the output, not refused (the view's case)"},
}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_is_rejected_with_a_useful_message(case):
    assert_rejects(case)
