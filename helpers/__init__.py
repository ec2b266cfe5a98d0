"""Helpers for the transformers course: one module per concept.

Where things are:

* lesson modules, one concept each, at the top (``attention``, ``encoder``, ``objectives``,
  ``freezing``, ``training``, ``qa``, ``seq2seq``, ``metrics``, ...): the code the notebooks teach;
* ``helpers.data``: the data loaders (``classification``, ``corpus``, ``qa``, ``translation``,
  ``summarization``), each giving the hub's schema offline;
* ``helpers.course``: the course machinery (``setup``, ``config`` and ``settings_groups``, ``assets``,
  ``errors``, ``validation``, ``results``);
* ``helpers.exercises``: the exercise registry (``checks``) and each notebook's checkers (``nbNN``).

A notebook's set-up cell reads::

    from helpers import setup_notebook
    cfg, device = setup_notebook(seed=0)   # settings, seed, device (cuda -> mps -> cpu), threads, plot style
    # prints e.g. "tiny scale, offline assets, cpu (2 CPU threads)" and the versions that matter

``cfg`` holds the settings grouped by topic: ``cfg.models.encoder``, ``cfg.qa.stride``, ...
"""
from .device import Precision, pick_device, pick_precision, seed_everything, trainer_precision_args
from .course.errors import AssetError, SettingsError, ShapeError, TutorialError
from .course.config import Settings, settings, versions
from .course.setup import setup_notebook
from . import _moved

_moved.install()  # the first release's module paths (helpers.qa_data, ...) still import, with a warning

# `from helpers import checks, results`: the two course modules every notebook calls, by their short names
_SHORT_NAMES = {"checks": "helpers.exercises.checks", "results": "helpers.course.results"}


def __getattr__(name: str):
    if name in _SHORT_NAMES:
        import importlib

        return importlib.import_module(_SHORT_NAMES[name])
    raise AttributeError(f"module 'helpers' has no attribute {name!r}")

__all__ = [
    "AssetError", "Precision", "Settings", "SettingsError", "ShapeError", "TutorialError",
    "pick_device", "pick_precision", "seed_everything", "settings", "setup_notebook", "trainer_precision_args",
    "versions",
]
