"""Device, precision and seeding: chosen once, the same way in every notebook.

``autocast(device, precision)`` and ``to_device(batch, device)`` are the two lines every
forward pass repeats (``helpers.training``, ``helpers.inference``); ``explain_oom`` turns the
accelerator's out-of-memory error into one sentence saying what to shrink.
"""
from __future__ import annotations

import contextlib
import os
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass

from .course.errors import SettingsError, TutorialError
from .course.validation import require_instance, require_int, require_number, require_str

import numpy as np
import torch


def pick_device() -> torch.device:
    """The best available device: CUDA, then Apple's MPS, then the CPU.

    Not taught: course machinery, used by helpers.__init__, helpers.course.config, helpers.course.setup and others.
    """
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

    Taught in: notebook 06, section 7.
    """

    dtype: torch.dtype | None
    use_grad_scaler: bool

    @property
    def name(self) -> str:
        return "fp32" if self.dtype is None else str(self.dtype).removeprefix("torch.").replace("bfloat16", "bf16").replace("float16", "fp16")


def pick_precision(device: torch.device | str) -> Precision:
    """bf16 where the device supports it, else fp16 with a grad scaler on CUDA, else fp32.

    Taught in: notebook 06, section 3.
    """
    require_instance("device", device, (torch.device, str), "a torch.device or a name such as 'cpu' or 'cuda'")
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


def autocast(device: torch.device, precision: Precision) -> contextlib.AbstractContextManager:
    """``torch.autocast`` in ``precision``'s dtype on ``device``, or a no-op block for fp32 (a ``with`` block).

    Notebook 06, section 3, writes it out as ``torch.autocast(device.type, dtype=..., enabled=...)``.

    Not taught: course machinery, used by helpers.inference, helpers.training.
    """
    require_instance("device", device, torch.device, "a torch.device (pick_device() returns one)")
    require_instance("precision", precision, Precision, "the Precision that pick_precision(device) returns")
    if precision.dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=precision.dtype)


def to_device(batch: Mapping[str, torch.Tensor], device: torch.device) -> dict[str, torch.Tensor]:
    """The same batch (a dict of tensors, or a tokenizer's BatchEncoding) with every tensor on ``device``.

    Not taught: course machinery, used by helpers.inference, helpers.pretraining, helpers.training.
    """
    require_instance("batch", batch, Mapping, "a dict of tensors (a collated batch)")
    require_instance("device", device, (torch.device, str), "a torch.device or a name such as 'cpu' or 'cuda'")
    return {key: value.to(device) for key, value in batch.items()}


class OutOfMemory(TutorialError, RuntimeError):
    """The accelerator ran out of memory during training or evaluation."""


def explain_oom(batch_size: int) -> contextlib.AbstractContextManager:
    """Turn CUDA's out-of-memory error into one sentence saying what to shrink (a ``with`` block).

    Not taught: course machinery, used by helpers.inference, helpers.training.
    """
    require_int("batch_size", batch_size, minimum=1)
    return _explain_oom(batch_size)


@contextlib.contextmanager
def _explain_oom(batch_size: int):
    try:
        yield
    except torch.cuda.OutOfMemoryError as error:
        torch.cuda.empty_cache()
        raise OutOfMemory(
            f"the GPU ran out of memory with batch_size={batch_size}: halve the batch size (and double "
            f"gradient accumulation to keep the effective batch), shorten max_length or freeze more "
            f"layers, then restart the kernel.") from error


def trainer_precision_args(device: torch.device | str) -> dict[str, bool]:
    """``TrainingArguments``' ``bf16``/``fp16`` flags for the precision ``pick_precision`` chooses.

    ``TrainingArguments(**trainer_precision_args(device), ...)`` makes ``Trainer`` and
    ``Seq2SeqTrainer`` train in the same precision as our own loop: bf16 where the GPU
    supports it, else fp16 (Trainer then scales the loss itself), fp32 on a CPU or MPS.

    Taught in: notebook 06, section 5.
    """
    precision = pick_precision(device)
    return {"bf16": precision.dtype == torch.bfloat16, "fp16": precision.dtype == torch.float16}


def seed_everything(seed: int = 0) -> int:
    """Seed Python, NumPy and PyTorch (all devices) so a notebook reruns identically.

    Not taught: course machinery, used by helpers.__init__, helpers.course.setup, helpers.training.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also seeds CUDA and MPS generators
    os.environ["PYTHONHASHSEED"] = str(seed)  # for subprocesses (e.g. data loader workers)
    return seed


THREADS_VARIABLE = "TUTORIAL_THREADS"  # set it (e.g. TUTORIAL_THREADS=1) to override the choice below


def usable_cpus() -> int:
    """The CPU cores this process may run on (its affinity mask where the OS has one).

    Not taught: course machinery.
    """
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _cpu_ticks(stat: str = "/proc/stat") -> tuple[int, int, int] | None:
    """(busy ticks, all ticks, cores) summed over the machine's cores; None where there is no /proc/stat."""
    try:
        with open(stat) as file:
            lines = file.read().splitlines()
    except OSError:
        return None
    fields = [int(value) for value in lines[0].split()[1:]]  # user nice system idle iowait irq softirq steal ...
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    cores = sum(1 for line in lines if line.startswith("cpu") and line[3:4].isdigit())
    return sum(fields[:8]) - idle, sum(fields[:8]), cores


def busy_cores(window_s: float = 0.3, stat: str = "/proc/stat") -> float | None:
    """How many of the machine's cores other processes keep busy now (sampled over ``window_s``); None off Linux.

    Not taught: course machinery.
    """
    require_number("window_s", window_s, minimum=0.0, maximum=10.0)
    require_str("stat", stat)
    first = _cpu_ticks(stat)
    time.sleep(window_s)  # this process sleeps meanwhile, so what is busy is someone else
    second = _cpu_ticks(stat)
    if first is None or second is None or second[1] <= first[1]:
        return None
    return (second[0] - first[0]) / (second[1] - first[1]) * second[2]


def choose_threads(cpus: int, busy: float | None) -> int:
    """PyTorch CPU threads: one per core that no other process is using, and at least one.

    PyTorch's default is one thread per core. On a shared machine that is a trap: its OpenMP threads
    spin while they wait for each other, so a thread that has to share its core with another
    program slows the whole team down (two 2-thread jobs on 2 cores each took 2.2x their time
    alone; at 1 thread each they took 1.8x).

    Not taught: course machinery.
    """
    require_int("cpus", cpus, minimum=1)
    if busy is None:
        return cpus
    require_number("busy", busy, minimum=0.0)
    return max(1, min(cpus, round(cpus - busy)))


def set_cpu_threads(environ: Mapping[str, str] = os.environ) -> int:
    """Set PyTorch's CPU thread count by ``choose_threads`` and return it.

    ``TUTORIAL_THREADS=N`` sets it to N; an ``OMP_NUM_THREADS`` you set yourself (PyTorch reads it at
    import) is kept as it is.

    Not taught: course machinery, used by helpers.course.config.
    """
    require_instance("environ", environ, Mapping, "a mapping of environment variables (os.environ)")
    wanted = environ.get(THREADS_VARIABLE, "").strip()
    if not wanted and environ.get("OMP_NUM_THREADS", "").strip():
        return torch.get_num_threads()
    if wanted:
        if not wanted.isdigit() or int(wanted) < 1:
            raise SettingsError(f"{THREADS_VARIABLE} must be a whole number of threads, 1 or more, got {wanted!r}")
        threads = int(wanted)
    else:
        threads = choose_threads(usable_cpus(), busy_cores())
    torch.set_num_threads(threads)
    return threads
