"""Exercises of notebook 03 (inside BERT): a sentence pair by hand, a previous-token head, mean pooling, WordPiece's split."""
from __future__ import annotations

import functools
from typing import Any, Callable

import torch

from . import checks

PAIRS = (
    ("The cat sat on the mat.", "It was sunny."),
    ("Tokenization splits unbelievably rare words.", "Pieces start with hashes."),
    ("Where is the river bank?", "Near the old mill."),
)


@functools.cache
def _tokenizer() -> Any:
    from transformers import AutoTokenizer

    from .. import settings

    return AutoTokenizer.from_pretrained(settings().models.encoder)


# --- 03.1: encode a sentence pair by hand -------------------------------------------------

def encode_pair(tokenizer: Any, first: str, second: str) -> dict[str, list[int]]:
    """[CLS] first [SEP] second [SEP], with token type 0 up to the first [SEP] and 1 after it."""
    ids_a = tokenizer.convert_tokens_to_ids(tokenizer.tokenize(first))
    ids_b = tokenizer.convert_tokens_to_ids(tokenizer.tokenize(second))
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    input_ids = [cls, *ids_a, sep, *ids_b, sep]
    token_type_ids = [0] * (len(ids_a) + 2) + [1] * (len(ids_b) + 1)
    return {"input_ids": input_ids, "token_type_ids": token_type_ids}


def _pair_without_final_sep(tokenizer: Any, first: str, second: str) -> dict[str, list[int]]:
    right = encode_pair(tokenizer, first, second)
    return {name: values[:-1] for name, values in right.items()}


def _pair_all_type_zero(tokenizer: Any, first: str, second: str) -> dict[str, list[int]]:
    right = encode_pair(tokenizer, first, second)
    return {"input_ids": right["input_ids"], "token_type_ids": [0] * len(right["input_ids"])}


def _pair_without_cls(tokenizer: Any, first: str, second: str) -> dict[str, list[int]]:
    right = encode_pair(tokenizer, first, second)
    return {name: values[1:] for name, values in right.items()}


def _pair_middle_sep_type_one(tokenizer: Any, first: str, second: str) -> dict[str, list[int]]:
    right = encode_pair(tokenizer, first, second)
    types = list(right["token_type_ids"])
    types[len(tokenizer.tokenize(first)) + 1] = 1
    return {"input_ids": right["input_ids"], "token_type_ids": types}


def check_encode_pair(answer: Callable[..., Any]) -> str | None:
    tokenizer = _tokenizer()
    for first, second in PAIRS:
        got = answer(tokenizer, first, second)
        problem = checks.returned(got, dict, "encode_pair")
        if problem:
            return problem
        if not {"input_ids", "token_type_ids"} <= set(got):
            return f"encode_pair returned keys {sorted(got)}; expected 'input_ids' and 'token_type_ids'."
        want = tokenizer(first, second)
        ids, types = [int(i) for i in got["input_ids"]], [int(t) for t in got["token_type_ids"]]
        if not ids or ids[0] != tokenizer.cls_token_id:
            return "input_ids must start with the [CLS] id."
        if ids.count(tokenizer.sep_token_id) != 2:
            return (f"a sentence pair holds two [SEP] ids, one after each sentence; "
                    f"yours holds {ids.count(tokenizer.sep_token_id)}.")
        if ids != want["input_ids"]:
            return f"input_ids for {first!r} + {second!r} differ from the tokenizer's (check the word pieces)."
        if len(types) != len(ids):
            return f"token_type_ids has {len(types)} entries but input_ids has {len(ids)}; give one per token."
        if types != want["token_type_ids"]:
            wrong = next(i for i, (a, b) in enumerate(zip(types, want["token_type_ids"])) if a != b)
            token = tokenizer.convert_ids_to_tokens(ids[wrong])
            return f"token_type_ids is wrong at position {wrong} ({token!r}): which sentence does that token belong to?"
    return None


