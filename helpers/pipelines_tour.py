"""What a pretrained model does, before we open it: the pieces of notebook 03's pipeline tour.

``pipeline("fill-mask" | "text-classification" | "feature-extraction", model=...)`` runs a task in
one line. transformers 5 removed ``pipeline("question-answering")`` (the migration guide points to
chat models), so ``answer_question`` does its job for an extractive QA model in a few lines: run the
model on the (question, context) pair, and pick the span of the context whose start and end are the
most probable. ``trained_for`` says which head a checkpoint was saved with, so that a notebook can
label a head that the loader had to create untrained. Notebook 03, section 1.
"""
from __future__ import annotations

import contextlib
import inspect
from typing import Any, Iterator

import torch

from .course.validation import require_int, require_model, require_str, require_tokenizer


def trained_for(model: Any) -> str:
    """The architecture the checkpoint was saved as ("BertModel": no task head; "BertForMaskedLM": its MLM head).

    ``from_pretrained`` keeps the checkpoint's ``config.architectures``, whichever task class loaded it:
    a head that the checkpoint does not name was created with random weights.

    Taught in: notebook 03, section 1.
    """
    architectures = require_model("model", model).config.architectures or ["unknown"]
    return str(architectures[0])


@contextlib.contextmanager
def loading_reports_silenced() -> Iterator[None]:
    """Hide transformers' weight-loading report and progress bar inside the ``with`` block.

    The report lists the weights the checkpoint lacked; the notebook states it with ``trained_for`` instead.

    Taught in: notebook 03, section 1.
    """
    from transformers.utils import logging

    before, bar = logging.get_verbosity(), logging.is_progress_bar_enabled()
    logging.set_verbosity_error()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        logging.set_verbosity(before)
        if bar:
            logging.enable_progress_bar()


@torch.no_grad()
def answer_question(model: Any, tokenizer: Any, question: str, context: str, max_answer_tokens: int = 30,
                    max_length: int = 384) -> dict[str, Any]:
    """The most probable answer span of ``context``, as the removed question-answering pipeline gave it.

    Returns ``{"answer", "score", "start", "end"}``: ``context[start:end] == answer``, and ``score``
    is P(start) x P(end), each a softmax over the context's tokens. One window of ``max_length``
    tokens (the context is cut beyond it); notebook 08 slides windows over long contexts.

    Taught in: notebook 03, section 1.
    """
    require_model("model", model)
    require_tokenizer("tokenizer", tokenizer)
    require_str("question", question)
    require_str("context", context)
    require_int("max_answer_tokens", max_answer_tokens, minimum=1)
    require_int("max_length", max_length, minimum=8)
    model.eval()
    inputs = tokenizer(question, context, truncation="only_second", max_length=max_length,
                       return_offsets_mapping=True, return_tensors="pt")
    offsets = inputs.pop("offset_mapping")[0].tolist()  # T x (start char, end char)
    if "token_type_ids" not in inspect.signature(model.forward).parameters:  # DistilBERT has no segments
        inputs.pop("token_type_ids", None)
    in_context = torch.tensor([s == 1 for s in inputs.sequence_ids(0)])  # (T,): tokens of the context
    outputs = model(**inputs.to(next(model.parameters()).device))
    start = outputs.start_logits[0].float().cpu().masked_fill(~in_context, -torch.inf).softmax(-1)  # (T,)
    end = outputs.end_logits[0].float().cpu().masked_fill(~in_context, -torch.inf).softmax(-1)  # (T,)
    T = start.shape[0]
    legal = torch.ones(T, T, dtype=torch.bool).triu() & ~torch.ones(T, T, dtype=torch.bool).triu(max_answer_tokens)
    scores = (start[:, None] * end[None, :]).masked_fill(~legal, 0.0)  # (T, T): [i, j] = P(start i) P(end j)
    i, j = divmod(int(scores.argmax()), T)
    first, last = offsets[i][0], offsets[j][1]
    return {"answer": context[first:last], "score": float(scores[i, j]), "start": first, "end": last}
