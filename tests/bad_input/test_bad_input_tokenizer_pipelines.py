"""Bad input to notebook 03's tokenizer comparison and pipeline-tour helpers (``tests/bad_input/bad_input.py`` explains a case)."""
from __future__ import annotations

import pytest
import torch
from tokenizers import Tokenizer, models

from bad_input import assert_rejects, bad, case_id
from helpers import pipelines_tour as tour, tokenizer_training as tt

TOKENIZER = Tokenizer(models.WordPiece({"[UNK]": 0, "a": 1}, unk_token="[UNK]"))
MODEL = torch.nn.Linear(2, 2)  # a stand-in model: a module with a .config
MODEL.config = type("Config", (), {"architectures": ["BertModel"]})()


def _tokenizer(*args, **kwargs):  # a stand-in: every case fails before a tokenizer is used
    raise AssertionError("the tokenizer must not be reached")


_tokenizer.batch_decode = _tokenizer

CASES = [
    bad(tt.train_subword_tokenizer, "type", "algorithm", 3, ["a text"], 200),
    bad(tt.train_subword_tokenizer, "type", "texts", "bpe", "one text", 200),
    bad(tt.train_subword_tokenizer, "range", "algorithm", "sentencepiece", ["a text"], 200),
    bad(tt.train_subword_tokenizer, "range", "vocab_size", "bpe", ["a text"], 10),
    bad(tt.train_subword_tokenizer, "range", "texts", "bpe", [], 200),
    bad(tt.segmentation_stats, "type", "tokenizer", "bert-base-uncased", ["a text"]),
    bad(tt.segmentation_stats, "type", "texts", TOKENIZER, "a text"),
    bad(tt.segmentation_stats, "range", "texts", TOKENIZER, []),
    bad(tt.pieces_of, "type", "tokenizer", None, "a text"),
    bad(tt.pieces_of, "type", "text", TOKENIZER, ["a text"]),
    bad(tt.pieces_of, "range", "text", TOKENIZER, " "),
    bad(tour.trained_for, "type", "model", "bert-base-uncased"),
    bad(tour.answer_question, "type", "model", "a model id", _tokenizer, "Who?", "Ann did."),
    bad(tour.answer_question, "type", "tokenizer", MODEL, "a tokenizer", "Who?", "Ann did."),
    bad(tour.answer_question, "type", "question", MODEL, _tokenizer, ["Who?"], "Ann did."),
    bad(tour.answer_question, "range", "context", MODEL, _tokenizer, "Who?", ""),
    bad(tour.answer_question, "range", "max_answer_tokens", MODEL, _tokenizer, "Who?", "Ann did.", max_answer_tokens=0),
    bad(tour.answer_question, "range", "max_length", MODEL, _tokenizer, "Who?", "Ann did.", max_length=2),
]

NOT_APPLICABLE: dict[str, dict[str, str]] = {
    "tokenizer_training.train_subword_tokenizer": {"shape": "takes text, which has no shape"},
    "tokenizer_training.segmentation_stats": {"shape": "takes text, which has no shape"},
    "tokenizer_training.pieces_of": {"shape": "takes text, which has no shape"},
    "pipelines_tour.trained_for": {"shape": "takes a model only", "range": "takes a model only"},
    "pipelines_tour.answer_question": {"shape": "takes text, which has no shape"},
    "pipelines_tour.loading_reports_silenced": {kind: "takes no argument" for kind in ("type", "shape", "range")},
}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_is_rejected_with_a_useful_message(case):
    assert_rejects(case)
