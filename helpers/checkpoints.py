"""Checkpoints that let an interrupted training run continue exactly where it stopped.

A checkpoint is one folder per finished epoch, ``<dir>/epoch-<n>/``, holding

* ``model.safetensors``: the weights (``safetensors``: no pickle, loads lazily);
* ``state.pt``: optimizer, learning-rate scheduler, grad scaler, the epoch number and
  the random-number states of Python, NumPy, PyTorch and CUDA, stored as plain
  tensors and numbers so that ``torch.load(..., weights_only=True)`` reads it;
* ``history.json``: the losses and metrics so far.

The folder is written under a temporary name and renamed when complete, so a run
killed while saving never leaves a checkpoint that looks finished.
``helpers.training.train`` saves one per epoch and, with ``resume=True``, loads the
latest one; with the same seed the resumed run ends with the same weights and metrics
as an uninterrupted one (tests/unit/test_training.py checks it).
"""
from __future__ import annotations

import json
import random
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .course.validation import require_int, require_module, require_path

WEIGHTS, STATE, HISTORY = "model.safetensors", "state.pt", "history.json"
_EPOCH_DIR = re.compile(r"^epoch-(\d+)$")


def rng_state() -> dict[str, Any]:
    """Every random-number state a training step can consume, as tensors and numbers.

    Taught in: notebook 10, section 2.
    """
    version, mt_state, gauss = random.getstate()
    kind, keys, position, has_gauss, cached = np.random.get_state()
    state = {
        "python": {"version": version, "state": torch.tensor(mt_state, dtype=torch.int64), "gauss": gauss},
        "numpy": {"kind": kind, "keys": torch.from_numpy(keys.astype(np.int64)), "position": int(position),
                  "has_gauss": int(has_gauss), "cached": float(cached)},
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what ``rng_state`` captured.

    Taught in: notebook 10, section 2.
    """
    if not isinstance(state, dict):
        raise TypeError(f"state must be the dict that rng_state() returns, got {type(state).__name__}")
    missing = {"python", "numpy", "torch"} - set(state)
    if missing:
        raise ValueError(f"state must hold the keys 'python', 'numpy' and 'torch' (from rng_state()), "
                         f"got keys {sorted(state)}")
    python = state["python"]
    random.setstate((python["version"], tuple(int(x) for x in python["state"].tolist()), python["gauss"]))
    numpy = state["numpy"]
    np.random.set_state((numpy["kind"], numpy["keys"].numpy().astype(np.uint32), numpy["position"],
                         numpy["has_gauss"], numpy["cached"]))
    torch.set_rng_state(state["torch"].cpu())
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]])


def save_checkpoint(folder: str | Path, epoch: int, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                    scheduler: Any, history: dict[str, Any], scaler: Any = None) -> Path:
    """Write ``<folder>/epoch-<epoch>/`` (weights, training state, history); return its path.

    Not taught: course machinery, used by helpers.training.
    """
    from safetensors.torch import save_model

    require_int("epoch", epoch, minimum=1)  # the number of finished epochs
    folder = require_path("folder", folder)
    _require_training_objects(model, optimizer, scheduler)
    if not isinstance(history, dict):
        raise TypeError(f"history must be a dict (History.to_dict()), got {type(history).__name__}")
    final = Path(folder) / f"epoch-{epoch}"
    partial = final.with_name(final.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    save_model(model, str(partial / WEIGHTS))  # handles tied (shared) weights
    torch.save({"epoch": epoch, "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                "scaler": scaler.state_dict() if scaler is not None else None, "rng": rng_state()},
               partial / STATE)
    (partial / HISTORY).write_text(json.dumps(history))
    shutil.rmtree(final, ignore_errors=True)
    partial.rename(final)
    return final


def _require_training_objects(model: Any, optimizer: Any, scheduler: Any) -> None:
    require_module("model", model)
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    if not hasattr(scheduler, "state_dict") or not hasattr(scheduler, "load_state_dict"):
        raise TypeError(f"scheduler must be a learning-rate scheduler with state_dict(), got {type(scheduler).__name__}")


def latest_checkpoint(folder: str | Path) -> Path | None:
    """The complete checkpoint of the highest epoch under ``folder``, or None.

    Not taught: course machinery, used by helpers.training.
    """
    folder = require_path("folder", folder)
    if not folder.is_dir():
        return None
    found = [(int(m.group(1)), p) for p in folder.iterdir()
             if (m := _EPOCH_DIR.match(p.name)) and (p / STATE).exists() and (p / WEIGHTS).exists()]
    return max(found)[1] if found else None


def load_checkpoint(path: str | Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                    scheduler: Any, scaler: Any = None) -> tuple[int, dict[str, Any]]:
    """Restore everything ``save_checkpoint`` wrote; return (finished epochs, history).

    Not taught: course machinery, used by helpers.training.
    """
    from safetensors.torch import load_model

    path = require_path("path", path)
    _require_training_objects(model, optimizer, scheduler)
    if not ((path / STATE).is_file() and (path / WEIGHTS).is_file()):
        raise ValueError(f"path must be a complete checkpoint folder holding {WEIGHTS} and {STATE} "
                         f"(latest_checkpoint(folder) finds one), got {str(path)!r}")
    device = next(model.parameters()).device
    load_model(model, str(path / WEIGHTS), device=str(device))
    state = torch.load(path / STATE, map_location="cpu", weights_only=True)
    optimizer.load_state_dict(state["optimizer"])  # moves its tensors to the parameters' device
    scheduler.load_state_dict(state["scheduler"])
    if scaler is not None and state["scaler"] is not None:
        scaler.load_state_dict(state["scaler"])
    set_rng_state(state["rng"])
    return int(state["epoch"]), json.loads((path / HISTORY).read_text())