checks.register(checks.Exercise(
    id="03.1", title="a sentence pair encoded by hand matches the tokenizer",
    checker=check_encode_pair,
    hint="tokenizer.tokenize gives the pieces, convert_tokens_to_ids their ids; the special ids are "
         "tokenizer.cls_token_id and tokenizer.sep_token_id; each [SEP] belongs to the sentence it closes.",
    solution=encode_pair,
    wrong_answers=(_pair_without_final_sep, _pair_all_type_zero, _pair_without_cls, _pair_middle_sep_type_one),
))


# --- 03.2: the head that attends most to the previous token -------------------------------

def previous_token_head(attention: torch.Tensor) -> tuple[int, int]:
    """(layer, head) whose queries put the most attention, on average, on the token just before them."""
    previous = attention.diagonal(offset=-1, dim1=-2, dim2=-1)  # (L, H, T-1): entry [q, q-1]
    table = previous.mean(dim=-1)  # (L, H)
    layer, head = divmod(int(table.argmax()), table.shape[1])
    return layer, head


def _next_token_head(attention: torch.Tensor) -> tuple[int, int]:
    table = attention.diagonal(offset=1, dim1=-2, dim2=-1).mean(dim=-1)
    return divmod(int(table.argmax()), table.shape[1])


def _largest_single_weight(attention: torch.Tensor) -> tuple[int, int]:
    table = attention.diagonal(offset=-1, dim1=-2, dim2=-1).amax(dim=-1)
    return divmod(int(table.argmax()), table.shape[1])


def _swapped_order(attention: torch.Tensor) -> tuple[int, int]:
    layer, head = previous_token_head(attention)
    return head, layer


def _same_token_head(attention: torch.Tensor) -> tuple[int, int]:
    table = attention.diagonal(dim1=-2, dim2=-1).mean(dim=-1)
    return divmod(int(table.argmax()), table.shape[1])


def synthetic_attention(layers: int, heads: int, tokens: int, plants: dict[str, tuple[int, int]],
                        seed: int = 0) -> torch.Tensor:
    """Random attention (L, H, T, T) with planted heads: 'previous', 'next', 'same', 'spike'."""
    generator = torch.Generator().manual_seed(seed)
    weights = torch.rand(layers, heads, tokens, tokens, generator=generator).softmax(dim=-1)
    offsets = {"previous": -1, "next": 1, "same": 0}
    for kind, (layer, head) in plants.items():
        if kind == "spike":  # one query attends fully to its previous token, the others spread out
            weights[layer, head] = torch.full((tokens, tokens), 1.0 / tokens)
            weights[layer, head, 3] = torch.nn.functional.one_hot(torch.tensor(2), tokens).float()
            continue
        strong = torch.eye(tokens).roll(offsets[kind], dims=1)  # key q + offset (wrapping at the ends)
        weights[layer, head] = 0.8 * strong + 0.2 * weights[layer, head]
    return weights  # rows sum to 1


def check_previous_token_head(answer: Callable[..., Any]) -> str | None:
    cases = (
        (4, 6, 9, {"previous": (2, 5), "next": (1, 1), "same": (3, 0), "spike": (0, 3)}),
        (3, 4, 7, {"previous": (0, 1), "next": (2, 3), "same": (1, 1), "spike": (2, 0)}),
    )
    for seed, (layers, heads, tokens, plants) in enumerate(cases):
        attention = synthetic_attention(layers, heads, tokens, plants, seed=seed)
        got = answer(attention.clone())
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            return (f"previous_token_head returned {type(got).__name__} {got!r}; "
                    "expected a pair (layer, head).")
        got = (int(got[0]), int(got[1]))
        if got == plants["previous"]:
            continue
        if got == plants["next"]:
            return "your head attends to the NEXT token: entry [q, k] is query q attending to key k."
        if got == plants["same"]:
            return "your head attends to the token itself (the diagonal), not to the one before it."
        if got == plants["spike"]:
            return "you picked a head with one large weight; compare heads by their AVERAGE over queries."
        if got[::-1] == plants["previous"]:
            return "layer and head are swapped: return (layer, head)."
        return f"on a test with {layers} layers and {heads} heads you returned {got}, not the previous-token head."
    return None


