"""Whole-word masking: word ids read off the ``##`` pieces (against the tokenizer's own word_ids), every
piece of a chosen word masked together, the word rate and the 80/10/10 recipe among the chosen pieces."""
import torch

from helpers import whole_word
from helpers.data import corpus
from helpers.objectives import IGNORE_INDEX, masking_stats

TEXTS = ["The philharmonic conductor reorganized the rehearsals unexpectedly.",
         "An unbelievably complicated administration of the county's elections."] * 40


def random_words(rows=400, length=48, seed=0):
    """(rows, length) word ids of words of 1-4 pieces, -1 at the first and last position."""
    g = torch.Generator().manual_seed(seed)
    out = torch.full((rows, length), -1)
    for r in range(rows):
        pos, word = 1, 0
        while pos < length - 1:
            n = int(torch.randint(1, 5, (), generator=g))
            out[r, pos:min(pos + n, length - 1)] = word
            pos, word = pos + n, word + 1
    return out


def test_word_ids_from_pieces_by_hand():
    is_cont = torch.tensor([[False, False, True, True, False, True, False]])
    special = torch.tensor([[True, False, False, False, False, False, True]])
    got = whole_word.word_ids_from_pieces(is_cont, special)
    assert got.tolist() == [[-1, 0, 0, 0, 1, 1, -1]]
    # a row cut inside a word: its first (## piece) starts a word of its own
    got = whole_word.word_ids_from_pieces(torch.tensor([[True, True, False]]), torch.zeros(1, 3, dtype=torch.bool))
    assert got.tolist() == [[0, 0, 1]]


def test_word_ids_agree_with_the_tokenizer():
    tokenizer = corpus.train_wordpiece(TEXTS, 300)
    continuation = torch.tensor([i for t, i in tokenizer.get_vocab().items() if t.startswith("##")])
    specials = torch.tensor([tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id])  # [UNK] is a word
    for text in [*TEXTS[:2], "Philharmonically, the reorganizers complained unbelievably."]:
        enc = tokenizer(text)
        ids = torch.tensor([enc["input_ids"]])
        got = whole_word.word_ids_from_pieces(torch.isin(ids, continuation), torch.isin(ids, specials))
        assert got[0].tolist() == [-1 if w is None else w for w in enc.word_ids()]
    assert torch.isin(ids, continuation).any()  # the last text has multi-piece words


def test_piece_positions_by_hand():
    index, length = whole_word.piece_positions(torch.tensor([[-1, 0, 0, 0, 1, 2, 2, -1]]))
    assert index.tolist() == [[0, 0, 1, 2, 0, 0, 1, 0]]
    assert length.tolist() == [[0, 3, 3, 3, 1, 2, 2, 0]]


def test_whole_word_mask_chooses_words_whole_at_the_rate():
    words = random_words()
    for p in (0.15, 0.5):
        chosen = whole_word.whole_word_mask(words, p, generator=torch.Generator().manual_seed(3))
        assert not chosen[words == -1].any()
        slots = words.clamp(min=0)
        per_word = torch.zeros(words.shape).scatter_add_(1, slots, (chosen & (words >= 0)).float())
        pieces = torch.zeros(words.shape).scatter_add_(1, slots, (words >= 0).float())
        assert ((per_word == 0) | (per_word == pieces)).all()  # all or nothing
        index, _ = whole_word.piece_positions(words)
        first = (words >= 0) & (index == 0)
        assert abs(chosen[first].float().mean().item() - p) < 0.02


def test_whole_word_mask_tokens_recipe():
    words = random_words(seed=1)
    ids = torch.randint(5, 500, words.shape, generator=torch.Generator().manual_seed(2))
    ids[words == -1] = 2
    original = ids.clone()
    inputs, labels = whole_word.whole_word_mask_tokens(ids, words, 4, 500, generator=torch.Generator().manual_seed(0))
    assert torch.equal(ids, original)
    chosen = labels != IGNORE_INDEX
    assert torch.equal(labels[chosen], ids[chosen]) and torch.equal(inputs[~chosen], ids[~chosen])
    stats = masking_stats(ids, inputs, labels, words == -1, 4)
    assert stats.special_selected == 0
    assert abs(stats.mask - 0.8) < 0.02 and abs(stats.random - 0.1) < 0.02 and abs(stats.unchanged - 0.1) < 0.02
    same = whole_word.whole_word_mask_tokens(ids, words, 4, 500, generator=torch.Generator().manual_seed(0))
    assert torch.equal(same[0], inputs) and torch.equal(same[1], labels)  # seeded: reproducible


def test_per_piece_masking_would_split_words():
    """The contrast the notebook draws: independent coins per piece leave multi-piece words half masked."""
    words = random_words(seed=4)
    per_piece = (torch.rand(words.shape, generator=torch.Generator().manual_seed(0)) < 0.15) & (words >= 0)
    slots = words.clamp(min=0)
    per_word = torch.zeros(words.shape).scatter_add_(1, slots, per_piece.float())
    pieces = torch.zeros(words.shape).scatter_add_(1, slots, (words >= 0).float())
    assert ((per_word > 0) & (per_word < pieces)).any()
