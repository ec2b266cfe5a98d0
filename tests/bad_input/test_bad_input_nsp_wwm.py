"""Bad input to notebook 04's sections 8 and 9 (whole_word, nsp): each wrong call names the argument,
what it got and what it expects. Every call fails before a model is trained or a file read."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from bad_input import assert_rejects, bad, case_id
from helpers import nsp, whole_word

WORDS = torch.tensor([[-1, 0, 0, 1, -1]])
IDS = torch.tensor([[2, 7, 8, 9, 3]])
FLAGS = torch.zeros(1, 5, dtype=torch.bool)
PAIR = nsp.SentencePair("A first sentence.", "A second one.", nsp.IS_NEXT)
ENCODED = dict(input_ids=IDS, token_type_ids=torch.tensor([[0, 0, 0, 1, 1]]), attention_mask=torch.ones(1, 5),
               labels=torch.tensor([0]))
MODEL = nn.Linear(2, 2)

CASES = [
    # --- whole_word ---
    bad(whole_word.word_ids_from_pieces, "type", "is_continuation", [[True, False]], FLAGS),
    bad(whole_word.word_ids_from_pieces, "shape", "special_mask", FLAGS, torch.zeros(1, 4, dtype=torch.bool)),
    bad(whole_word.word_ids_from_pieces, "range", "is_continuation", torch.zeros(0, dtype=torch.bool), FLAGS),
    bad(whole_word.whole_word_mask, "type", "word_ids", [[0, 1]]),
    bad(whole_word.whole_word_mask, "shape", "word_ids", torch.tensor([0, 1])),
    bad(whole_word.whole_word_mask, "range", "mlm_probability", WORDS, 1.5),
    bad(whole_word.whole_word_mask_tokens, "type", "input_ids", IDS.float(), WORDS, 4, 10),
    bad(whole_word.whole_word_mask_tokens, "shape", "word_ids", IDS, WORDS[:, :4], 4, 10),
    bad(whole_word.whole_word_mask_tokens, "range", "mask_token_id", IDS, WORDS, 10, 10),
    bad(whole_word.piece_positions, "type", "word_ids", WORDS.float()),
    bad(whole_word.piece_positions, "shape", "word_ids", WORDS[0]),
    bad(whole_word.piece_positions, "range", "word_ids", torch.tensor([[0, 7]])),
    # --- nsp ---
    bad(nsp.document_sentences, "type", "names", "ca01"),
    bad(nsp.document_sentences, "range", "names", ["zz99"], folder="/nonexistent", error=FileNotFoundError),
    bad(nsp.make_pairs, "type", "documents", "two sentences. in one string."),
    bad(nsp.make_pairs, "shape", "documents", [["only one document"]]),
    bad(nsp.make_pairs, "range", "seed", [["a"], ["b"]], seed=-1),
    bad(nsp.encode_pair, "type", "first", "hello", [1], 2, 3, 10),
    bad(nsp.encode_pair, "range", "max_length", [1], [1], 2, 3, 4),
    bad(nsp.encode_pairs, "type", "pairs", ["a", "b"], None, 10),
    bad(nsp.encode_pairs, "range", "max_length", [PAIR], None, 2),
    bad(nsp.nsp_batches, "type", "encoded", [IDS], 1),
    bad(nsp.nsp_batches, "shape", "encoded['labels']", dict(ENCODED, labels=torch.tensor([[0]])), 1),
    bad(nsp.nsp_batches, "range", "batch_size", ENCODED, 2),
    bad(nsp.held_out_batches, "type", "encoded", "pairs"),
    bad(nsp.held_out_batches, "shape", "encoded['labels']", dict(ENCODED, labels=torch.tensor(0))),
    bad(nsp.held_out_batches, "range", "batch_size", ENCODED, 0),
    bad(nsp.NextSentenceClassifier, "type", "encoder", "bert"),
    bad(nsp.NextSentenceClassifier, "range", "encoder", MODEL),
    bad(nsp.nsp_loss, "type", "model", "bert", ENCODED),
    bad(nsp.nsp_loss, "shape", "encoded['labels']", MODEL, dict(ENCODED, labels=torch.tensor([[0]]))),
    bad(nsp.nsp_accuracy, "type", "model", "bert", []),
    bad(nsp.nsp_accuracy, "range", "batches", MODEL, []),
    bad(nsp.overlap_scores, "type", "weights", ENCODED, [1.0, 2.0]),
    bad(nsp.overlap_scores, "shape", "weights", ENCODED, torch.ones(10, 2)),
    bad(nsp.overlap_scores, "range", "weights", ENCODED, torch.ones(5)),
    bad(nsp.fit_threshold, "type", "labels", torch.rand(3), [0, 1, 0]),
    bad(nsp.fit_threshold, "shape", "scores", torch.rand(3, 1), torch.tensor([0, 1, 0])),
    bad(nsp.fit_threshold, "range", "labels", torch.rand(3), torch.tensor([0, 1])),
]

NOT_APPLICABLE = {
    "nsp.document_sentences": {"shape": "it takes a flat list of file names, not an array"},
    "nsp.encode_pair": {"shape": "it takes two flat lists of token ids, not arrays"},
    "nsp.encode_pairs": {"shape": "it takes a flat list of sentence pairs, not an array"},
    "nsp.NextSentenceClassifier": {"shape": "it takes an encoder module, not an array"},
    "nsp.nsp_loss": {"range": "any token ids are scored; the model rejects ids outside its vocabulary"},
    "nsp.nsp_accuracy": {"shape": "batch tensors are checked by the model it runs"},
}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_is_rejected_with_a_useful_message(case):
    assert_rejects(case)
