"""Classification data: SpamAssassin emails offline, SST-2 from the hub, one schema.

Both sources become a ``datasets.DatasetDict`` with the splits ``train``,
``validation`` and ``test`` and the SST-2-like columns ``text`` (a string) and
``label`` (a ``ClassLabel``), so the same tokenization and training code serves both::

    from helpers.data.classification import load_classification, subsample
    data = load_classification(cfg.data.classification)   # DatasetDict
    data["train"].features["label"].names                  # ['ham', 'spam'] offline
    small = subsample(data["train"], 320, seed=0)          # stratified, fixed

* **Offline** (``cfg.data.classification`` is the prepared ``spam-assassin`` folder):
  each email is parsed with Python's ``email`` package into *subject + body text*
  (headers dropped, quoted-printable/base64 decoded, HTML tags removed crudely);
  label 1 = spam (``spam-1``, ``spam-2``), 0 = ham (``easy-ham-*``, ``hard-ham-1``).
  Exact duplicate texts are dropped **before** splitting, so no test email also
  appears in train. The split is stratified and seeded (``SPLIT_SEED``; ``helpers.data.splits``), with
  ``VALIDATION_FRACTION`` and ``TEST_FRACTION`` of the emails, and cached under
  ``<assets cache>/derived/`` (never committed).
* **Hub** (any other identifier, e.g. ``stanfordnlp/sst2``): SST-2's ``train`` rows are
  phrases of 6,920 review sentences (sub-phrases of one sentence are separate rows), so
  any cut of train would put pieces of one review on both sides. Train therefore stays
  whole (minus any row identical to a held-out sentence), and the official
  ``validation`` split, 872 whole sentences of other reviews with public labels (SST-2's
  own test labels are hidden), is cut (stratified, seeded) into validation
  (``SST2_VALIDATION_FRACTION``) and test. ``sentence`` is renamed to ``text``.

The validation split is for choosing (notebook 05); the test split is touched once,
for the final number (notebook 06).
"""
from __future__ import annotations

import email
import email.policy
import hashlib
import html
import json
import re
import shutil
from pathlib import Path

from ..course.errors import TutorialError
from .splits import split_indices, to_dataset_dict
from ..course.validation import (require_bool, require_callable, require_dataset, require_int, require_path,
                         require_sequence, require_str, require_strings)

LABEL_NAMES = ("ham", "spam")
SPAM_GROUPS = ("spam-1", "spam-2")
HAM_GROUPS = ("easy-ham-1", "easy-ham-2", "hard-ham-1")
VALIDATION_FRACTION = 0.10
TEST_FRACTION = 0.15
SPLIT_SEED = 0
SST2_VALIDATION_FRACTION = 0.5  # of SST-2's 872 official validation sentences; the rest is the test split
CACHE_VERSION = 1  # bump when parsing or splitting changes, so old caches are not reused

_TAG = re.compile(r"<[^>]*>")
_DROP_BLOCKS = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


class ClassificationDataError(TutorialError, ValueError):
    """Classification data that cannot be read or split as asked."""


def strip_html(markup: str) -> str:
    """Crude HTML to text: drop scripts/styles and tags, unescape entities.

    Not taught: a building block of this module's taught helpers.
    """
    require_str("markup", markup, empty=True)
    return html.unescape(_TAG.sub(" ", _DROP_BLOCKS.sub(" ", markup)))


def normalize_space(text: str) -> str:
    """Collapse runs of spaces and blank lines; strip both ends.

    Not taught: a building block of this module's taught helpers.
    """
    require_str("text", text, empty=True)
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n", "\n".join(lines)).strip()


def _part_text(part: email.message.Message) -> str:
    payload = part.get_payload(decode=True)  # undoes quoted-printable and base64
    if payload is None:
        return ""
    charset = part.get_content_charset() or "latin-1"
    try:
        text = payload.decode(charset, errors="replace")
    except LookupError:  # an unknown charset name
        text = payload.decode("latin-1", errors="replace")
    return strip_html(text) if part.get_content_type() == "text/html" else text


