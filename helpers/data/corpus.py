"""The offline pre-training corpus: the Brown corpus as plain text, split and tokenized.

The Brown corpus (``.assets/brown``, 500 documents in 15 genres) is stored POS-tagged,
one sentence per line, each token written ``word/tag`` (``The/at jury/nn said/vbd``),
with TeX-style quotes (````` and ``''``). This module strips the tags, rebuilds
readable sentences, splits the documents deterministically into train and held-out
(whole documents, so no held-out sentence was seen in training), trains the two
tokenizers of notebook 04 with the ``tokenizers`` library, and packs token ids into
fixed-length blocks for pre-training.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import torch
from torch import Tensor

from ..course.validation import require_int, require_number, require_path, require_strings

# Tokens glued to the word before them ("word ," -> "word,") and after them ("( word" -> "(word").
_NO_SPACE_BEFORE = {",", ".", ";", ":", "?", "!", ")", "]", "''", "'"}
_NO_SPACE_AFTER = {"(", "[", "``"}
_QUOTES = {"``": '"', "''": '"'}

WORDPIECE_SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
BPE_SPECIALS = ("<|endoftext|>",)


@dataclass(frozen=True)
class Document:
    """One Brown-corpus document: its file name (genre letter and number) and its untagged text.

    Taught in: notebook 04, section 2.
    """
    name: str  # the Brown file name, e.g. "ca01" (genre letter "a", number 01)
    text: str  # the sentences, untagged, joined by single spaces

    @property
    def genre(self) -> str:
        return self.name[1]


def _strip_tags(line: str) -> list[str]:
    """The words of one tagged Brown line: ``'The/at jury/nn'`` -> ``['The', 'jury']``."""
    words = []
    for token in line.split():
        word, slash, _tag = token.rpartition("/")
        words.append(word if slash else token)  # a token without a tag stays as it is
    return words


def _detokenize(words: Sequence[str]) -> str:
    """Rebuild a sentence from its words: punctuation attached, TeX quotes as ``"``."""
    text = ""
    glue = True  # no space before the first word
    for word in words:
        if text and not glue and word not in _NO_SPACE_BEFORE:
            text += " "
        text += _QUOTES.get(word, word)
        glue = word in _NO_SPACE_AFTER
    return text


def read_brown_file(path: Path) -> Document:
    """One Brown file as a Document: one sentence per non-empty line, tags removed.

    Taught in: notebook 03, section 2.
    """
    path = require_path("path", path)
    if not path.is_file():
        raise FileNotFoundError(f"path must be an existing Brown file, got {str(path)!r}")
    sentences = [_detokenize(_strip_tags(line)) for line in path.read_text(encoding="latin-1").splitlines()]
    return Document(path.name, " ".join(s for s in sentences if s))


def brown_documents(folder: Path | str | None = None) -> list[Document]:
    """All 500 Brown documents in file-name order (genre a to r).

    Taught in: notebook 04, section 2.
    """
    if folder is None:
        from ..course import assets

        folder = assets.path("brown")
    require_path("folder", folder)
    paths = sorted(p for p in Path(folder).glob("c[a-r][0-9][0-9]") if p.is_file())
    if not paths:
        raise FileNotFoundError(f"folder must hold the Brown files (c[a-r][0-9][0-9]), got none in {str(folder)!r}")
    return [read_brown_file(p) for p in paths]


def _is_held_out(name: str, held_out_fraction: float) -> bool:
    """A stable coin flip per document name (SHA-256), independent of order and of Python's hash seed."""
    bucket = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) / 16**8  # uniform in [0, 1)
    return bucket < held_out_fraction


def split_documents(documents: Iterable[Document], held_out_fraction: float = 0.1
                    ) -> tuple[list[Document], list[Document]]:
    """(train, held_out): whole documents, chosen by a stable coin flip per document name (SHA-256 of
    the name, so independent of order and of Python's hash seed), order kept.

    Taught in: notebook 04, section 2.
    """
    if isinstance(documents, (str, bytes, Document)) or not hasattr(documents, "__iter__"):
        raise TypeError(f"documents must be a list of corpus.Document, got {type(documents).__name__}")
    documents = list(documents)
    if not all(isinstance(d, Document) for d in documents):
        raise TypeError("documents must hold only corpus.Document items (brown_documents() makes them), got "
                        f"{sorted({type(d).__name__ for d in documents})}")
    require_number("held_out_fraction", held_out_fraction, above=0.0, below=1.0)
    held_out = [d for d in documents if _is_held_out(d.name, held_out_fraction)]
    train = [d for d in documents if not _is_held_out(d.name, held_out_fraction)]
    return train, held_out


