"""Device, precision and seeding: chosen once, the same way in every notebook."""
from __future__ import annotations

import os
import random
from dataclasses import dataclass

import numpy as np
import torch


def pick_device() -> torch.device:
    """The best available device: CUDA, then Apple's MPS, then the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


@dataclass(frozen=True)
class Precision:
    """How to run mixed precision on a device.

    ``dtype`` is the autocast dtype (``None``: stay in float32); ``use_grad_scaler``
    is True only for float16 on CUDA, whose narrow exponent range makes small
    gradients underflow unless the loss is scaled up first.
    """

    dtype: torch.dtype | None
    use_grad_scaler: bool

    @property
    def name(self) -> str:
        return "fp32" if self.dtype is None else str(self.dtype).removeprefix("torch.").replace("bfloat16", "bf16").replace("float16", "fp16")


def pick_precision(device: torch.device | str) -> Precision:
    """bf16 where the device supports it, else fp16 with a grad scaler on CUDA, else fp32."""
    if not isinstance(device, (torch.device, str)):
        raise TypeError(f"device must be a torch.device or a name such as 'cpu' or 'cuda', got {type(device).__name__}")
    try:
        device = torch.device(device)
    except RuntimeError:
        raise ValueError(f"device must be a device name such as 'cpu', 'cuda' or 'mps', got {device!r}") from None
    if device.type == "cuda":
        if torch.cuda.is_bf16_supported():
            return Precision(torch.bfloat16, use_grad_scaler=False)
        return Precision(torch.float16, use_grad_scaler=True)
    # CPU autocast in bf16 is slower than fp32 on most laptops, and MPS autocast is
    # still partial: both stay in float32.
    return Precision(None, use_grad_scaler=False)


def trainer_precision_args(device: torch.device | str) -> dict[str, bool]:
    """``TrainingArguments``' ``bf16``/``fp16`` flags for the precision ``pick_precision`` chooses.

    ``TrainingArguments(**trainer_precision_args(device), ...)`` makes ``Trainer`` and
    ``Seq2SeqTrainer`` train in the same precision as our own loop: bf16 where the GPU
    supports it, else fp16 (Trainer then scales the loss itself), fp32 on a CPU or MPS.
    """
    precision = pick_precision(device)
    return {"bf16": precision.dtype == torch.bfloat16, "fp16": precision.dtype == torch.float16}


def seed_everything(seed: int = 0) -> int:
    """Seed Python, NumPy and PyTorch (all devices) so a notebook reruns identically."""
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also seeds CUDA and MPS generators
    os.environ["PYTHONHASHSEED"] = str(seed)  # for subprocesses (e.g. data loader workers)
    return seed
