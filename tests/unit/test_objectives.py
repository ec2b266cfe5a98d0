"""The pre-training objectives: BERT's masking recipe (against transformers' collator), label
shifting, losses (against the models' own), perplexity, pseudo-perplexity and the unigram baseline."""
import math

import pytest
import torch
from transformers import BertConfig, BertForMaskedLM, DataCollatorForLanguageModeling, GPT2Config, GPT2LMHeadModel

from helpers import objectives as obj

VOCAB, MASK, SPECIAL = 500, 4, (0, 1, 2, 3, 4)  # [PAD] [UNK] [CLS] [SEP] [MASK]


def batch(rows=512, length=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(len(SPECIAL), VOCAB, (rows, length), generator=g)  # (B, T)
    ids[:, 0], ids[:, -1] = 2, 3  # [CLS] ... [SEP]
    ids[: rows // 4, -10:-1] = 0  # some padding
    return ids, torch.isin(ids, torch.tensor(SPECIAL))


def test_recipe_statistics_and_labels():
    ids, special = batch()
    inputs, labels = obj.mask_tokens(ids, special, MASK, VOCAB, generator=torch.Generator().manual_seed(1))
    stats = obj.masking_stats(ids, inputs, labels, special, MASK)
    assert stats.special_selected == 0
    assert abs(stats.selected - 0.15) < 0.01
    assert abs(stats.mask - 0.8) < 0.02 and abs(stats.random - 0.1) < 0.02 and abs(stats.unchanged - 0.1) < 0.02
    chosen = labels != obj.IGNORE_INDEX
    assert torch.equal(labels[chosen], ids[chosen])  # labels are the originals at chosen positions
    assert torch.equal(inputs[~chosen], ids[~chosen])  # nothing else changes
    assert not special[chosen].any()


def test_input_is_not_modified_and_generator_makes_it_reproducible():
    ids, special = batch(rows=8)
    copy = ids.clone()
    a = obj.mask_tokens(ids, special, MASK, VOCAB, generator=torch.Generator().manual_seed(5))
    b = obj.mask_tokens(ids, special, MASK, VOCAB, generator=torch.Generator().manual_seed(5))
    assert torch.equal(ids, copy) and all(torch.equal(x, y) for x, y in zip(a, b))


@pytest.mark.parametrize("mask_fraction,random_fraction", [(1.0, 0.0), (0.0, 1.0), (0.5, 0.25)])
def test_recipe_fractions_are_parameters(mask_fraction, random_fraction):
    ids, special = batch(rows=256)
    inputs, labels = obj.mask_tokens(ids, special, MASK, VOCAB, mask_fraction=mask_fraction,
                                     random_fraction=random_fraction, generator=torch.Generator().manual_seed(2))
    stats = obj.masking_stats(ids, inputs, labels, special, MASK)
    assert abs(stats.mask - mask_fraction) < 0.03 and abs(stats.random - random_fraction) < 0.03


def test_same_statistics_as_the_transformers_collator():
    from transformers import PreTrainedTokenizerFast
    from tokenizers import Tokenizer, models
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"w{i}" for i in range(VOCAB - 5)])}
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(models.WordLevel(vocab, unk_token="[UNK]")),
                                        pad_token="[PAD]", unk_token="[UNK]", cls_token="[CLS]", sep_token="[SEP]",
                                        mask_token="[MASK]")
    ids, special = batch()
    collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=0.15, seed=3)
    out = collator([{"input_ids": row} for row in ids.tolist()])
    theirs = obj.masking_stats(ids, out["input_ids"], out["labels"], special, MASK)
    inputs, labels = obj.mask_tokens(ids, special, MASK, VOCAB, generator=torch.Generator().manual_seed(3))
    ours = obj.masking_stats(ids, inputs, labels, special, MASK)
    assert theirs.special_selected == ours.special_selected == 0  # the collator never masks [CLS] [SEP] [PAD]
    for field in ("selected", "mask", "random", "unchanged"):
        assert abs(getattr(ours, field) - getattr(theirs, field)) < 0.02, field