checks.register(checks.Exercise(
    id="03.2", title="the head that attends most to the previous token is found",
    checker=check_previous_token_head,
    hint="attention[l, h, q, k] is how much query q attends to key k; the previous token of q is "
         "k = q - 1 (a diagonal: tensor.diagonal(offset=...)); average over queries, then take the argmax.",
    solution=previous_token_head,
    wrong_answers=(_next_token_head, _largest_single_weight, _swapped_order, _same_token_head),
))


# --- 03.3: mean pooling that ignores padding ----------------------------------------------

def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """(B, T, D), (B, T) -> (B, D): the average of each sequence's real (mask 1) token vectors."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1)  # (B, D)


def _pool_with_padding(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    return hidden.mean(dim=1)


def _pool_divide_by_length(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    return (hidden * attention_mask.unsqueeze(-1)).sum(dim=1) / hidden.shape[1]


def _pool_unmasked_sum(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    return hidden.sum(dim=1) / attention_mask.sum(dim=1, keepdim=True)


def _pool_over_features(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    return (hidden * attention_mask.unsqueeze(-1)).mean(dim=-1)


def check_mean_pool(answer: Callable[..., Any]) -> str | None:
    generator = torch.Generator().manual_seed(3)
    hidden = torch.randn(3, 6, 4, generator=generator)  # (B, T, D)
    mask = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0], [1, 1, 0, 0, 0, 0]])  # (B, T)
    got = answer(hidden.clone(), mask.clone())
    problem = checks.returned(got, torch.Tensor, "my_mean_pool")
    if problem:
        return problem
    if tuple(got.shape) != (3, 4):
        return f"my_mean_pool returned shape {tuple(got.shape)}; for hidden (B, T, D) = (3, 6, 4) expect (B, D) = (3, 4)."
    want = mean_pool(hidden, mask)
    if torch.allclose(got.float(), want, atol=1e-5):
        return None
    if torch.allclose(got.float(), hidden.mean(dim=1), atol=1e-5) or \
            torch.allclose(got.float(), hidden.sum(dim=1) / mask.sum(dim=1, keepdim=True), atol=1e-5):
        return "padding vectors are counted: multiply by the mask before summing."
    if torch.allclose(got.float(), want * mask.sum(dim=1, keepdim=True) / hidden.shape[1], atol=1e-5):
        return "the sum is right but is divided by T; divide by the number of real tokens of each sequence."
    error = float((got.float() - want).abs().max())
    return f"values differ from the mean over real tokens (largest difference {error:.3g})."


checks.register(checks.Exercise(
    id="03.3", title="mean pooling averages real tokens only",
    checker=check_mean_pool,
    hint="turn the mask into (B, T, 1) floats, multiply, sum over T, and divide by the mask's sum over T.",
    solution=mean_pool,
    wrong_answers=(_pool_with_padding, _pool_divide_by_length, _pool_unmasked_sum, _pool_over_features),
))


# --- 03.4: WordPiece's greedy longest-match split ------------------------------------------

def wordpiece_split(word: str, vocab: Any, unk: str = "[UNK]") -> list[str]:
    """Split one (normalized) word as WordPiece does: repeatedly take the longest piece of the vocabulary
    that starts here ("##" marks a piece after the first); if none fits, the whole word is ``unk``."""
    pieces, start = [], 0
    while start < len(word):
        for end in range(len(word), start, -1):  # the longest candidate first
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in vocab:
                pieces.append(piece)
                start = end
                break
        else:  # no piece fits at this position: WordPiece gives up on the whole word
            return [unk]
    return pieces


def _split_shortest_first(word: str, vocab: Any, unk: str = "[UNK]") -> list[str]:
    pieces, start = [], 0
    while start < len(word):
        for end in range(start + 1, len(word) + 1):
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in vocab:
                pieces.append(piece)
                start = end
                break
        else:
            return [unk]
    return pieces


def _split_without_prefix(word: str, vocab: Any, unk: str = "[UNK]") -> list[str]:
    pieces, start = [], 0
    while start < len(word):
        for end in range(len(word), start, -1):
            if word[start:end] in vocab:
                pieces.append(word[start:end])
                start = end
                break
        else:
            return [unk]
    return pieces


def _split_keeping_known_pieces(word: str, vocab: Any, unk: str = "[UNK]") -> list[str]:
    pieces, start = [], 0
    while start < len(word):
        for end in range(len(word), start, -1):
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in vocab:
                pieces.append(piece)
                start = end
                break
        else:  # one unknown character, and carry on
            pieces.append(unk)
            start += 1
    return pieces


def _split_fewest_pieces(word: str, vocab: Any, unk: str = "[UNK]") -> list[str]:
    best: dict[int, list[str]] = {0: []}  # end position -> fewest pieces covering word[:end]
    for end in range(1, len(word) + 1):
        for start in range(end):
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if start in best and piece in vocab and (end not in best or len(best[start]) + 1 < len(best[end])):
                best[end] = best[start] + [piece]
    return best.get(len(word), [unk])


# a toy vocabulary on which each wrong strategy gives a different answer than the greedy longest match
TOY_VOCAB = frozenset({"a", "ab", "abc", "##b", "##c", "##d", "##e", "##cde", "x", "##y", "xy"})
TOY_CASES = (
    ("abcde", ["abc", "##d", "##e"]),   # greedy; the fewest pieces would be ["ab", "##cde"]
    ("ab", ["ab"]),
    ("abcd", ["abc", "##d"]),
    ("xyz", ["[UNK]"]),                  # no piece fits at "z": the whole word is unknown
    ("cab", ["[UNK]"]),                  # nothing starts with "c" (only "##c" continues a word)
)
REAL_WORDS = ("unbelievably", "tokenization", "hyperparameter", "transformers", "snow☃man", "bank", "gpus")


def check_wordpiece_split(answer: Callable[..., Any]) -> str | None:
    for word, want in TOY_CASES:
        got = answer(word, TOY_VOCAB)
        problem = checks.returned(got, list, "my_wordpiece_split")
        if problem:
            return problem
        if got == want:
            continue
        if got == _split_fewest_pieces(word, TOY_VOCAB):
            return (f"for {word!r} you return {got}, the split with the fewest pieces; WordPiece is greedy: "
                    f"it takes the longest piece at the current position and never looks back ({want}).")
        if got == _split_shortest_first(word, TOY_VOCAB):
            return f"for {word!r} you return {got}: try the LONGEST piece first, then shorter ones ({want})."
        if "[UNK]" in got and len(got) > 1:
            return (f"for {word!r} you return {got}: when no piece fits at some position, the WHOLE word "
                    "becomes ['[UNK]'], known pieces included.")
        if got == _split_without_prefix(word, TOY_VOCAB):
            return f"for {word!r} you return {got}: a piece after the first is looked up with '##' in front."
        return f"for {word!r} with the vocabulary {sorted(TOY_VOCAB)} expect {want}, got {got}."
    tokenizer = _tokenizer()
    vocab = tokenizer.get_vocab()
    for word in REAL_WORDS:
        got, want = answer(word, vocab), tokenizer.tokenize(word)
        if got != want:
            return f"with the encoder's vocabulary, {word!r} should give {want} (the tokenizer's split), got {got}."
    return None


checks.register(checks.Exercise(
    id="03.4", title="WordPiece's greedy longest-match split matches the tokenizer",
    checker=check_wordpiece_split,
    hint="keep a position; from it, try word[start:end] for end from len(word) down to start + 1, with '##' "
         "in front unless start == 0; take the first piece found in vocab and move on; if none fits, return [unk].",
    solution=wordpiece_split,
    wrong_answers=(_split_shortest_first, _split_without_prefix, _split_keeping_known_pieces, _split_fewest_pieces),
))
