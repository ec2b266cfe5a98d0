"""Notebook 07's optional placeholder experiment (section 8): ``train_and_translate``, executed from the
notebook's own cell on a tiny BERT checkpoint and a handful of pairs, trains the steps it is asked for,
freezes what section 7 freezes, and returns one output per test source (capped as section 5 caps)."""
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
import torch
from transformers import BertConfig, BertModel, BertTokenizerFast

from helpers import seq2seq
from helpers.freezing import freeze_module
from helpers.seq2seq import as_tokenizer_writes, cross_attention_from_self, generate, warm_start
from helpers.data.splits import split_indices, to_dataset_dict
from helpers.data.translation import pairs_of
from test_seq2seq import _notebook_definitions

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "07_translation.ipynb"
WORDS = "add change delete x y the user group password save toevoegen wijzigen verwijderen de gebruiker groep " \
        "wachtwoord opslaan".split()
PAIRS = [("Add X", "X toevoegen"), ("Change X", "X wijzigen"), ("Delete X", "X verwijderen"),
         ("Save the user", "de gebruiker opslaan"), ("Delete the group", "de groep verwijderen"),
         ("Change the password", "de wachtwoord wijzigen"), ("Add the user", "de gebruiker toevoegen"),
         ("Save X", "X opslaan"), ("Delete the user", "de gebruiker verwijderen"), ("Add the group", "de groep toevoegen"),
         ("Change X Y", "X Y wijzigen"), ("Save the group", "de groep opslaan")]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny-bert-07")
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]
    tokenizer = BertTokenizerFast(vocab={token: i for i, token in enumerate(tokens)}, do_lower_case=True)
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=32, pad_token_id=0)
    torch.manual_seed(0)
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


def notebook_function(checkpoint: str, eval_examples: int, trainers: list):
    """``train_and_translate`` from its notebook cell, with the names the notebook defines before it."""
    cells = [c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells
             if c.cell_type == "code" and "def train_and_translate(" in c.source]
    assert len(cells) == 1, "notebook 07 defines train_and_translate in exactly one code cell"
    _, tokenizer, _ = warm_start(checkpoint, decoder_layers=1)

    def recording_trainer(*args, **kwargs):  # the helper itself, remembered so the test can look at it
        trainer = seq2seq.seq2seq_trainer(*args, **kwargs)
        trainers.append(trainer)
        return trainer

    cfg = SimpleNamespace(models=SimpleNamespace(encoder=checkpoint), scale="tiny",
                          seq2seq=SimpleNamespace(freeze=True, batch_size=4),
                          translation=SimpleNamespace(eval_examples=eval_examples))
    namespace = {"cfg": cfg,
                 "decoder_layers": 1, "tokenizer": tokenizer, "START": tokenizer.cls_token_id, "MAX_LEN": 8,
                 "TARGET": "nl", "columns": ("input_ids", "attention_mask", "labels"), "learning_rate": 1e-3,
                 "device": torch.device("cpu"), "decode_settings": dict(max_source_length=8, max_new_tokens=4),
                 "warm_start": warm_start, "cross_attention_from_self": cross_attention_from_self,
                 "freeze_module": freeze_module,
                 "seq2seq_trainer": recording_trainer, "generate": generate, "pairs_of": pairs_of,
                 "as_tokenizer_writes": as_tokenizer_writes}
    exec(_notebook_definitions(NOTEBOOK, "preprocess"), namespace)
    exec(compile(cells[0], str(NOTEBOOK), "exec"), namespace)
    return namespace["train_and_translate"], tokenizer


@pytest.mark.parametrize("eval_examples,expected", [(0, 4), (2, 2)])  # 0: the whole test split, as in section 5
def test_train_and_translate_trains_and_translates_the_test_split(checkpoint, eval_examples, expected):
    trainers = []
    train_and_translate, tokenizer = notebook_function(checkpoint, eval_examples, trainers)
    data = to_dataset_dict({"translation": [{"en": en, "nl": nl} for en, nl in PAIRS]},
                           split_indices(len(PAIRS), validation=2, test=4))
    torch.manual_seed(0)
    sources, references, outputs = train_and_translate(data, steps=3)
    test_sources, test_targets = pairs_of(data["test"], "nl")
    assert sources == test_sources[:expected] and len(outputs) == expected
    assert references == as_tokenizer_writes(tokenizer, test_targets[:expected])
    assert all(isinstance(text, str) for text in outputs)
    (trainer,) = trainers
    assert trainer.state.global_step == 3 and len(trainer.train_dataset) == 6
    model = trainer.model
    assert not any(p.requires_grad for p in model.encoder.parameters())  # section 7's freezing: the encoder only
    assert model.decoder.get_input_embeddings().weight.requires_grad  # the output layer shares them: it learns Dutch
    layer = model.decoder.bert.encoder.layer[0]
    assert layer.crossattention.self.query.weight.requires_grad
    # cross-attention started as a copy of self-attention, and the 3 steps moved it away
    assert not torch.equal(layer.crossattention.self.query.weight, layer.attention.self.query.weight)
