"""Bad input to notebook 07's translator playground (helpers.playgrounds.translator): a wrong type, a model that
is not an encoder-decoder, an empty text, an unknown decoding or beam count. Every call fails before the model
runs (``tests/bad_input/bad_input.py`` explains a case)."""
from __future__ import annotations

import pytest
import torch
from transformers import BertConfig, BertModel

from bad_input import assert_rejects, bad, case_id
from helpers.playgrounds import translator
from test_playground_translator import tiny_bert2bert

MODEL, TOKENIZER = tiny_bert2bert()
torch.manual_seed(0)
ENCODER_ONLY = BertModel(BertConfig(vocab_size=21, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                    intermediate_size=32))
LIMITS = dict(max_source_length=8, max_new_tokens=4)

CASES = [
    bad(translator.translation_view, "type", "text", ["New password:"], MODEL, TOKENIZER),
    bad(translator.translation_view, "type", "tokenizer", "New", MODEL, "bert-base-uncased"),
    bad(translator.translation_view, "shape", "model", "New", ENCODER_ONLY, TOKENIZER),
    bad(translator.translation_view, "range", "text", "  ", MODEL, TOKENIZER),
    bad(translator.translation_view, "range", "decoding", "New", MODEL, TOKENIZER, decoding="sampling"),
    bad(translator.translation_view, "range", "num_beams", "New", MODEL, TOKENIZER, decoding="beam", num_beams=1),
    bad(translator.translation_view, "range", "max_new_tokens", "New", MODEL, TOKENIZER, max_new_tokens=0),
    bad(translator.translation_html, "type", "view", {"source": "New"}),
    bad(translator.translator_playground, "type", "model", "model", TOKENIZER, **LIMITS),
    bad(translator.translator_playground, "type", "max_source_length", MODEL, TOKENIZER, max_source_length="8",
        max_new_tokens=4),
    bad(translator.translator_playground, "range", "num_beams", MODEL, TOKENIZER, num_beams=20, **LIMITS),
]

NOT_APPLICABLE: dict[str, dict[str, str]] = {
    "playgrounds.translator.translation_html": {
        "shape": "takes one TranslationView, which translation_view built",
        "range": "any TranslationView can be drawn"},
    "playgrounds.translator.translator_playground": {
        "shape": "takes a model, a tokenizer and numbers; the model's kind is translation_view's shape case"},
}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_is_rejected_with_a_useful_message(case):
    assert_rejects(case)