@pytest.mark.parametrize("bad", [dict(mlm_probability=1.5), dict(mask_fraction=0.9, random_fraction=0.2)])
def test_bad_probabilities_are_named(bad):
    ids, special = batch(rows=2)
    with pytest.raises(ValueError, match=next(iter(bad))):
        obj.mask_tokens(ids, special, MASK, VOCAB, **bad)


def test_special_mask_shape_is_checked():
    ids, special = batch(rows=2)
    with pytest.raises(ValueError, match="special_mask"):
        obj.mask_tokens(ids, special[:, 1:], MASK, VOCAB)


def test_shift_for_causal_lm():
    ids = torch.arange(10).view(2, 5)
    inputs, labels = obj.shift_for_causal_lm(ids)
    assert inputs.tolist() == [[0, 1, 2, 3], [5, 6, 7, 8]] and labels.tolist() == [[1, 2, 3, 4], [6, 7, 8, 9]]
    with pytest.raises(ValueError, match="at least 2 tokens"):
        obj.shift_for_causal_lm(torch.tensor([[1]]))


def tiny_models():
    torch.manual_seed(0)
    bert = BertForMaskedLM(BertConfig(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                      intermediate_size=64, max_position_embeddings=64)).eval()
    gpt = GPT2LMHeadModel(GPT2Config(vocab_size=VOCAB, n_embd=32, n_layer=1, n_head=2, n_positions=64)).eval()
    return bert, gpt


def test_losses_match_the_models_own():
    bert, gpt = tiny_models()
    ids, special = batch(rows=4, length=16)
    inputs, labels = obj.mask_tokens(ids, special, MASK, VOCAB, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        out = bert(input_ids=inputs, labels=labels)
        assert torch.isclose(obj._masked_lm_loss(out.logits, labels), out.loss, atol=1e-6)
        out = gpt(input_ids=ids, labels=ids)
        assert torch.isclose(obj.causal_lm_loss(out.logits, ids), out.loss, atol=1e-6)
        # the shift matters: scoring position t against token t is a different number
        assert not torch.isclose(obj._masked_lm_loss(out.logits, ids), out.loss, atol=1e-3)


def test_causal_loss_uses_only_the_past():
    _, gpt = tiny_models()
    ids, _ = batch(rows=1, length=12)
    changed = ids.clone()
    changed[0, -1] = (ids[0, -1] + 1) % VOCAB  # change the last token only
    with torch.no_grad():
        a, b = gpt(input_ids=ids).logits, gpt(input_ids=changed).logits
    assert torch.allclose(a[:, :-1], b[:, :-1], atol=1e-5)  # earlier predictions cannot see it


def test_perplexity_is_exp_of_the_loss():
    assert obj.perplexity(math.log(7.0)) == pytest.approx(7.0)
    assert obj.perplexity(torch.tensor(0.0)) == 1.0


def test_uniform_model_has_perplexity_vocab_size():
    class Uniform(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))

        def forward(self, input_ids):
            return type("Out", (), {"logits": torch.zeros(*input_ids.shape, VOCAB) + self.w})()

    ids, special = batch(rows=2, length=10)
    assert obj.pseudo_perplexity(Uniform(), ids, special, MASK, batch_size=3) == pytest.approx(VOCAB, rel=1e-5)


def test_pseudo_log_likelihoods_mask_one_position_at_a_time():
    bert, _ = tiny_models()
    ids, special = batch(rows=1, length=10)
    scores = obj._pseudo_log_likelihoods(bert, ids[0], special[0], MASK, batch_size=3)
    assert scores.shape == (int((~special[0]).sum()),)
    position = int((~special[0]).nonzero()[2])
    masked = ids.clone()
    masked[0, position] = MASK
    with torch.no_grad():
        expected = bert(input_ids=masked).logits[0, position].log_softmax(-1)[ids[0, position]]
    assert torch.isclose(scores[2], expected, atol=1e-5)