def email_text(raw: str) -> str:
    """Subject and body text of one raw email, headers dropped: 'subject\\nbody'.

    Not taught: a building block of this module's taught helpers.
    """
    if not isinstance(raw, str):
        raise TypeError(f"raw must be the email as a str, got {type(raw).__name__}")
    message = email.message_from_string(raw, policy=email.policy.compat32)
    subject = str(message.get("Subject", "") or "")
    parts = [p for p in message.walk() if p.get_content_maintype() == "text"]
    plain = [p for p in parts if p.get_content_type() == "text/plain"]
    body = "\n".join(_part_text(p) for p in (plain or parts))  # prefer plain text to HTML
    return normalize_space(f"{subject}\n{body}")


def read_spam_assassin(folder: str | Path) -> tuple[list[str], list[int]]:
    """(texts, labels) of every email under the prepared folder, in a fixed order.

    Not taught: a building block of this module's taught helpers.
    """
    folder = require_path("folder", folder)
    texts: list[str] = []
    labels: list[int] = []
    for group in (*HAM_GROUPS, *SPAM_GROUPS):
        files = sorted((folder / group).glob("*.json"))
        if not files:
            raise ClassificationDataError(f"folder must be the prepared spam-assassin folder, got {str(folder)!r} "
                                          f"with no emails in {group}: run `python -m helpers.course.assets prepare "
                                          f"spam-assassin`.")
        for file in files:
            texts.append(email_text(json.loads(file.read_text(encoding="utf-8"))["text"]))
            labels.append(int(group in SPAM_GROUPS))
    return texts, labels


def _require_texts_labels(texts: list[str], labels: list[int]) -> None:
    require_strings("texts", texts)
    require_sequence("labels", labels)
    if len(texts) != len(labels):
        raise ValueError(f"texts and labels must have the same length, got {len(texts)} texts and {len(labels)} labels")


def deduplicate(texts: list[str], labels: list[int]) -> tuple[list[str], list[int]]:
    """Keep the first of each exact duplicate text (and drop empty texts).

    Not taught: a building block of this module's taught helpers.
    """
    _require_texts_labels(texts, labels)
    seen: set[str] = set()
    kept_texts, kept_labels = [], []
    for text, label in zip(texts, labels):
        if text and text not in seen:
            seen.add(text)
            kept_texts.append(text)
            kept_labels.append(label)
    return kept_texts, kept_labels


def _features():
    """SST-2's columns: text (string) and label (ClassLabel with ``LABEL_NAMES``)."""
    from datasets import ClassLabel, Features, Value

    return Features({"text": Value("string"), "label": ClassLabel(names=list(LABEL_NAMES))})


def _cache_folder(folder: Path) -> Path:
    from ..course import assets

    key = hashlib.sha256(f"{folder.resolve()}|{CACHE_VERSION}|{VALIDATION_FRACTION}|{TEST_FRACTION}|"
                         f"{SPLIT_SEED}".encode()).hexdigest()[:12]
    return assets.cache_dir() / "derived" / f"spam-assassin-{key}"


def _quietly(action):
    """Run ``action`` without datasets' progress bars (restoring the previous setting)."""
    import datasets

    was_disabled = datasets.are_progress_bars_disabled()
    datasets.disable_progress_bars()
    try:
        return action()
    finally:
        if not was_disabled:
            datasets.enable_progress_bars()


def load_spam_assassin(folder: str | Path, cache: bool = True):
    """The emails as a deduplicated, stratified DatasetDict (parsed once, then cached).

    Not taught: a building block of this module's taught helpers.
    """
    from datasets import load_from_disk

    folder = require_path("folder", folder)
    require_bool("cache", cache)
    cached = _cache_folder(folder)
    if cache and (cached / "dataset_dict.json").exists():
        return load_from_disk(str(cached))
    texts, labels = deduplicate(*read_spam_assassin(folder))
    splits = split_indices(len(labels), VALIDATION_FRACTION, TEST_FRACTION, seed=SPLIT_SEED, stratify=labels)
    data = to_dataset_dict({"text": texts, "label": labels}, splits, _features())
    if cache:
        partial = cached.with_name(cached.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)  # left over from an interrupted run
        _quietly(lambda: data.save_to_disk(str(partial)))
        if not cached.exists():  # another process may have finished first
            partial.replace(cached)
        shutil.rmtree(partial, ignore_errors=True)
    return data


def _first_occurrences(texts: list[str]) -> list[int]:
    """Indices of the first row of each distinct (stripped) text, in order."""
    seen: set[str] = set()
    keep = []
    for i, text in enumerate(texts):
        if text.strip() not in seen:
            seen.add(text.strip())
            keep.append(i)
    return keep


