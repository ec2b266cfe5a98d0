"""Dynamic int8 quantization of a model's linear layers, for CPU inference.

    from helpers.quantization import int8_symmetric, dynamic_int8, saved_bytes
    q, scale = int8_symmetric(weight)             # weight ~ scale * q, q in -128..127
    small = dynamic_int8(classifier)               # a copy: every nn.Linear runs in int8
    saved_bytes(classifier), saved_bytes(small)    # what torch.save(state_dict) writes

**The idea.** A weight matrix W is stored as int8 numbers q and one fp32 scale s per tensor,
W ~ s * q with s = max|W| / 127.5 and q = round(W / s): a quarter of fp32's bytes, an error of
at most s / 2 per weight. *Dynamic* quantization also quantizes each layer's input on the fly
(its scale measured on the batch itself, so no calibration data is needed), multiplies int8 by
int8 into int32, and rescales the result to fp32. The embeddings, LayerNorms and softmax stay
in fp32.

**CPU only.** ``torch.ao.quantization.quantize_dynamic`` runs its int8 kernels (fbgemm / x86,
qnnpack on ARM) on the CPU. It is deprecated in favour of the ``torchao`` package (not installed
here), so ``dynamic_int8`` silences its deprecation warnings. On a GPU, use bf16/fp16 weights
(half the bytes, tensor cores) or torchao's / bitsandbytes' int8 and 4-bit GPU kernels.
"""
from __future__ import annotations

import copy
import io
import warnings

import torch
from torch import nn

from .course.validation import require_module, require_tensor


def int8_symmetric(weight: torch.Tensor) -> tuple[torch.Tensor, float]:
    """(q, s): int8 values and one scale with weight ~ s * q; s = max|weight| / 127.5, q = round(weight / s).

    The per-tensor symmetric scheme of PyTorch's default dynamic-quantization weights (zero point 0),
    computed as PyTorch does (in fp32, multiplying by 1 / s), so the int8 values match its own.

    Taught in: notebook 10, section 8.
    """
    require_tensor("weight", weight, dtype="float")
    if weight.numel() == 0:
        raise ValueError(f"weight must hold at least one value to take its max, got shape {tuple(weight.shape)}")
    scale = torch.clamp(weight.abs().max().float() / 127.5, min=torch.finfo(torch.float32).eps)  # s, never 0
    q = torch.clamp(torch.round(weight * (1 / scale)), -128, 127).to(torch.int8)  # same shape as weight
    return q, scale.item()
    return q, scale


def dynamic_int8(model: nn.Module) -> nn.Module:
    """A copy of ``model`` whose ``nn.Linear`` layers run in int8 on the CPU (``quantize_dynamic``).

    The original is left untouched (and in fp32).

    Taught in: notebook 10, section 8.
    """
    require_module("model", model)
    original = next(model.parameters()).device
    if original.type != "cpu":
        raise ValueError(f"dynamic int8 quantization runs on the CPU; the model is on {original}: "
                         f"quantize a copy moved with model.to('cpu')")
    with warnings.catch_warnings():  # torch.ao.quantization's deprecation notices (successor: torchao)
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        return torch.ao.quantization.quantize_dynamic(copy.deepcopy(model).eval(), {nn.Linear}, dtype=torch.qint8)


def saved_bytes(model: nn.Module) -> int:
    """Bytes that torch.save writes for the model's state_dict: the size on disk, packed int8 weights included.

    Taught in: notebook 10, section 8.
    """
    require_module("model", model)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        torch.save(model.state_dict(), buffer)
    return buffer.getbuffer().nbytes
