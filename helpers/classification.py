"""Fine-tuned classifiers: class probabilities, the most confident mistakes, padding costs, timing.

    from helpers.classification import predict_proba, most_confident_mistakes, padded_tokens
    probs, labels = predict_proba(model, tokenized["test"], DataCollatorWithPadding(tokenizer))
    worst = most_confident_mistakes(probs, labels, k=5)      # indices into the test split
    padded_tokens(lengths, batch_size=16)                    # token slots with dynamic padding
    padded_tokens(lengths, batch_size=16, pad_to=128)        # ... padded to a fixed length

``helpers.training.predict`` returns only the winning class; error analysis needs the
model's confidence too, so ``predict_proba`` keeps the softmax of the logits (both run
``helpers.inference.forward_batches``).
"""
from __future__ import annotations

import time
from typing import Callable, Sequence

import torch

from .inference import forward_batches
from .training import make_loader
from .course.validation import require_callable, require_dataset, require_int, require_module, require_sequence, require_tensor


def predict_proba(model: torch.nn.Module, dataset, collate_fn: Callable, batch_size: int = 64,
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """(class probabilities (N, C) in float32, true labels (N,)) over ``dataset`` in eval mode.

    The labels stay out of the model (no loss to compute). Notebook 06, section 3.

    Taught in: notebook 06, section 3.
    """
    require_module("model", model)
    require_dataset("dataset", dataset)
    require_callable("collate_fn", collate_fn)
    require_int("batch_size", batch_size, minimum=1)
    if len(dataset) == 0:
        raise ValueError("dataset must hold at least one example, got an empty dataset")
    kept = forward_batches(model, make_loader(dataset, batch_size, collate_fn), _probabilities, leave_out=("labels",))
    probs, labels = zip(*kept)
    return torch.cat(probs), torch.cat(labels)


def _probabilities(batch: dict[str, torch.Tensor], out) -> tuple[torch.Tensor, torch.Tensor]:
    """(softmax of the logits (B, C) in float32, true labels (B,)) on the CPU."""
    return out.logits.float().softmax(dim=-1).cpu(), batch["labels"].cpu()


def most_confident_mistakes(probs: torch.Tensor, labels: torch.Tensor, k: int = 5) -> list[int]:
    """Indices of the (at most ``k``) wrong predictions with the highest confidence, most confident first.

    Taught in: notebook 06, section 4.
    """
    require_tensor("probs", probs, shape="(N, C)")
    require_tensor("labels", labels, shape="(N,)")
    if probs.ndim != 2 or labels.shape != probs.shape[:1]:
        raise ValueError(f"probs must be (N, C) and labels (N,), got {tuple(probs.shape)} and "
                         f"{tuple(labels.shape)}")
    require_int("k", k, minimum=0)
    confidence, predicted = probs.max(dim=-1)  # (N,), (N,)
    wrong = (predicted != labels).nonzero().flatten()  # (M,)
    order = confidence[wrong].argsort(descending=True, stable=True)
    return wrong[order][:k].tolist()


def padded_tokens(lengths: Sequence[int], batch_size: int, pad_to: int | None = None) -> int:
    """Token slots the model processes for examples of these lengths, batched in order.

    ``pad_to=None``: dynamic padding, each batch padded to its own longest example;
    else every example is padded to ``pad_to`` tokens.

    Taught in: notebook 06, section 10.
    """
    require_sequence("lengths", lengths)
    for length in lengths:
        require_int("lengths", length, minimum=0)
    require_int("batch_size", batch_size, minimum=1)
    if pad_to is not None:
        require_int("pad_to", pad_to, minimum=1)
        if max(lengths, default=0) > pad_to:
            raise ValueError(f"pad_to must be at least the longest example's length, got pad_to={pad_to} "
                             f"for an example of {max(lengths)} tokens")
        return pad_to * len(lengths)
    return sum(max(lengths[i:i + batch_size]) * len(lengths[i:i + batch_size])
               for i in range(0, len(lengths), batch_size))


@torch.no_grad()
def seconds_per_batch(model: torch.nn.Module, batches: Sequence[dict[str, torch.Tensor]], repeats: int = 1,
                      ) -> float:
    """Median wall time of one forward pass (eval mode) over ``batches``, after one warm-up pass.

    Taught in: notebook 06, section 10.
    """
    require_module("model", model)
    require_sequence("batches", batches)
    if not batches:
        raise ValueError("batches must hold at least one batch to time, got an empty sequence")
    require_int("repeats", repeats, minimum=1)
    device = next(model.parameters()).device
    model.eval()
    inputs = [{k: v.to(device) for k, v in b.items() if k not in ("labels", "label")} for b in batches]
    model(**inputs[0])  # warm-up: first calls allocate and pick kernels
    times = []
    for _ in range(repeats):
        for batch in inputs:
            began = time.perf_counter()
            model(**batch)
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            times.append(time.perf_counter() - began)
    return sorted(times)[len(times) // 2]
