"""Errors a learner can act on: one sentence that says what to do, not a traceback.

Every error the helpers raise on purpose derives from ``TutorialError``. Inside
Jupyter, ``install_friendly_errors()`` (called by ``helpers.settings()``) shows
these errors as their message alone; the cell still fails, so a test run still
sees the error. Other exceptions keep their full traceback.
"""
from __future__ import annotations


class TutorialError(Exception):
    """An error whose message tells the learner what to do next."""


class SettingsError(TutorialError, ValueError):
    """An environment variable holds a value the course does not know."""


class AssetError(TutorialError, FileNotFoundError):
    """An offline asset is missing, incomplete or fails its checksum."""


class ArchitectureError(TutorialError, ValueError):
    """A model of another architecture or size than the one a helper works with."""


class ShapeError(TutorialError, ValueError):
    """Tensors whose shapes do not fit together; the message names the shapes."""


def _show_message_only(shell, etype, evalue, tb, tb_offset=None):  # IPython's handler signature
    text = f"{etype.__name__}: {evalue}"
    shell._showtraceback(etype, evalue, [text])
    return [text]


def install_friendly_errors() -> bool:
    """Show TutorialError as its one-line message in IPython; True if installed.

    Not taught: course machinery, used by helpers.course.config.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or not hasattr(shell, "set_custom_exc"):
        return False
    shell.set_custom_exc((TutorialError,), _show_message_only)
    return True
