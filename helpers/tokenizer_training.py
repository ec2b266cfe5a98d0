"""Three ways to learn a subword vocabulary from text: WordPiece, BPE and Unigram, compared fairly.

``train_subword_tokenizer`` trains one of the three with the ``tokenizers`` library, with the same
normalizer (BERT's: lower-case, accents stripped) and the same pre-tokenizer (BERT's: split on spaces
and punctuation) for all three, so that only the algorithm differs. ``segmentation_stats`` measures
how a tokenizer cuts held-out text: tokens per word (the *fertility*) and what the unknown token
loses. Notebook 04 trains the tokenizers its models use (``helpers.data.corpus``); these are for
comparing the algorithms. Notebook 03, section 2.7.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Sequence

from .course.validation import require_instance, require_int, require_str, require_strings

ALGORITHMS = ("wordpiece", "bpe", "unigram")
UNK = "[UNK]"
CONTINUATION = "##"  # WordPiece's (and here BPE's) mark of a piece that continues a word


def train_subword_tokenizer(algorithm: str, texts: Sequence[str], vocab_size: int) -> Any:
    """A ``tokenizers.Tokenizer`` of ``vocab_size`` entries learnt from ``texts`` by ``algorithm``.

    bpe: merges the most frequent pair of neighbouring pieces, again and again; splits a new word by
    replaying the merges in order. wordpiece: in the tokenizers library, its trainer learns the same
    vocabulary as bpe (it runs BPE's merges); it splits a new word greedily, longest piece first.
    unigram: starts from many substrings and prunes those whose removal costs the least likelihood;
    splits a new word into its most probable pieces (Viterbi). All three share BERT's normalizer and
    pre-tokenizer, and ``[UNK]`` for characters never seen in training.

    Taught in: notebook 03, section 2.
    """
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

    require_str("algorithm", algorithm, choices=ALGORITHMS)
    texts = require_strings("texts", texts, min_length=1)
    require_int("vocab_size", vocab_size, minimum=100)
    if algorithm == "wordpiece":
        tokenizer = Tokenizer(models.WordPiece(unk_token=UNK))
        trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=[UNK], show_progress=False)
    elif algorithm == "bpe":  # "##" on continuing pieces too, so that its pieces read like WordPiece's
        tokenizer = Tokenizer(models.BPE(unk_token=UNK, continuing_subword_prefix=CONTINUATION))
        trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[UNK],
                                      continuing_subword_prefix=CONTINUATION, show_progress=False)
    else:  # one piece inventory for word starts and continuations: no "##"
        tokenizer = Tokenizer(models.Unigram())
        trainer = trainers.UnigramTrainer(vocab_size=vocab_size, special_tokens=[UNK], unk_token=UNK,
                                          show_progress=False)
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.train_from_iterator(texts, trainer=trainer)
    return tokenizer


@dataclass(frozen=True)
class SegmentationStats:
    """How a tokenizer cut some texts: counts of words, tokens, unknown tokens and the characters they hide.

    Taught in: notebook 03, section 2.
    """
    words: int              # words after the tokenizer's pre-tokenizer (punctuation marks count as words)
    tokens: int             # tokens, special tokens excluded
    unknown: int            # tokens that are the unknown token
    characters: int         # characters of the texts, spaces excluded
    lost_characters: int    # characters covered by unknown tokens

    @property
    def tokens_per_word(self) -> float:
        """The fertility: how many tokens a word costs on average (1.0: every word is one token)."""
        return self.tokens / max(self.words, 1)

    @property
    def unknown_share(self) -> float:
        """The share of tokens that are the unknown token."""
        return self.unknown / max(self.tokens, 1)

    @property
    def lost_share(self) -> float:
        """The share of the text's characters hidden behind unknown tokens."""
        return self.lost_characters / max(self.characters, 1)


def segmentation_stats(tokenizer: Any, texts: Sequence[str]) -> SegmentationStats:
    """Tokens per word and unknown tokens of ``tokenizer`` on ``texts``.

    ``tokenizer``: a ``tokenizers.Tokenizer`` or a transformers fast tokenizer (its
    ``backend_tokenizer`` is used, without its padding and truncation). A token is unknown when its
    id is the unknown token's (a Unigram model shows an unseen character itself, with that id).

    Taught in: notebook 03, section 2.
    """
    backend, unk_id = _backend(tokenizer)
    texts = require_strings("texts", texts, min_length=1)
    words = tokens = unknown = lost = 0
    for text, encoding in zip(texts, backend.encode_batch(texts, add_special_tokens=False)):
        words += len({w for w in encoding.word_ids if w is not None})
        tokens += len(encoding.ids)
        hidden = [(start, end) for i, (start, end) in zip(encoding.ids, encoding.offsets) if i == unk_id]
        unknown += len(hidden)
        lost += sum(1 for start, end in _merged(hidden) for c in text[start:end] if not c.isspace())
    characters = sum(1 for text in texts for c in text if not c.isspace())
    return SegmentationStats(words, tokens, unknown, characters, lost)


def _backend(tokenizer: Any) -> tuple[Any, int | None]:
    """A copy of the ``tokenizers.Tokenizer`` behind ``tokenizer`` (padding and truncation off), and its unknown id.

    The id is None for a model without an unknown token (a byte-level BPE); a Unigram model stores the id itself.
    """
    from tokenizers import Tokenizer

    backend = getattr(tokenizer, "backend_tokenizer", tokenizer)
    require_instance("tokenizer", backend, Tokenizer, "a tokenizers.Tokenizer or a transformers fast tokenizer")
    saved = backend.to_str()
    backend = Tokenizer.from_str(saved)
    backend.no_padding()
    backend.no_truncation()
    model = json.loads(saved)["model"]
    if model.get("unk_id") is not None:
        return backend, int(model["unk_id"])
    return backend, backend.token_to_id(model["unk_token"]) if model.get("unk_token") else None


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Character spans with overlaps merged (two unknown pieces of one word may share characters)."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def pieces_of(tokenizer: Any, text: str) -> list[str]:
    """The tokens of ``text`` (no special tokens); an unknown piece is shown as ``[UNK]`` whatever the model prints.

    Taught in: notebook 03, section 2.
    """
    backend, unk_id = _backend(tokenizer)
    require_str("text", text)
    encoding = backend.encode(text, add_special_tokens=False)
    return [UNK if i == unk_id else token for i, token in zip(encoding.ids, encoding.tokens)]
