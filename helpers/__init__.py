"""Helpers for the transformers course: one module per concept.

A notebook's set-up cell reads::

    from helpers import setup_notebook
    cfg, device = setup_notebook(seed=0)   # settings, seed, device (cuda -> mps -> cpu), threads, plot style
    # prints e.g. "tiny scale, offline assets, cpu (2 CPU threads)" and the versions that matter

``cfg`` holds the settings grouped by topic: ``cfg.models.encoder``, ``cfg.qa.stride``, ...
"""
from .device import Precision, pick_device, pick_precision, seed_everything, trainer_precision_args
from .errors import AssetError, SettingsError, ShapeError, TutorialError
from .config import Settings, settings, versions
from .setup import setup_notebook

__all__ = [
    "AssetError", "Precision", "Settings", "SettingsError", "ShapeError", "TutorialError",
    "pick_device", "pick_precision", "seed_everything", "settings", "setup_notebook", "trainer_precision_args",
    "versions",
]
