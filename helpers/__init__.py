"""Helpers for the transformers course: one module per concept.

A notebook's set-up cell typically reads::

    from helpers import settings, seed_everything, pick_device
    cfg = settings()          # scale x source, resolved once
    seed_everything(0)
    device = pick_device()    # cuda -> mps -> cpu
    print(cfg.summary())      # e.g. "tiny scale, offline assets, cpu"
"""
from .device import Precision, pick_device, pick_precision, seed_everything, trainer_precision_args
from .errors import AssetError, SettingsError, ShapeError, TutorialError
from .config import Settings, settings, versions

__all__ = [
    "AssetError", "Precision", "Settings", "SettingsError", "ShapeError", "TutorialError",
    "pick_device", "pick_precision", "seed_everything", "settings", "trainer_precision_args", "versions",
]