def train_wordpiece(texts: Iterable[str], vocab_size: int):
    """A BERT-style uncased WordPiece tokenizer trained on ``texts``, as a transformers tokenizer.

    Adds ``[CLS] ... [SEP]`` around each text, like bert-base-uncased.

    Taught in: notebook 04, section 2.
    """
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    texts = require_strings("texts", texts, min_length=1)
    _check_vocab_size(vocab_size)
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=list(WORDPIECE_SPECIALS),
                                        show_progress=False)
    tokenizer.train_from_iterator(texts, trainer=trainer)
    # The trainer breaks ties between equally frequent pieces in a varying order, so the same
    # vocabulary gets different ids from run to run: number it canonically (specials, then sorted).
    learned = sorted(set(tokenizer.get_vocab()) - set(WORDPIECE_SPECIALS))
    tokenizer.model = models.WordPiece({t: i for i, t in enumerate([*WORDPIECE_SPECIALS, *learned])}, unk_token="[UNK]")
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, pad_token="[PAD]", unk_token="[UNK]",
                                   cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]")


def train_byte_bpe(texts: Iterable[str], vocab_size: int):
    """A GPT-2-style byte-level BPE tokenizer (cased, no unknown tokens) trained on ``texts``.

    Taught in: notebook 04, section 2.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    texts = require_strings("texts", texts, min_length=1)
    _check_vocab_size(vocab_size)
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=list(BPE_SPECIALS),
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tokenizer.train_from_iterator(texts, trainer=trainer)
    eos = BPE_SPECIALS[0]
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token=eos, eos_token=eos,
                                   unk_token=eos, pad_token=eos)


def _check_vocab_size(vocab_size: int) -> None:
    require_int("vocab_size", vocab_size, minimum=300)  # the 256 bytes, the special tokens and some merges


def pack_blocks(token_ids: Sequence[Sequence[int]], block_length: int, separator: int | None = None,
                prefix: int | None = None, suffix: int | None = None) -> Tensor:
    """Concatenate documents' token ids and cut them into blocks of exactly ``block_length``.

    ``separator`` goes between documents (GPT-2's ``<|endoftext|>``); ``prefix`` and
    ``suffix`` frame each block (BERT's ``[CLS] ... [SEP]``). The remainder that does not
    fill a block is dropped. Returns (N, block_length) int64.

    Taught in: notebook 04, section 2.
    """
    framing = (prefix is not None) + (suffix is not None)
    require_int("block_length", block_length, minimum=framing + 1)  # room for one token between the framing
    for name, value in (("separator", separator), ("prefix", prefix), ("suffix", suffix)):
        if value is not None:
            require_int(name, value, minimum=0)
    if isinstance(token_ids, (str, bytes)) or not hasattr(token_ids, "__iter__"):
        raise TypeError(f"token_ids must be a list of token-id lists (one per document), got {type(token_ids).__name__}")
    body = block_length - framing
    stream: list[int] = []
    for ids in token_ids:
        if isinstance(ids, int) or not hasattr(ids, "__iter__"):
            raise ValueError(f"token_ids must be a list of token-id lists (one per document), got an item {ids!r}: "
                             "wrap a single document's ids in a list")
        stream.extend(ids)
        if separator is not None:
            stream.append(separator)
    n = len(stream) // body
    blocks = torch.tensor(stream[: n * body], dtype=torch.long).view(n, body)  # (N, body)
    parts = ([torch.full((n, 1), prefix)] if prefix is not None else []) + [blocks] + \
            ([torch.full((n, 1), suffix)] if suffix is not None else [])
    return torch.cat(parts, dim=1)  # (N, block_length)
