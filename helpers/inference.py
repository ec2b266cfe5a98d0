"""One batched forward pass for prediction: eval mode, no gradients, autocast, batches on the device.

    from helpers.inference import forward_batches
    picked = forward_batches(model, loader, lambda batch, out: out.logits.argmax(dim=-1).cpu())
    predicted = torch.cat(picked)                                  # (N,)

``helpers.training.predict``, ``helpers.classification.predict_proba`` and
``helpers.qa.predict_logits`` are this loop with their own ``keep``: what each takes from a
batch's outputs (the winning class and the loss; the softmax; the start and end logits).
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping, Sequence, TypeVar

import torch

from .device import autocast, explain_oom, pick_precision, to_device
from .course.validation import require_callable, require_module, require_strings

Kept = TypeVar("Kept")


@torch.no_grad()
def forward_batches(model: torch.nn.Module, batches: Iterable[Mapping[str, torch.Tensor]],
                    keep: Callable[[dict[str, torch.Tensor], Any], Kept], *, leave_out: Sequence[str] = (),
                    device: torch.device | None = None) -> list[Kept]:
    """``keep(batch, outputs)`` of every batch, in order, from ``model`` run in eval mode without gradients.

    Each batch (a dict of tensors) is moved to ``device`` (default: the model's) and run under
    ``device.autocast`` in ``pick_precision(device)``; the keys in ``leave_out`` (e.g. ``"labels"``:
    no loss to compute) are kept from the model but still given to ``keep``, which runs outside
    autocast and should return CPU tensors. The model's train/eval mode is restored afterwards.
    A CUDA out-of-memory error becomes ``OutOfMemory``, one sentence saying what to shrink.

    Not taught: a building block of helpers.classification, helpers.qa, helpers.training.
    """
    require_module("model", model)
    if isinstance(batches, (str, bytes, Mapping)) or not isinstance(batches, Iterable):
        raise TypeError(f"batches must be an iterable of batches (a DataLoader, a list of dicts of tensors), "
                        f"got {type(batches).__name__}")
    require_callable("keep", keep)
    require_strings("leave_out", leave_out)
    device = device or next(model.parameters()).device
    precision = pick_precision(device)
    was_training = model.training
    model.eval()
    kept = []
    try:
        for batch in batches:
            batch = to_device(batch, device)
            inputs = {key: value for key, value in batch.items() if key not in leave_out}
            with autocast(device, precision), explain_oom(_rows(batch)):
                outputs = model(**inputs)
            kept.append(keep(batch, outputs))
    finally:
        model.train(was_training)
    return kept


def _rows(batch: Mapping[str, torch.Tensor]) -> int:
    """Examples in a collated batch: the first dimension of its first tensor."""
    return next(iter(batch.values())).shape[0]
