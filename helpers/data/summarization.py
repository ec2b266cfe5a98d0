"""Summarization data for notebook 09, and the extractive baselines it compares against.

Offline there is no summarization dataset, so the course builds one from real text
with real, human-written summaries: **Python docstrings**. PEP 257 asks a docstring to
start with a one-line summary, a blank line, then the elaboration, so::

    summary  = the first line           ("Return a new deque with the items of iterable.")
    document = the rest, in one paragraph

It is XSum-like (one-sentence summaries) and uses XSum's columns ``document``,
``summary`` and ``id``. Only docstrings that follow the convention are kept: a summary
line of at least ``MIN_SUMMARY_WORDS`` words ending with a period, then a blank line,
then a document of at least ``MIN_DOCUMENT_WORDS`` words (cut where doctest examples start).
Objects are read with ``inspect`` from a fixed list of standard-library modules of the
running interpreter, so the set changes a little between Python versions; each pair's
split is fixed by a hash of its id (``module.Class.method``), not by its position.

With ``source=hub`` the identifier is a dataset such as ``abisee/cnn_dailymail``
(config ``3.0.0``, Parquet, no loading script), whose ``article``/``highlights`` are
renamed to ``document``/``summary``. Its 311,971 articles would take about an hour to
tokenize on a laptop CPU: ``cap_splits`` keeps the rows a run uses *before* ``map``.
``data_name`` says in words what the summaries are, for prints and plot titles.

Baselines: ``lead(document, k)`` (the first k sentences) and ``centroid_summaries``
(the sentence whose embedding is closest to the mean of the document's sentence
embeddings, with the encoder's mean-pooled embeddings from ``embed_sentences``).
"""
from __future__ import annotations

import importlib
import inspect
import re
import warnings
from typing import Callable, Iterator, Mapping, Sequence

import torch

from ..course.errors import TutorialError
from .splits import split_of, to_dataset_dict
from ..course.validation import require_callable, require_int, require_model, require_str, require_strings, require_tensor

OFFLINE_ID = "python-docstrings"
MIN_SUMMARY_WORDS = 4
MIN_DOCUMENT_WORDS = 20
SPLIT_PERCENT = {"test": 20, "validation": 10}  # the rest is train (``helpers.data.splits.split_of``)
# What the summaries are, in words (prints, plot titles); other identifiers: "<name> summaries".
DATA_NAMES = {OFFLINE_ID: "docstring summaries", "abisee/cnn_dailymail": "CNN/DailyMail news highlights"}

# Standard-library modules present in Python 3.10 to 3.13, importable without side effects.
STDLIB_MODULES = tuple("""
abc argparse ast asyncio base64 bisect calendar cmd codecs collections colorsys configparser contextlib
copy csv dataclasses datetime decimal difflib dis doctest email.message email.utils enum filecmp
fileinput fnmatch fractions ftplib functools getopt gettext glob graphlib gzip hashlib heapq hmac html
html.parser http.client http.cookies http.server imaplib importlib inspect io ipaddress json
json.decoder json.encoder keyword linecache locale logging logging.handlers lzma mailbox mimetypes
netrc numbers operator optparse os os.path pathlib pdb pickle pickletools pkgutil platform plistlib
poplib pprint profile pstats queue quopri random re reprlib runpy sched secrets selectors shelve shlex
shutil signal smtplib socket socketserver sqlite3 ssl statistics string struct subprocess symtable
sysconfig tabnanny tarfile tempfile textwrap threading timeit token tokenize trace traceback
tracemalloc types typing unittest unittest.mock urllib.parse urllib.request uuid warnings wave weakref
xml.dom.minidom xml.etree.ElementTree zipfile zipimport zoneinfo
""".split())

# A sentence ends at . ! or ? followed by a space and a capital, digit, quote or bracket.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[])")
_SPACES = re.compile(r"\s+")


class SummarizationDataError(TutorialError, ValueError):
    """Summarization data that cannot be built or split as asked."""


