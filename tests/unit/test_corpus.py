"""The offline corpus: Brown untagged into readable text, a stable split, tokenizers, packing."""
import pytest
import torch

from helpers.data import corpus


def test_strip_tags_and_detokenize():
    line = "\t``/`` Only/rb a/at handful/nn ''/'' ,/, the/at jury/nn-tl said/vbd (/( 1/2/cd )/) ./."
    words = corpus._strip_tags(line)
    assert words[:3] == ["``", "Only", "a"] and "1/2" in words  # only the last slash starts the tag
    assert corpus._detokenize(words) == '"Only a handful", the jury said (1/2).'


def test_brown_documents_are_untagged_text():
    docs = corpus.brown_documents()
    assert len(docs) == 500 and docs[0].name == "ca01" and docs[0].genre == "a"
    assert docs[0].text.startswith("The Fulton County Grand Jury said Friday an investigation")
    assert "/at" not in docs[0].text and "``" not in docs[0].text
    assert sum(len(d.text.split()) for d in docs) > 900_000


def test_missing_folder_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="must hold the Brown files"):
        corpus.brown_documents(tmp_path)


def test_split_is_deterministic_whole_documents_and_near_the_fraction():
    docs = [corpus.Document(f"c{g}{i:02d}", "x") for g in "abc" for i in range(1, 100)]
    train, held = corpus.split_documents(docs, 0.2)
    assert {d.name for d in train}.isdisjoint(d.name for d in held) and len(train) + len(held) == len(docs)
    assert abs(len(held) / len(docs) - 0.2) < 0.07
    assert corpus.split_documents(reversed(docs), 0.2)[1] == sorted(held, key=lambda d: d.name, reverse=True)
    with pytest.raises(ValueError, match="held_out_fraction"):
        corpus.split_documents(docs, 1.0)


TEXTS = ["The jury said it would investigate the election. " * 3,
         "A quiet morning in the city; the mayor spoke about taxes and schools."] * 20


def test_wordpiece_tokenizer_is_bert_like():
    tok = corpus.train_wordpiece(TEXTS, vocab_size=400)
    assert tok.convert_ids_to_tokens(list(range(5))) == list(corpus.WORDPIECE_SPECIALS)
    ids = tok("The JURY said.").input_ids
    assert ids[0] == tok.cls_token_id and ids[-1] == tok.sep_token_id
    assert tok.decode(ids, skip_special_tokens=True) == "the jury said."  # uncased
    assert any(t.startswith("##") for t in tok.tokenize("investigations"))


def test_byte_bpe_tokenizer_round_trips_any_text():
    tok = corpus.train_byte_bpe(TEXTS, vocab_size=400)
    text = "The Jury said: «über» 42!"
    assert tok.decode(tok(text).input_ids) == text  # bytes: nothing is unknown, case is kept
    assert tok.eos_token == "<|endoftext|>"
    with pytest.raises(ValueError, match="vocab_size"):
        corpus.train_byte_bpe(TEXTS, vocab_size=100)


def test_pack_blocks():
    blocks = corpus.pack_blocks([[1, 2, 3], [4, 5]], block_length=3, separator=0)
    assert blocks.tolist() == [[1, 2, 3], [0, 4, 5]]  # the final separator is left over
    framed = corpus.pack_blocks([[1, 2, 3, 4, 5]], block_length=4, prefix=8, suffix=9)
    assert framed.tolist() == [[8, 1, 2, 9], [8, 3, 4, 9]] and framed.dtype == torch.long
    with pytest.raises(ValueError, match="block_length"):
        corpus.pack_blocks([[1]], block_length=2, prefix=8, suffix=9)


def test_wordpiece_ids_are_numbered_canonically():
    # the trainer breaks frequency ties in a varying order; the ids must depend on the vocabulary only
    texts = [f"the {w} said the {v} was here." for w in ("jury", "judge", "clerk", "city") for v in ("vote", "mayor")] * 5
    vocab = corpus.train_wordpiece(texts, 300).get_vocab()
    by_id = sorted(vocab, key=vocab.get)
    assert by_id[:5] == list(corpus.WORDPIECE_SPECIALS)
    assert by_id[5:] == sorted(by_id[5:]) and sorted(vocab.values()) == list(range(len(vocab)))
