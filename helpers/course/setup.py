"""The one call at the top of every notebook: settings, seed, device, versions, plot style, threads.

    cfg, device = setup_notebook(seed=0)

does, in this order, what each notebook's set-up cell used to spell out in five to eight lines:
``settings()`` (scale x source, resolved once; it also chooses PyTorch's CPU thread count,
``helpers.device.set_cpu_threads``), ``seed_everything(seed)``, ``pick_device()`` (cuda -> mps ->
cpu), the course's plot style, optionally transformers' loading reports silenced, and two printed
lines: where and how big the notebook runs, and the versions that matter.

Taught in: notebook 01, set-up cell (every notebook starts with it).
"""
from __future__ import annotations

from typing import Sequence

import torch

from .config import Settings, settings, versions
from ..device import pick_device, seed_everything
from .validation import require_bool, require_int, require_strings

PACKAGES = ("torch", "transformers", "datasets")
# Quiet, readable figures that render the same in JupyterLab, nbval and the static site.
PLOT_STYLE = {"axes.spines.top": False, "axes.spines.right": False, "legend.frameon": False,
              "figure.dpi": 100, "savefig.bbox": "tight"}


def use_plot_style() -> None:
    """Apply the course's matplotlib style (``PLOT_STYLE``) to every later figure of this kernel.

    Not taught: course machinery.
    """
    import matplotlib.pyplot as plt

    plt.rcParams.update(PLOT_STYLE)


def quiet_transformers() -> None:
    """Silence transformers' weight-loading reports and progress bars (notebooks that cut or re-head models on purpose).

    Not taught: course machinery.
    """
    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()


def setup_notebook(seed: int = 0, packages: Sequence[str] = PACKAGES,
                   quiet: bool = False) -> tuple[Settings, torch.device]:
    """Set a notebook up in one call and return ``(cfg, device)``; prints the settings and versions.

    ``packages``: whose versions the second printed line names; ``quiet``: silence transformers'
    weight-loading reports (``quiet_transformers``).

    Taught in: notebook 01, set-up cell.
    """
    require_int("seed", seed, minimum=0)
    packages = tuple(require_strings("packages", packages, min_length=1))
    require_bool("quiet", quiet)
    cfg = settings()           # resolved once per kernel; sets PyTorch's CPU threads too
    seed_everything(seed)
    device = pick_device()
    use_plot_style()
    if quiet:
        quiet_transformers()
    print(cfg.summary())
    print(versions(packages))
    return cfg, device