def test_pseudo_log_likelihoods_head_on_masked_positions_equals_full_logits():
    bert, _ = tiny_models()

    class FullLogits(torch.nn.Module):  # the same model without .cls: scored from its (b, T, V) logits
        def __init__(self):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids):
            return self.bert(input_ids=input_ids)

    ids, special = batch(rows=1, length=20)
    fast = obj._pseudo_log_likelihoods(bert, ids[0], special[0], MASK, batch_size=4)
    full = obj._pseudo_log_likelihoods(FullLogits(), ids[0], special[0], MASK, batch_size=4)
    assert fast.shape == full.shape == (int((~special[0]).sum()),)
    torch.testing.assert_close(fast, full, atol=1e-6, rtol=1e-6)


def test_unigram_baseline_by_hand():
    train = torch.tensor([0, 0, 0, 1])  # counts 3, 1, 0 over V = 3; add-one: 4/7, 2/7, 1/7
    loss, ppl = obj.unigram_baseline(train, torch.tensor([0, 2]), vocab_size=3)
    expected = -(math.log(4 / 7) + math.log(1 / 7)) / 2
    assert loss == pytest.approx(expected) and ppl == pytest.approx(math.exp(expected))
    with pytest.raises(ValueError, match="smoothing"):
        obj.unigram_baseline(train, train, 3, smoothing=0)


def saved_bert(tmp_path):
    """Two saved copies of one tiny random BertForMaskedLM with the offline encoder's WordPiece vocabulary:
    ``typed`` as save_pretrained writes it (model_type "bert", tokenizer config); ``untyped`` in the layout
    of google/bert_uncased_L-4_H-256_A-4 on the Hub (config.json without model_type, weights, vocab.txt only)."""
    import json
    import shutil

    from transformers import AutoTokenizer

    from helpers.course import assets

    tokenizer = AutoTokenizer.from_pretrained(str(assets.path("encoder")))
    torch.manual_seed(0)
    model = BertForMaskedLM(BertConfig(vocab_size=len(tokenizer), hidden_size=16, num_hidden_layers=1,
                                       num_attention_heads=2, intermediate_size=32, max_position_embeddings=32)).eval()
    typed, untyped = tmp_path / "typed", tmp_path / "untyped"
    model.save_pretrained(typed)
    tokenizer.save_pretrained(typed)
    untyped.mkdir()
    config = json.loads((typed / "config.json").read_text())
    assert config.pop("model_type") == "bert"
    (untyped / "config.json").write_text(json.dumps(config))
    shutil.copy(typed / "model.safetensors", untyped / "model.safetensors")
    shutil.copy(assets.path("encoder") / "vocab.txt", untyped / "vocab.txt")  # the Hub repo's only tokenizer file
    return model, tokenizer, typed, untyped


def test_load_masked_lm_reads_a_config_with_or_without_model_type(tmp_path):
    from transformers import AutoModelForMaskedLM, pipeline

    model, tokenizer, typed, untyped = saved_bert(tmp_path)
    with pytest.raises(ValueError, match="model_type"):  # transformers 5 has no fallback for such a config
        AutoModelForMaskedLM.from_pretrained(untyped)
    with pytest.raises(ValueError, match="model_type"):  # notebook 04's hub cell before load_masked_lm
        pipeline("fill-mask", model=str(untyped), device="cpu")
    text = "the jury said the [MASK] was not guilty."
    ids = tokenizer(text, return_tensors="pt")["input_ids"]
    with torch.no_grad():
        expected = model(input_ids=ids).logits
    for folder in (typed, str(untyped)):
        loaded, loaded_tokenizer = obj.load_masked_lm(folder)
        assert isinstance(loaded, BertForMaskedLM) and not loaded.training
        assert torch.equal(loaded_tokenizer(text, return_tensors="pt")["input_ids"], ids)
        assert loaded_tokenizer.tokenize("The JURY") == ["the", "jury"]  # uncased, as the checkpoints need
        with torch.no_grad():
            torch.testing.assert_close(loaded(input_ids=ids).logits, expected)
        fill = pipeline("fill-mask", model=loaded, tokenizer=loaded_tokenizer, device="cpu")
        assert len(fill(text, top_k=3)) == 3


def test_load_masked_lm_names_a_folder_without_a_config(tmp_path):
    with pytest.raises(FileNotFoundError, match="config.json"):
        obj.load_masked_lm(tmp_path)
