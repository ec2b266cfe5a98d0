"""setup_notebook: the one set-up call does what the notebooks' five to eight lines did, in the same order."""
import random

import matplotlib.pyplot as plt
import pytest
import torch

import helpers
from helpers.course import config, setup
from helpers.device import seed_everything


@pytest.fixture
def fresh_settings(monkeypatch):
    monkeypatch.setenv("TUTORIAL_SOURCE", "offline")
    monkeypatch.setenv("TUTORIAL_SCALE", "tiny")
    config.settings.cache_clear()
    yield
    config.settings.cache_clear()


def test_returns_the_session_settings_and_device_and_prints_them(fresh_settings, capsys):
    cfg, device = helpers.setup_notebook(seed=3, packages=("torch",))
    assert cfg is config.settings() and device == helpers.pick_device()
    printed = capsys.readouterr().out.splitlines()
    assert printed == [cfg.summary(), config.versions(("torch",))]
    assert printed[1].startswith("python ") and f"torch {torch.__version__}" in printed[1]


def test_random_state_is_what_seed_everything_left(fresh_settings):
    helpers.setup_notebook(seed=5)
    after_setup = (random.random(), torch.rand(3))
    seed_everything(5)
    after_seed = (random.random(), torch.rand(3))
    assert after_setup[0] == after_seed[0] and torch.equal(after_setup[1], after_seed[1])
    helpers.setup_notebook(seed=6)
    assert random.random() != after_seed[0]  # the seed is used, not ignored


def test_plot_style_and_quiet_transformers(fresh_settings, monkeypatch):
    from transformers.utils import logging

    monkeypatch.setitem(plt.rcParams, "axes.spines.top", True)
    logging.set_verbosity_warning()
    helpers.setup_notebook(seed=0)
    assert plt.rcParams["axes.spines.top"] is False and logging.get_verbosity() == logging.WARNING
    helpers.setup_notebook(seed=0, quiet=True)
    assert logging.get_verbosity() == logging.ERROR and not logging.is_progress_bar_enabled()
    logging.set_verbosity_warning()
    logging.enable_progress_bar()
