"""The removed ``pipeline("question-answering")``'s decoding, as a reference for notebook 08.

transformers 5.3 removed the question-answering pipeline (huggingface/transformers PR #43325;
``pipeline("question-answering")`` raises "Unknown task"). What it did after the model is
short, and differs from ``qa.postprocess`` in one way worth seeing: it turns each window's
logits into **probabilities** first (a softmax over the window's context tokens, for the start
and for the end), scores every legal span by ``P(start) * P(end)`` and keeps the most probable
span over all windows. Inside one window that ranks spans exactly as ``start + end`` logits do
(the softmax only subtracts a per-window constant); **across** windows it can differ, because
each window's probabilities sum to one on their own: a window without the answer still hands
out probability 1 to its context tokens.
"""
from __future__ import annotations

import numpy as np

from .qa import _check_postprocess_args


def pipeline_available() -> tuple[bool, str]:
    """(whether ``pipeline("question-answering")`` exists in this transformers, its message if not).

    Taught in: notebook 08, section 9.
    """
    from transformers import pipeline

    try:
        pipeline("question-answering", model=None)
    except (KeyError, ValueError) as error:
        if "Unknown task" in str(error) or "question-answering" in str(error) and "removed" in str(error).lower():
            return False, str(error).splitlines()[0][:200]
    except Exception:  # noqa: BLE001 - the task exists; it failed for want of a model, as it should here
        return True, ""
    return True, ""


def pipeline_style_answers(examples: dict[str, list], features: dict[str, list], start_logits: np.ndarray,
                           end_logits: np.ndarray, max_answer_tokens: int = 30) -> dict[str, str]:
    """id -> answer text, decoded as the removed pipeline did: per-window softmax over the context
    tokens, every legal span scored P(start) * P(end), the most probable over all windows.

    Taught in: notebook 08, section 9.
    """
    _check_postprocess_args(examples, features, start_logits, end_logits, 1, max_answer_tokens)
    best: dict[str, tuple[float, int, int]] = {}
    for w, example_id in enumerate(features["example_id"]):
        offsets = features["offset_mapping"][w]
        context = np.array([o is not None for o in offsets])  # (T,) the tokens an answer may use
        if not context.any():
            continue
        p_start = _softmax(np.where(context, start_logits[w][:len(offsets)], -np.inf))  # (T,)
        p_end = _softmax(np.where(context, end_logits[w][:len(offsets)], -np.inf))
        scores = np.triu(np.outer(p_start, p_end))  # (T, T): span j..k, zero where k < j
        scores = np.tril(scores, max_answer_tokens - 1)  # ... and where k - j + 1 > max_answer_tokens
        j, k = np.unravel_index(np.argmax(scores), scores.shape)
        if example_id not in best or scores[j, k] > best[example_id][0]:
            best[example_id] = (float(scores[j, k]), offsets[j][0], offsets[k][1])
    contexts = dict(zip(examples["id"], examples["context"]))
    return {i: contexts[i][best[i][1]:best[i][2]] if i in best else "" for i in examples["id"]}


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max())
    return shifted / shifted.sum()
