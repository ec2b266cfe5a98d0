"""Extractive question answering: windows in, spans out (notebook 08).

    from helpers import qa
    train_features = qa.prepare_train_features(data["train"][:], tokenizer, max_length=192, stride=64)
    history = qa.train_qa(model, train_features, TrainConfig(...), collate_fn=DataCollatorWithPadding(tokenizer))
    eval_features = qa.prepare_eval_features(data["validation"][:], tokenizer, 192, 64)
    start, end = qa.predict_logits(model, eval_features)                    # (F, T), (F, T)
    answers = qa.postprocess(data["validation"][:], eval_features, start, end)  # id -> text

* **Pre-processing**: each (question, context) pair is tokenized as
  ``[CLS] question [SEP] context [SEP]``; a context too long for ``max_length`` is cut into
  several *windows* (``truncation="only_second"``: only the context is cut) that overlap by
  ``stride`` tokens, so an answer cut by one window's edge is whole in the next.
  ``offset_mapping`` gives each token's character span in its text; ``char_to_token_span``
  turns the answer's characters into the start and end token of a window, or (0, 0), the
  ``[CLS]`` position, when the window does not hold the whole answer.
* **Post-processing**: per window, the ``n_best`` highest start and end logits are paired,
  pairs that are reversed, too long or outside the context are dropped, and the best
  ``start_logit + end_logit`` over all windows of a question wins; offsets map it back to text.
* **Baselines**: ``first_noun_phrase`` and ``overlap_window`` (see ``helpers.qa_baselines``).
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import torch

from .inference import forward_batches
from .training import History, TrainConfig, train
from .course.validation import require_callable, require_instance, require_int, require_module, require_str, require_strings

CLS_INDEX = 0  # a window without the answer points both its start and its end here


def _check_window_args(max_length: int, stride: int) -> None:
    require_int("max_length", max_length, minimum=16)
    require_int("stride", stride, minimum=0, maximum=max_length // 2 - 1)  # windows must advance


def _check_span_args(offsets: Sequence, sequence_ids: Sequence, start_char: int, end_char: int) -> None:
    if len(offsets) != len(sequence_ids):
        raise ValueError(f"offsets and sequence_ids must have one entry per token, got {len(offsets)} "
                         f"and {len(sequence_ids)}")
    require_int("start_char", start_char, minimum=0)
    require_int("end_char", end_char, minimum=start_char + 1)


def char_to_token_span(offsets: Sequence[Sequence[int]], sequence_ids: Sequence[int | None],
                       start_char: int, end_char: int) -> tuple[int, int]:
    """(start token, end token) of the characters [start_char, end_char) of the context in one window,
    or (CLS_INDEX, CLS_INDEX) when the window does not hold all of them. Taught in notebook 08, section 2.

    ``offsets[i]`` is token i's (start, end) character span; ``sequence_ids[i]`` is 1 for
    context tokens (0 for the question, None for special tokens).

    Taught in: notebook 08, section 2.
    """
    _check_span_args(offsets, sequence_ids, start_char, end_char)
    context = [i for i, s in enumerate(sequence_ids) if s == 1]  # the window's context tokens
    if not context:
        return CLS_INDEX, CLS_INDEX
    first, last = context[0], context[-1]
    if offsets[first][0] > start_char or offsets[last][1] < end_char:
        return CLS_INDEX, CLS_INDEX  # the answer starts before or ends after this window
    start = first
    while start <= last and offsets[start][1] <= start_char:
        start += 1  # the first token that ends after the answer's first character
    end = last
    while end >= first and offsets[end][0] >= end_char:
        end -= 1  # the last token that starts before the answer's end
    return start, end


def _check_columns(name: str, columns: Any, keys: Sequence[str]) -> None:
    """A dict of equally long columns holding ``keys`` (what ``dataset[:]`` returns)."""
    if not isinstance(columns, dict) or any(key not in columns for key in keys):
        raise TypeError(f"{name} must be a dict of columns with {', '.join(keys)} (e.g. dataset[:]), got "
                        f"{type(columns).__name__}" + (f" with {sorted(columns)}" if isinstance(columns, dict) else ""))
    lengths = {key: len(columns[key]) for key in columns if columns[key] is not None}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"{name} must have columns of one length, got lengths {lengths}")


def _check_answers(examples: dict[str, list]) -> None:
    """Each example's answers in the datasets SQuAD schema, or one sentence naming the row."""
    for row, answers in enumerate(examples["answers"]):
        if not hasattr(answers, "keys") or any(key not in answers for key in ("text", "answer_start")) \
                or isinstance(answers["text"], str):
            kind = "a list" if isinstance(answers, (list, tuple)) else repr(answers)[:80]
            raise ValueError(f"examples['answers'] must hold dicts of lists, {{'text': [...], 'answer_start': "
                             f"[...]}}, empty for an unanswerable question (the datasets SQuAD schema, not the SQuAD JSON's "
                             f"list of {{'text': ...}} dicts), got {kind} in row {row}")


