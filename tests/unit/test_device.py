"""Device, precision and seeding helpers."""
import random

import numpy as np
import pytest
import torch

from helpers.device import pick_device, pick_precision, seed_everything, trainer_precision_args


def test_pick_device_prefers_cuda_then_mps(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert pick_device().type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert pick_device().type == "mps"
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert pick_device().type == "cpu"


def test_precision_per_device(monkeypatch):
    assert pick_precision("cpu").dtype is None and pick_precision("cpu").name == "fp32"
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    bf16 = pick_precision("cuda")
    assert bf16.dtype == torch.bfloat16 and not bf16.use_grad_scaler and bf16.name == "bf16"
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    fp16 = pick_precision("cuda")
    assert fp16.dtype == torch.float16 and fp16.use_grad_scaler and fp16.name == "fp16"


def test_trainer_gets_the_precision_our_loop_uses(monkeypatch):
    assert trainer_precision_args("cpu") == {"bf16": False, "fp16": False}
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert trainer_precision_args("cuda") == {"bf16": True, "fp16": False}
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    assert trainer_precision_args(torch.device("cuda")) == {"bf16": False, "fp16": True}


def test_seed_everything_makes_runs_repeat():
    def draw():
        return random.random(), np.random.rand(), torch.rand(1).item()

    seed_everything(123)
    first = draw()
    seed_everything(123)
    assert draw() == first
    seed_everything(124)
    assert draw() != first


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True, None])
def test_seed_rejects_bad_values(bad):
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        seed_everything(bad)