def load_sst2(identifier: str, validation: float = SST2_VALIDATION_FRACTION, seed: int = SPLIT_SEED):
    """SST-2 from the hub in the course schema: train phrases to train on; the official validation
    sentences (whole sentences of other reviews) cut into validation and test, sharing no review.

    Not taught: a building block of this module's taught helpers.
    """
    from datasets import DatasetDict, load_dataset

    require_str("identifier", identifier)
    if isinstance(validation, bool) or not isinstance(validation, float) or not 0 < validation < 1:
        raise ValueError(f"validation must be a fraction between 0 and 1 (the share of the official validation "
                         f"sentences kept for validation), got {validation!r}")
    require_int("seed", seed, minimum=0)
    raw = load_dataset(identifier)
    raw = raw.rename_column("sentence", "text") if "sentence" in raw["train"].column_names else raw
    keep = ["text", "label"]
    raw = raw.remove_columns([c for c in raw["train"].column_names if c not in keep])
    held_out = raw["validation"].select(_first_occurrences(raw["validation"]["text"]))  # one row per sentence
    held_texts = {text.strip() for text in held_out["text"]}
    train = _quietly(lambda: raw["train"].filter(
        lambda batch: [text.strip() not in held_texts for text in batch["text"]], batched=True))
    cut = held_out.train_test_split(test_size=1 - validation, stratify_by_column="label", seed=seed)
    return DatasetDict({"train": train, "validation": cut["train"], "test": cut["test"]})


def load_classification(identifier: str):
    """The course's classification DatasetDict: a spam-assassin folder, else a hub dataset id.

    Taught in: notebook 05, section 1.
    """
    require_str("identifier", identifier, empty=True)
    if not identifier:
        raise ValueError(f"identifier must be a folder or a hub dataset id, got {identifier!r}")
    folder = Path(identifier)
    if folder.is_dir():
        return load_spam_assassin(folder)
    return load_sst2(identifier)


def text_noun(identifier: str) -> str:
    """What the examples of ``load_classification(identifier)`` are, in the plural, for prints and titles:
    'emails' (a spam-assassin folder), 'sentences' (SST-2 from the hub), else 'texts'.

    Taught in: notebook 05, section 1.
    """
    require_str("identifier", identifier)
    if Path(identifier).is_dir():
        return "emails"
    return "sentences" if "sst" in identifier.lower() else "texts"


def subsample(dataset, n: int, seed: int = 0):
    """A fixed, stratified subset of ``n`` examples (0 or n >= len: the whole dataset).

    Taught in: notebook 05, section 1.
    """
    require_dataset("dataset", dataset)
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ValueError(f"n must be a non-negative int, got {n!r}")
    require_int("seed", seed, minimum=0)
    if n == 0 or n >= len(dataset):
        return dataset
    return dataset.train_test_split(train_size=n, stratify_by_column="label", seed=seed)["train"]


def split_sizes(data) -> dict[str, dict[str, int]]:
    """Examples per split and label name, e.g. {'train': {'ham': 3000, 'spam': 1200, 'all': 4200}}.

    Taught in: notebook 05, section 1.
    """
    if not hasattr(data, "items"):
        raise TypeError(f"data must be a DatasetDict (split name -> Dataset), got {type(data).__name__}")
    sizes = {}
    for split, dataset in data.items():
        names = dataset.features["label"].names
        counts = {name: 0 for name in names}
        for label in dataset["label"]:
            counts[names[label]] += 1
        sizes[split] = {**counts, "all": len(dataset)}
    return sizes


def tokenize(data, tokenizer, max_length: int):
    """Tokenize the ``text`` column (truncated to ``max_length``, not padded: pad per batch).

    Taught in: notebook 05, section 1.
    """
    if not isinstance(max_length, int) or max_length < 2:
        raise ValueError(f"max_length must be an int of at least 2, got {max_length!r}")
    require_callable("tokenizer", tokenizer)
    if not hasattr(data, "map"):
        raise TypeError(f"data must be a Dataset or DatasetDict with a 'text' column, got {type(data).__name__}")
    return _quietly(lambda: data.map(lambda batch: tokenizer(batch["text"], truncation=True, max_length=max_length),
                                     batched=True, remove_columns=["text"]))