def _tokenize(examples: dict[str, list], tokenizer, max_length: int, stride: int, keys: Sequence[str]):
    """Windows of at most ``max_length`` tokens overlapping by ``stride``: the tokenizer call of
    notebook 08, section 2 (a test checks that the notebook's call gives the same windows)."""
    _check_window_args(max_length, stride)
    _check_columns("examples", examples, keys)
    if "answers" in keys:
        _check_answers(examples)
    questions = [q.strip() for q in examples["question"]]  # SQuAD has questions with leading spaces
    return tokenizer(questions, examples["context"], truncation="only_second", max_length=max_length,
                     stride=stride, return_overflowing_tokens=True, return_offsets_mapping=True)


def prepare_train_features(examples: dict[str, list], tokenizer, max_length: int, stride: int) -> dict[str, list]:
    """Windows with their answer's token span: input_ids, attention_mask, (token_type_ids),
    start_positions, end_positions; one question may give several windows. Notebook 08, section 2.

    Taught in: notebook 08, section 2.
    """
    encoded = _tokenize(examples, tokenizer, max_length, stride, ("question", "context", "answers"))
    sample_of = encoded.pop("overflow_to_sample_mapping")  # window -> the example it was cut from
    offsets = encoded.pop("offset_mapping")  # window -> each token's (start char, end char)
    starts, ends = [], []
    for window, sample in enumerate(sample_of):
        answer = examples["answers"][sample]  # the answer of the example this window comes from
        if not answer["text"]:  # unanswerable (SQuAD v2): every window points at [CLS]
            starts.append(CLS_INDEX)
            ends.append(CLS_INDEX)
            continue
        start_char = answer["answer_start"][0]
        end_char = start_char + len(answer["text"][0])
        start, end = char_to_token_span(offsets[window], encoded.sequence_ids(window), start_char, end_char)
        starts.append(start)  # CLS_INDEX (0) when this window does not hold the whole answer
        ends.append(end)
    return {**{k: v for k, v in encoded.items()}, "start_positions": starts, "end_positions": ends}


def prepare_eval_features(examples: dict[str, list], tokenizer, max_length: int, stride: int) -> dict[str, list]:
    """Windows for prediction: the model inputs, ``example_id`` (the question each window comes
    from) and ``offset_mapping`` with None for every token outside the context. Notebook 08, section 5.

    Taught in: notebook 08, section 5.
    """
    encoded = _tokenize(examples, tokenizer, max_length, stride, ("id", "question", "context"))
    sample_of = encoded.pop("overflow_to_sample_mapping")  # window -> the example it was cut from
    offsets = encoded.pop("offset_mapping")
    masked = [[tuple(o) if s == 1 else None for o, s in zip(offsets[w], encoded.sequence_ids(w))]
              for w in range(len(sample_of))]  # None: a question, special or padding token, never an answer
    return {**{k: v for k, v in encoded.items()}, "example_id": [examples["id"][s] for s in sample_of],
            "offset_mapping": masked}