def _public_objects(module) -> Iterator[tuple[str, object]]:
    """(qualified name, object) of a module's public functions, classes and methods."""
    for name, value in sorted(vars(module).items()):
        if name.startswith("_") or getattr(value, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(value) or inspect.isclass(value):
            yield f"{module.__name__}.{name}", value
        if inspect.isclass(value):
            for method_name, method in sorted(vars(value).items()):
                if not method_name.startswith("_") and inspect.isfunction(method):
                    yield f"{module.__name__}.{name}.{method_name}", method


def split_docstring(docstring: str | None) -> tuple[str, str] | None:
    """(summary, document) of a PEP 257 docstring, or None when it does not follow the rule.

    Taught in: notebook 09, section 1.
    """
    if docstring is not None:
        require_str("docstring", docstring, empty=True)
    if not docstring:
        return None
    lines = inspect.cleandoc(docstring).split("\n")
    if len(lines) < 3 or lines[1].strip():
        return None  # no blank line after the first: not a one-line summary
    summary = lines[0].strip()
    body = []
    for line in lines[2:]:
        if line.strip().startswith(">>>"):
            break  # doctest examples (and their expected output) end the prose
        body.append(line.strip())
    document = _SPACES.sub(" ", " ".join(body)).strip()
    if len(summary.split()) < MIN_SUMMARY_WORDS or not summary.endswith("."):
        return None
    if len(document.split()) < MIN_DOCUMENT_WORDS:
        return None
    return summary, document


def docstring_pairs(modules: Sequence[str] = STDLIB_MODULES) -> list[dict[str, str]]:
    """Every usable (id, document, summary) from the modules' docstrings, first occurrence of
    each document only (inherited or aliased docstrings are dropped).

    Not taught: a building block of this module's taught helpers.
    """
    require_strings("modules", modules)
    pairs, seen = [], set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # some modules warn when imported (deprecations)
        for module_name in modules:
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                continue  # missing in this Python build (e.g. no _ssl, no _sqlite3)
            for qualified, value in _public_objects(module):
                split = split_docstring(inspect.getdoc(value))
                if split is None or split[1] in seen:
                    continue
                seen.add(split[1])
                pairs.append({"id": qualified, "document": split[1], "summary": split[0]})
    return pairs


def load_docstring_summaries(modules: Sequence[str] = STDLIB_MODULES):
    """Docstring pairs as an XSum-like ``DatasetDict`` (train / validation / test).

    Not taught: a building block of this module's taught helpers.
    """
    pairs = docstring_pairs(modules)
    if not pairs:
        raise SummarizationDataError(f"modules must include docstrings that follow PEP 257's summary line, got "
                                     f"{len(modules)} modules with none")
    splits: dict[str, list[int]] = {"train": [], "validation": [], "test": []}
    for i, pair in enumerate(pairs):
        splits[split_of(pair["id"], SPLIT_PERCENT)].append(i)
    columns = ("document", "summary", "id")
    return to_dataset_dict({c: [pair[c] for pair in pairs] for c in columns}, splits)


def load_summarization(identifier: str):
    """``document``/``summary``/``id`` pairs: docstrings offline, a hub dataset otherwise.

    Taught in: notebook 09, section 1.
    """
    require_str("identifier", identifier)
    if identifier == OFFLINE_ID:
        return load_docstring_summaries()
    from datasets import load_dataset

    data = load_dataset(identifier, "3.0.0") if identifier.endswith("cnn_dailymail") else load_dataset(identifier)
    renames = {"article": "document", "highlights": "summary"}
    return data.rename_columns({old: new for old, new in renames.items() if old in data["train"].column_names})


def data_name(identifier: str) -> str:
    """What a summarization dataset's summaries are, in words: 'docstring summaries' offline,
    'CNN/DailyMail news highlights' for ``abisee/cnn_dailymail``, else '<name> summaries'.

    Taught in: notebook 09, section 1.
    """
    require_str("identifier", identifier)
    return DATA_NAMES.get(identifier, f"{identifier.rstrip('/').rsplit('/', 1)[-1]} summaries")


def cap_splits(data, caps: Mapping[str, int], shuffled: Sequence[str] = ("train",), seed: int = 0):
    """``data`` with each split cut to at most ``caps[name]`` rows (0, or a split not in ``caps``: all).

    Call it *before* ``map``: ``select`` only records which rows to keep, so cutting CNN/DailyMail's
    287,113 training articles costs nothing, while ``map`` would tokenize every one. Splits named in
    ``shuffled`` become a random sample (``shuffle(seed)``: a dataset stored in the order it was
    collected does not start with one), the others keep their first rows; a split no longer than its
    cap is kept as it is.
    Notebook 09, section 1.

    Taught in: notebook 09, section 1.
    """
    from datasets import DatasetDict

    if not isinstance(data, DatasetDict):
        raise TypeError(f"data must be a datasets.DatasetDict of splits, got {type(data).__name__}")
    if not isinstance(caps, Mapping):
        raise TypeError(f"caps must be a mapping of split name -> most rows (0: all), got {type(caps).__name__}")
    unknown = sorted(set(caps) - set(data))
    if unknown:
        raise SummarizationDataError(f"caps must name splits of data ({', '.join(data)}), "
                                     f"got {', '.join(map(str, unknown))}")
    for name, cap in caps.items():
        require_int(f"caps[{name!r}]", cap, minimum=0)
    shuffled = require_strings("shuffled", shuffled)
    require_int("seed", seed, minimum=0)
    capped = {}
    for name, split in data.items():
        cap = caps.get(name, 0)
        if not cap or len(split) <= cap:
            capped[name] = split
        elif name in shuffled:
            capped[name] = split.shuffle(seed=seed).select(range(cap))  # (cap,) rows: indices only, no copy
        else:
            capped[name] = split.select(range(cap))
    return DatasetDict(capped)


# --- extractive baselines -------------------------------------------------------------------

def sentences(text: str) -> list[str]:
    """Split a text into sentences with a simple rule (an end mark, a space, a capital).

    Good enough for edited prose; abbreviations followed by a capital ("e.g. The") are
    split wrongly, and a text without end marks stays one sentence.

    Taught in: notebook 09, section 3.
    """
    require_str("text", text, empty=True)
    return [part.strip() for part in _SENTENCE_END.split(text.strip()) if part.strip()]


def lead(document: str, k: int = 1) -> str:
    """The first k sentences of a document: the classic lead-k baseline.

    Taught in: notebook 09, section 3.
    """
    require_str("document", document, empty=True)
    require_int("k", k)
    if k < 1:
        raise SummarizationDataError(f"k must be at least 1 sentence, got k={k}")
    return " ".join(sentences(document)[:k])


@torch.no_grad()
def embed_sentences(model, tokenizer, texts: Sequence[str], batch_size: int = 64,
                    max_length: int = 128) -> torch.Tensor:
    """Mean-pooled sentence embeddings (N, D) (notebook 03's ``sentence_embeddings``), computed
    in batches of similar length so that little time goes into padding; rows keep ``texts``' order.

    Taught in: notebook 09, section 3.
    """
    from ..bert_inspect import sentence_embeddings

    require_model("model", model)
    require_callable("tokenizer", tokenizer)
    require_strings("texts", texts)
    require_int("batch_size", batch_size, minimum=1)
    require_int("max_length", max_length, minimum=2)
    if not texts:
        return torch.empty(0, model.config.hidden_size)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    chunks = [sentence_embeddings(model, tokenizer, [texts[i] for i in order[start:start + batch_size]],
                                  max_length=max_length) for start in range(0, len(order), batch_size)]
    by_length = torch.cat(chunks)  # (N, D), sorted by length
    embeddings = torch.empty_like(by_length)
    embeddings[torch.tensor(order)] = by_length
    return embeddings


def centroid_index(embeddings: torch.Tensor) -> int:
    """The row closest (by cosine) to the mean of the rows: the most 'central' sentence.

    Not taught: a building block of this module's taught helpers.
    """
    require_tensor("embeddings", embeddings, shape="(N, D)")
    if embeddings.dim() != 2 or len(embeddings) == 0:
        raise SummarizationDataError(f"embeddings must have shape (N >= 1, D), got {tuple(embeddings.shape)}")
    unit = torch.nn.functional.normalize(embeddings, dim=-1)  # (N, D)
    centroid = torch.nn.functional.normalize(unit.mean(dim=0), dim=-1)  # (D,)
    return int((unit @ centroid).argmax())


def centroid_summaries(documents: Sequence[str], embed: Callable[[list[str]], torch.Tensor]) -> list[str]:
    """For each document, its sentence closest to the document's centroid; all sentences are
    embedded in one call of ``embed`` (a list of N strings -> (N, D)).

    Taught in: notebook 09, section 3.
    """
    require_strings("documents", documents)
    require_callable("embed", embed)
    split = [sentences(d) or [d] for d in documents]
    flat = [s for doc in split for s in doc]
    vectors = embed(flat)  # (N, D)
    if len(vectors) != len(flat):
        raise SummarizationDataError(f"embed must return one vector per sentence, got {len(vectors)} vectors "
                                     f"for {len(flat)} sentences")
    chosen, start = [], 0
    for doc in split:
        chosen.append(doc[centroid_index(vectors[start:start + len(doc)])])
        start += len(doc)
    return chosen
