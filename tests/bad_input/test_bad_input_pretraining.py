"""Bad input to notebook 04's helpers (objectives, pretraining, corpus): each wrong call names the
argument, what it got and what it expects. Every call fails before a model is trained or a file read."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from bad_input import assert_rejects, bad, case_id
from helpers import objectives, pretraining
from helpers.data import corpus
from helpers.pretraining import Batch, ModelSize

IDS = torch.ones(2, 4, dtype=torch.long)
SPECIAL = torch.zeros(2, 4, dtype=torch.bool)
LOGITS = torch.zeros(2, 4, 5)
SIZE = ModelSize(1, 8, 2, 8)
MODEL = nn.Linear(2, 2)
BATCH = Batch({"input_ids": IDS, "labels": IDS}, tokens=8, targets=6)


def stream():
    return pretraining.lm_batches(IDS, 2)


CASES = [
    # --- objectives ---
    bad(objectives.mask_tokens, "type", "input_ids", [[1, 2]], SPECIAL, 4, 10),
    bad(objectives.mask_tokens, "shape", "special_mask", IDS, torch.zeros(2, 3, dtype=torch.bool), 4, 10),
    bad(objectives.mask_tokens, "range", "mlm_probability", IDS, SPECIAL, 4, 10, mlm_probability=1.5),
    bad(objectives.masking_stats, "type", "labels", IDS, IDS, "labels", SPECIAL, 4),
    bad(objectives.masking_stats, "shape", "labels", IDS, IDS, IDS[:, :3], SPECIAL, 4),
    bad(objectives.masking_stats, "range", "mask_token_id", IDS, IDS, IDS, SPECIAL, -1),
    bad(objectives.shift_for_causal_lm, "type", "input_ids", [1, 2, 3]),
    bad(objectives.shift_for_causal_lm, "shape", "input_ids", torch.ones(2, 1, dtype=torch.long)),
    bad(objectives.shift_for_causal_lm, "range", "input_ids", torch.ones(3, 0, dtype=torch.long)),
    bad(objectives.causal_lm_loss, "type", "input_ids", LOGITS, IDS.float()),
    bad(objectives.causal_lm_loss, "shape", "logits", torch.zeros(2, 3, 5), IDS),
    bad(objectives.causal_lm_loss, "range", "input_ids", torch.zeros(2, 1, 5), torch.ones(2, 1, dtype=torch.long)),
    bad(objectives.perplexity, "type", "loss", "2.3"),
    bad(objectives.perplexity, "shape", "loss", torch.ones(3)),
    bad(objectives.perplexity, "range", "loss", -0.5),
    bad(objectives.pseudo_perplexity, "type", "model", "bert", IDS, SPECIAL, 4),
    bad(objectives.pseudo_perplexity, "range", "batch_size", MODEL, IDS, SPECIAL, 4, batch_size=0),
    bad(objectives.pseudo_perplexity, "range", "mask_token_id", MODEL, IDS, SPECIAL, -1),
    bad(objectives.pseudo_perplexity, "type", "sequences", MODEL, [[1, 2]], SPECIAL, 4),
    bad(objectives.pseudo_perplexity, "shape", "sequences", MODEL, IDS[0], SPECIAL, 4),
    bad(objectives.pseudo_perplexity, "range", "special_mask", MODEL, IDS, torch.ones(2, 4, dtype=torch.bool), 4),
    bad(objectives.unigram_counts, "type", "token_ids", [1, 2, 3], 10),
    bad(objectives.unigram_counts, "range", "token_ids", torch.tensor([1, 12]), 10),
    bad(objectives.unigram_baseline, "type", "held_out_ids", IDS, "abc", 10),
    bad(objectives.unigram_baseline, "shape", "held_out_ids", IDS, torch.ones(0, dtype=torch.long), 10),
    bad(objectives.unigram_baseline, "range", "smoothing", IDS, IDS, 10, smoothing=0.0),
    bad(objectives.load_masked_lm, "type", "name_or_path", 42),
    bad(objectives.load_masked_lm, "range", "name_or_path", "", error=ValueError),
    # --- pretraining ---
    bad(ModelSize, "type", "hidden", 1, 64.0, 4, 64),
    bad(ModelSize, "range", "layers", 0, 64, 4, 64),
    bad(ModelSize, "shape", "hidden", 1, 30, 4, 64),
    bad(pretraining.mlm_config, "type", "size", 100, (1, 8, 2, 8)),
    bad(pretraining.mlm_config, "range", "pad_token_id", 100, SIZE, pad_token_id=100),
    bad(pretraining.mlm_config, "range", "positions", 100, SIZE, positions="absolute"),
    bad(pretraining.lm_config, "type", "vocab_size", "100", SIZE),
    bad(pretraining.lm_config, "range", "eos_token_id", 100, SIZE, eos_token_id=-1),
    bad(pretraining.lm_batches, "range", "seed", IDS, 2, seed=-1),
    bad(pretraining.lm_batches, "type", "blocks", [[1, 2]], 2),
    bad(pretraining.lm_batches, "shape", "blocks", torch.ones(4, dtype=torch.long), 2),
    bad(pretraining.lm_batches, "range", "batch_size", IDS, 0),
    bad(pretraining.mlm_batches, "type", "special_ids", IDS, 2, "[CLS]", 4, 10),
    bad(pretraining.mlm_batches, "shape", "blocks", torch.ones(2, 2, 2, dtype=torch.long), 2, [0], 4, 10),
    bad(pretraining.mlm_batches, "range", "mlm_probability", IDS, 2, [0], 4, 10, mlm_probability=0.0),
    bad(pretraining.model_loss, "type", "inputs", MODEL, [IDS, IDS]),
    bad(pretraining.model_loss, "shape", "inputs['labels']", MODEL, {"input_ids": IDS, "labels": IDS[:, :3]}),
    bad(pretraining.masked_positions_loss, "type", "model", MODEL, {"input_ids": IDS, "labels": IDS}),
    bad(pretraining.masked_positions_loss, "shape", "inputs['input_ids']", MODEL,
        {"input_ids": IDS[0], "labels": IDS[0]}),
    bad(pretraining.mean_loss, "type", "batches", MODEL, [IDS]),
    bad(pretraining.mean_loss, "range", "batches", MODEL, []),
    bad(pretraining.pretrain, "type", "batches", MODEL, [BATCH], 5),
    bad(pretraining.pretrain, "range", "steps", MODEL, stream(), 0),
    bad(pretraining.pretrain, "range", "lr", MODEL, stream(), 5, lr=0.0),
    # --- corpus ---
    bad(corpus.read_brown_file, "type", "path", 42),
    bad(corpus.read_brown_file, "range", "path", "/nonexistent/ca01", error=FileNotFoundError),
    bad(corpus.brown_documents, "type", "folder", 42),
    bad(corpus.brown_documents, "range", "folder", "/nonexistent/brown", error=FileNotFoundError),
    bad(corpus.split_documents, "type", "documents", "ca01"),
    bad(corpus.split_documents, "range", "held_out_fraction", [], 0.0),
    bad(corpus.train_wordpiece, "type", "texts", "one text", 1000),
    bad(corpus.train_wordpiece, "range", "vocab_size", ["a text"], 100),
    bad(corpus.train_byte_bpe, "type", "vocab_size", ["a text"], 1000.0),
    bad(corpus.train_byte_bpe, "range", "texts", [], 1000),
    bad(corpus.pack_blocks, "type", "token_ids", "1 2 3", 4),
    bad(corpus.pack_blocks, "shape", "token_ids", [1, 2, 3], 4),
    bad(corpus.pack_blocks, "range", "block_length", [[1, 2, 3]], 2, prefix=0, suffix=1),
]

NOT_APPLICABLE = {
    "objectives.unigram_counts": {"shape": "token_ids may have any shape: it is counted flat"},
    "objectives.load_masked_lm": {"shape": "it takes a Hub id or a folder path, not an array"},
    "pretraining.ModelSize": {},
    "pretraining.mlm_config": {"shape": "it takes sizes, not arrays"},
    "pretraining.lm_config": {"shape": "it takes sizes, not arrays"},
    "pretraining.model_loss": {"range": "any token ids are scored; the model rejects ids outside its vocabulary"},
    "pretraining.masked_positions_loss": {"range": "any token ids are scored; the model rejects ids outside its vocabulary"},
    "pretraining.mean_loss": {"shape": "batch tensors are checked by the loss function it calls"},
    "pretraining.pretrain": {"shape": "batch tensors are checked by the loss function it calls"},
    "data.corpus.read_brown_file": {"shape": "it takes a path, not an array"},
    "data.corpus.brown_documents": {"shape": "it takes a folder path, not an array"},
    "data.corpus.split_documents": {"shape": "it takes a flat list of documents, not an array"},
    "data.corpus.train_wordpiece": {"shape": "it takes a flat list of texts, not an array"},
    "data.corpus.train_byte_bpe": {"shape": "it takes a flat list of texts, not an array"},
}
NOT_APPLICABLE = {name: kinds for name, kinds in NOT_APPLICABLE.items() if kinds}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_is_rejected_with_a_useful_message(case):
    assert_rejects(case)