MODEL_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def _as_rows(features: dict[str, list], keys: Sequence[str] = (*MODEL_INPUTS, "start_positions", "end_positions")
            ) -> list[dict[str, Any]]:
    """Columns -> a list of per-window dicts holding only ``keys`` (what a collator pads)."""
    present = [k for k in keys if k in features]
    return [{k: features[k][i] for k in present} for i in range(len(features["input_ids"]))]


def predict_logits(model: torch.nn.Module, features: dict[str, list], collate_fn: Callable,
                   batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """(start logits, end logits), each (windows, longest window) in float32; padding gets -inf.

    ``inference.forward_batches`` over the windows, ``batch_size`` at a time. Notebook 08, section 5.

    Taught in: notebook 08, section 5.
    """
    require_module("model", model)
    _check_columns("features", features, ("input_ids", "attention_mask"))
    require_callable("collate_fn", collate_fn)
    require_int("batch_size", batch_size, minimum=1)
    rows = _as_rows(features, MODEL_INPUTS)
    batches = (collate_fn(rows[first:first + batch_size]) for first in range(0, len(rows), batch_size))
    kept = forward_batches(model, batches, _masked_logits)
    width = max(len(r["input_ids"]) for r in rows)
    starts = np.full((len(rows), width), -np.inf, dtype=np.float32)
    ends = np.full((len(rows), width), -np.inf, dtype=np.float32)
    first = 0
    for start_logits, end_logits in kept:
        count, length = start_logits.shape  # (b, T): this batch's windows, padded to its longest
        starts[first:first + count, :length] = start_logits
        ends[first:first + count, :length] = end_logits
        first += count
    return starts, ends


def _masked_logits(batch: dict[str, torch.Tensor], out) -> tuple[torch.Tensor, torch.Tensor]:
    """(start logits, end logits), each (b, T) in float32 on the CPU, with -inf at padding tokens."""
    padding = batch["attention_mask"] == 0  # (b, T)
    return (out.start_logits.float().masked_fill(padding, -np.inf).cpu(),
            out.end_logits.float().masked_fill(padding, -np.inf).cpu())


def best_spans(start_logits: np.ndarray, end_logits: np.ndarray, offsets: Sequence[tuple[int, int] | None],
               n_best: int = 20, max_answer_tokens: int = 30) -> list[tuple[float, int, int]]:
    """Candidate answers of one window, best first: (start_logit + end_logit, start char, end char).
    Notebook 08, section 5.

    The ``n_best`` highest starts are paired with the ``n_best`` highest ends; pairs outside
    the context (offset None), reversed, or longer than ``max_answer_tokens`` are dropped.

    Taught in: notebook 08, section 5.
    """
    _check_logits(start_logits, end_logits, offsets)
    _check_limits(n_best, max_answer_tokens)
    n = len(offsets)  # the window's tokens; a padded batch's logits may run longer (with -inf)
    top_starts = np.argsort(start_logits[:n])[::-1][:n_best]  # token indices, highest logit first
    top_ends = np.argsort(end_logits[:n])[::-1][:n_best]
    found = []
    for s in top_starts:
        for e in top_ends:
            if offsets[s] is None or offsets[e] is None or e < s or e - s + 1 > max_answer_tokens:
                continue  # outside the context, reversed, or too long
            found.append((float(start_logits[s] + end_logits[e]), offsets[s][0], offsets[e][1]))
    return sorted(found, key=lambda f: -f[0])


def _check_logits(start_logits: np.ndarray, end_logits: np.ndarray, offsets: Any) -> None:
    if np.ndim(start_logits) != 1 or np.shape(start_logits) != np.shape(end_logits):
        raise ValueError(f"start_logits and end_logits must be 1-d and of the same length, got shapes "
                         f"{np.shape(start_logits)} and {np.shape(end_logits)}")
    require_instance("offsets", offsets, (list, tuple), "a list of (start, end) pairs or None")


def _check_limits(n_best: int, max_answer_tokens: int) -> None:
    require_int("n_best", n_best, minimum=1)
    require_int("max_answer_tokens", max_answer_tokens, minimum=1)


def postprocess(examples: dict[str, list], features: dict[str, list], start_logits: np.ndarray,
                end_logits: np.ndarray, n_best: int = 20, max_answer_tokens: int = 30) -> dict[str, str]:
    """The best answer text of every question (id -> text), picked across all of its windows.
    Notebook 08, section 5. A question none of whose windows has a legal span gets "".

    Taught in: notebook 08, section 5.
    """
    _check_postprocess_args(examples, features, start_logits, end_logits, n_best, max_answer_tokens)
    best: dict[str, tuple[float, int, int]] = {}  # question id -> (score, start char, end char)
    for w, example_id in enumerate(features["example_id"]):
        spans = best_spans(start_logits[w], end_logits[w], features["offset_mapping"][w], n_best,
                           max_answer_tokens)
        if spans and (example_id not in best or spans[0][0] > best[example_id][0]):
            best[example_id] = spans[0]  # this window's best span beats the question's other windows
    contexts = dict(zip(examples["id"], examples["context"]))
    return {i: contexts[i][best[i][1]:best[i][2]] if i in best else "" for i in examples["id"]}


def _check_postprocess_args(examples: Any, features: Any, start_logits: np.ndarray, end_logits: np.ndarray,
                            n_best: int, max_answer_tokens: int) -> None:
    _check_columns("examples", examples, ("id", "context"))
    _check_columns("features", features, ("example_id", "offset_mapping"))
    _check_limits(n_best, max_answer_tokens)
    windows = len(features["example_id"])
    for name, logits in (("start_logits", start_logits), ("end_logits", end_logits)):
        if len(logits) != windows:
            raise ValueError(f"{name} must have one row per window ({windows}), got {len(logits)}")
    known = set(examples["id"])
    for w, (example_id, offsets) in enumerate(zip(features["example_id"], features["offset_mapping"])):
        if example_id not in known:
            raise ValueError(f"features must come from these examples, got window {w} of question {example_id!r}, "
                             f"which is not in examples['id'] (prepare_eval_features of the same rows)")
        for name, logits in (("start_logits", start_logits), ("end_logits", end_logits)):
            if np.ndim(logits[w]) == 1 and len(logits[w]) < len(offsets):
                raise ValueError(f"{name} must have a column for each of window {w}'s {len(offsets)} tokens, "
                                 f"got {len(logits[w])} (predict_logits pads every row to the longest window)")


def train_qa(model: torch.nn.Module, features: dict[str, list], config: TrainConfig, collate_fn: Callable,
             device: torch.device | str | None = None) -> History:
    """Fine-tune a QA model on ``prepare_train_features``' windows with ``helpers.training.train``.

    The loss is the model's own: the mean of the cross-entropies of the start and of the end
    position. No evaluation inside the loop (QA needs post-processing: see ``postprocess``);
    checkpoints and ``resume`` work as in ``train``.

    Taught in: notebook 08, section 4.
    """
    _check_columns("features", features, ("input_ids",))
    rows = _as_rows(features)
    if not rows or "start_positions" not in rows[0]:
        raise ValueError("features must come from prepare_train_features (with start_positions), got "
                         f"{sorted(features)}")
    return train(model, rows, None, config, collate_fn=collate_fn, device=device)


def _answer_type(text: str) -> str:
    words = text.split()
    if any(ch.isdigit() for ch in text):
        return "number"
    if words and all(w[0].isupper() for w in words if w.lower() not in ("of", "the", "and", "for")):
        return "name"
    return "phrase"


def error_category(prediction: str, golds: Sequence[str]) -> str:
    """Why an answer is wrong: 'correct' (exact match), 'boundary' (shares words with a gold answer:
    too long or too short), 'same type' (a different number, or a different name, for a number or a
    name), else 'unrelated'.

    Taught in: notebook 08, section 7.
    """
    from .metrics import exact_match, token_f1

    require_str("prediction", prediction, empty=True)
    require_strings("golds", golds, min_length=1)
    if any(exact_match(prediction, g) for g in golds):
        return "correct"
    if any(token_f1(prediction, g) > 0 for g in golds):
        return "boundary"
    if prediction and any(_answer_type(prediction) == _answer_type(g) != "phrase" for g in golds):
        return "same type"
    return "unrelated"
