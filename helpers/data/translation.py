"""Parallel text for notebook 07: Django's gettext catalogs offline, a public pair from the hub.

Both sources become a ``datasets.DatasetDict`` with the splits ``train``,
``validation`` and ``test`` and WMT's schema, one column ``translation`` holding
``{"en": ..., "<xx>": ...}``, so the same preprocessing serves both::

    from helpers.data.translation import load_translation
    data = load_translation(cfg.data.translation, "nl")   # DatasetDict
    data["train"][0]["translation"]                        # {'en': 'Save', 'nl': 'Opslaan'}

* **Offline** (``cfg.data.translation`` is the prepared ``django-locale`` folder):
  every ``django.po`` catalog of the target language is read with ``polib``. An
  entry is kept only if it is a real, finished translation: not obsolete, not
  marked ``fuzzy``, not a plural form, not empty, without HTML or line breaks.
  Entries with placeholders (``%(name)s``, ``%s``, ``{name}``, ``{}``) are dropped by
  default; with ``placeholders="letters"`` they are kept, each placeholder replaced by
  the same capital letter on both sides (``X``, ``Y``, ...), when both sides have the
  same placeholders. Pairs are deduplicated by their English side, ignoring letter case and
  spacing (the first translation in file order wins; an uncased model cannot tell "Today" from
  "today", so both in different splits would leak a test string into training) and split with a fixed seed (``SPLIT_SEED``).
* **Hub** (any other identifier, e.g. ``Helsinki-NLP/opus_books``): the config
  ``"en-<xx>"`` is loaded (a Parquet dataset, no loading script) and, since it has
  only a ``train`` split, cut into the same three splits with the same seed.
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Sequence

from ..course.errors import TutorialError
from .splits import split_indices, to_dataset_dict
from ..course.validation import require_callable, require_int, require_path, require_str, require_strings

SOURCE_LANGUAGE = "en"
SPLIT_SEED = 0
VALIDATION_SIZE = 60
TEST_SIZE = 120

# %(name)s / %(count)d / %s / %d, and str.format's {name} / {}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdifr]|%[sdifr]|\{(\w*)\}")
_HTML = re.compile(r"<[^>]+>|&[a-z]+;|&#\d+;")
_LETTERS = "XYZWVUTS"


class TranslationDataError(TutorialError, ValueError):
    """Parallel data that cannot be read or split as asked."""


def catalog_files(folder: str | Path, language: str) -> list[Path]:
    """Every Django ``django.po`` catalog of one language, in a fixed (sorted) order.

    Not taught: a building block of this module's taught helpers.
    """
    require_path("folder", folder)
    require_str("language", language)
    files = sorted(Path(folder).glob(f"**/locale/{language}/LC_MESSAGES/django.po"))
    if not files:
        known = sorted({p.parent.name for p in Path(folder).glob("**/locale/*/LC_MESSAGES")})
        raise TranslationDataError(
            f"language={language!r} has no Django catalog in {folder}; language must be one of: "
            f"{', '.join(known[:30])}, ... (got {language!r})")
    return files


def _placeholder_key(match: re.Match) -> str:
    named = match.group(1) if match.group(1) is not None else match.group(2)
    return named or "?"  # unnamed %s / {} are all one kind


def replace_placeholders(source: str, target: str) -> tuple[str, str] | None:
    """Both sides with each placeholder replaced by a letter; None when the sides disagree.

    The same named placeholder gets the same letter on both sides (``%(name)s`` -> ``X``),
    whatever order the translation puts them in.

    Not taught: a building block of this module's taught helpers.
    """
    require_str("source", source, empty=True)
    require_str("target", target, empty=True)
    keys_source = [_placeholder_key(m) for m in PLACEHOLDER.finditer(source)]
    keys_target = [_placeholder_key(m) for m in PLACEHOLDER.finditer(target)]
    if Counter(keys_source) != Counter(keys_target):
        return None
    letters: dict[str, str] = {}
    for key in keys_source:
        if key not in letters and len(letters) < len(_LETTERS):
            letters[key] = _LETTERS[len(letters)]
    if len(letters) < len(set(keys_source)):
        return None  # more distinct placeholders than letters: too code-like to keep

    def substitute(text: str) -> str:
        return PLACEHOLDER.sub(lambda m: letters[_placeholder_key(m)], text)

    return substitute(source), substitute(target)


def rejection(entry) -> str | None:
    """Why a ``polib`` entry is not a usable translation pair (None when it is).

    Not taught: a building block of this module's taught helpers.
    """
    if not all(hasattr(entry, name) for name in ("msgid", "msgstr", "obsolete", "flags", "msgid_plural")):
        raise TypeError(f"entry must be a polib entry (from polib.pofile(path)), got {type(entry).__name__}")
    if entry.obsolete:
        return "obsolete"
    if "fuzzy" in entry.flags:
        return "fuzzy"
    if entry.msgid_plural:
        return "plural form"
    if not entry.msgid.strip() or not entry.msgstr.strip():
        return "untranslated"
    if _HTML.search(entry.msgid) or _HTML.search(entry.msgstr):
        return "HTML"
    if "\n" in entry.msgid or "\n" in entry.msgstr:
        return "line breaks"
    return None


def english_key(text: str) -> str:
    """The form in which two English strings count as the same: lowercased, spacing collapsed.

    Taught in: notebook 07, section 2.
    """
    require_str("text", text, empty=True)
    return " ".join(text.lower().split())


def read_catalog_pairs(folder: str | Path, language: str,
                       placeholders: str = "drop") -> tuple[list[tuple[str, str]], Counter]:
    """(English, translation) pairs of one language, cleaned and deduplicated, and a count
    of the entries dropped for each reason. ``placeholders="drop"`` drops entries with
    placeholders; ``"letters"`` keeps them with each placeholder replaced by a letter.

    Taught in: notebook 07, section 2.
    """
    require_path("folder", folder)
    require_str("language", language)
    if placeholders not in ("drop", "letters"):
        raise TranslationDataError(f"placeholders={placeholders!r} is not an option: placeholders must be "
                                   f"'drop' or 'letters'")
    import polib

    pairs: list[tuple[str, str]] = []
    dropped: Counter = Counter()
    seen: set[str] = set()
    for path in catalog_files(folder, language):
        for entry in polib.pofile(str(path)):
            reason = rejection(entry)
            cleaned = None if reason else replace_placeholders(entry.msgid.strip(), entry.msgstr.strip())
            if reason is None and cleaned is None:
                reason = "placeholders differ"
            if reason is None and placeholders == "drop" and PLACEHOLDER.search(entry.msgid + entry.msgstr):
                reason = "placeholders"
            if reason is None and english_key(cleaned[0]) in seen:
                reason = "duplicate English"
            if reason:
                dropped[reason] += 1
                continue
            seen.add(english_key(cleaned[0]))
            pairs.append(cleaned)
    return pairs, dropped


def load_django_translation(folder: str | Path, target_language: str, placeholders: str = "drop",
                            validation: int = VALIDATION_SIZE, test: int = TEST_SIZE):
    """Django's catalogs of one language as a WMT-style ``DatasetDict`` (fixed, seeded splits of
    ``validation`` and ``test`` pairs, the rest for training).

    Taught in: notebook 07, section 8.
    """
    pairs, _ = read_catalog_pairs(folder, target_language, placeholders)
    translations = [{SOURCE_LANGUAGE: source, target_language: target} for source, target in pairs]
    return to_dataset_dict({"translation": translations}, split_indices(len(pairs), validation, test, seed=SPLIT_SEED))


def load_hub_translation(identifier: str, target_language: str, validation: int = 2000, test: int = 2000):
    """A hub pair with only a ``train`` split (e.g. opus_books en-xx), cut into three seeded splits.

    Not taught: a building block of this module's taught helpers.
    """
    from datasets import DatasetDict, load_dataset

    require_str("identifier", identifier)
    require_str("target_language", target_language)
    require_int("validation", validation, minimum=0)
    require_int("test", test, minimum=0)
    full = load_dataset(identifier, f"{SOURCE_LANGUAGE}-{target_language}", split="train")
    splits = split_indices(len(full), validation, test, seed=SPLIT_SEED)
    return DatasetDict({name: full.select(indices).select_columns(["translation"])
                        for name, indices in splits.items()})


def load_translation(identifier: str, target_language: str):
    """English -> ``target_language`` pairs as a WMT-style ``DatasetDict`` (see the module doc).

    Taught in: notebook 07, section 2.
    """
    require_str("identifier", identifier)
    require_str("target_language", target_language)
    if Path(identifier).is_dir():
        return load_django_translation(identifier, target_language)
    return load_hub_translation(identifier, target_language)


def pairs_of(split, target_language: str) -> tuple[list[str], list[str]]:
    """(English sources, references) of one split of a WMT-style dataset.

    Taught in: notebook 07, section 5.
    """
    require_str("target_language", target_language)
    try:
        column = split["translation"]
    except (TypeError, KeyError, IndexError):
        raise TypeError(f"split must be one split of a WMT-style dataset (a 'translation' column), "
                        f"got {type(split).__name__}") from None
    if len(column) and target_language not in column[0]:
        raise ValueError(f"target_language must be one of the split's languages {sorted(column[0])}, "
                         f"got {target_language!r}")
    return [row[SOURCE_LANGUAGE] for row in column], [row[target_language] for row in column]


def tokenizer_fidelity(tokenizer, texts: Sequence[str]) -> dict[str, float]:
    """How well a tokenizer can represent texts it must *produce* (a decoder's targets).

    * ``unk``: the fraction of tokens that are the unknown token (information lost for good);
    * ``round_trip``: the fraction of texts for which ``decode(encode(text))`` gives the text
      back, ignoring spaces and letter case (an uncased tokenizer cannot produce capitals);
    * ``exact``: the same without ignoring case;
    * ``tokens_per_text``: the mean number of tokens per text (longer = slower, harder).

    Taught in: notebook 07, section 2.
    """
    require_callable("tokenizer", tokenizer)
    require_strings("texts", texts)
    if not texts:
        raise TranslationDataError("texts is empty; pass at least one text to measure")
    ids = tokenizer(list(texts), add_special_tokens=False)["input_ids"]
    n_tokens = sum(len(row) for row in ids)
    unknown = sum(row.count(tokenizer.unk_token_id) for row in ids)

    def squash(text: str) -> str:
        return re.sub(r"\s+", "", text)

    decoded = tokenizer.batch_decode(ids)
    same = sum(squash(d).lower() == squash(t).lower() for d, t in zip(decoded, texts))
    exact = sum(squash(d) == squash(t) for d, t in zip(decoded, texts))
    return {"unk": unknown / max(n_tokens, 1), "round_trip": same / len(texts), "exact": exact / len(texts),
            "tokens_per_text": n_tokens / len(texts)}
