"""Argument checks shared by the helpers: one line per argument, one sentence per mistake.

Every message names the argument, says what it expects and what it got, e.g.
``batch_size must be an int >= 1, got 0`` or ``hidden must be a torch.Tensor of
shape (B, T, D), got a list``. Wrong types raise ``TypeError``; wrong values,
sizes and shapes raise ``ValueError`` (``ShapeError`` for tensors' shapes).
"""
from __future__ import annotations

import numbers
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

from .errors import ShapeError


def _got(value: Any) -> str:
    """A short description of a value for a message: its type, and its repr when short."""
    text = repr(value)
    kind = type(value).__name__
    return f"{kind} {text}" if len(text) <= 40 and not isinstance(value, (int, float, str)) else (
        text if len(text) <= 40 else f"a {kind}")


def require_int(name: str, value: Any, minimum: int | None = None, maximum: int | None = None) -> int:
    """An int (not a bool; NumPy's ints count) in [minimum, maximum].

    Not taught: course machinery, used by helpers.attention, helpers.attribution, helpers.augment and others.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} ({value!r})")
    if minimum is not None and value < minimum or maximum is not None and value > maximum:
        bounds = (f"an int between {minimum} and {maximum}" if minimum is not None and maximum is not None
                  else "a positive int" if minimum == 1 else "a non-negative int" if minimum == 0
                  else f"an int >= {minimum}" if minimum is not None else f"an int <= {maximum}")
        raise ValueError(f"{name} must be {bounds}, got {value}")
    return value


def require_number(name: str, value: Any, minimum: float | None = None, maximum: float | None = None,
                   *, above: float | None = None, below: float | None = None) -> float:
    """A real number (not a bool) with inclusive ``minimum``/``maximum`` and exclusive ``above``/``below``.

    Not taught: course machinery, used by helpers.attention, helpers.augment, helpers.bert_inspect and others.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real) and not _is_scalar(value):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} ({value!r})")
    number = float(value)
    if number != number or (minimum is not None and number < minimum) or (maximum is not None and number > maximum) \
            or (above is not None and number <= above) or (below is not None and number >= below):
        parts = [f">= {minimum}" if minimum is not None else "", f"> {above}" if above is not None else "",
                 f"<= {maximum}" if maximum is not None else "", f"< {below}" if below is not None else ""]
        raise ValueError(f"{name} must be a number {' and '.join(p for p in parts if p) or 'that is not NaN'}, "
                         f"got {value!r}")
    return number


def _is_scalar(value: Any) -> bool:
    return hasattr(value, "__float__") and getattr(value, "ndim", 0) == 0 and not isinstance(value, (str, bytes))


def require_bool(name: str, value: Any) -> bool:
    """``value`` itself when it is True or False; else a TypeError naming ``name``.

    Not taught: course machinery, used by helpers.attention, helpers.bert_encoder, helpers.bertviz_offline and others.
    """
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} ({value!r})")
    return value


def require_str(name: str, value: Any, *, choices: Sequence[str] | None = None, empty: bool = False) -> str:
    """A string; non-empty unless ``empty``; one of ``choices`` when given.

    Not taught: course machinery, used by helpers.bert_inspect, helpers.bertviz_offline, helpers.bias_probe and others.
    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__} ({_got(value)})")
    if choices is not None and value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    if not empty and not value.strip():
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    return value


def require_strings(name: str, value: Any, *, min_length: int = 0) -> list[str]:
    """A list, tuple (or a dataset column, any sized iterable but a string) of strings with at least
    ``min_length`` items; returned as a list.

    Not taught: course machinery, used by helpers.bert_inspect, helpers.bertviz_offline, helpers.bias_probe and others.
    """
    if not _is_collection(value):
        hint = " (wrap a single text in a list)" if isinstance(value, str) else ""
        raise TypeError(f"{name} must be a list of strings{hint}, got {type(value).__name__}")
    items = list(value)
    position = next((i for i, item in enumerate(items) if not isinstance(item, str)), -1)  # None is an item too
    if position >= 0:
        bad = items[position]
        got = "None" if bad is None else f"an item of type {type(bad).__name__} ({_got(bad)})"
        raise TypeError(f"{name} must hold only strings, got {got} at position {position}")
    if len(items) < min_length:
        raise ValueError(f"{name} must hold at least {min_length} string(s), got {len(items)}")
    return items


def _is_collection(value: Any) -> bool:
    """Sized and iterable, but not a string, bytes or a mapping (a list, tuple, array, dataset column)."""
    return (not isinstance(value, (str, bytes, Mapping)) and hasattr(value, "__len__")
            and hasattr(value, "__iter__"))


def require_sequence(name: str, value: Any, *, min_length: int = 0) -> Sequence:
    """A list or other sized collection (not a string or a dict) of at least ``min_length`` items.

    Not taught: course machinery, used by helpers.attribution, helpers.bert_inspect, helpers.calibration and others.
    """
    if not _is_collection(value):
        raise TypeError(f"{name} must be a list or another sequence, got {type(value).__name__}")
    if len(value) < min_length:
        raise ValueError(f"{name} must hold at least {min_length} item(s), got {len(value)}")
    return value


def require_split_indices(name: str, value: Any, size: int) -> dict[str, Sequence[int]]:
    """A dict of split name -> row indices, each index in 0 .. size - 1 (e.g. ``{"train": [0, 2]}``).

    Not taught: course machinery, used by helpers.data.splits.
    """
    if not isinstance(value, dict):
        raise TypeError(f"{name} must be a dict of split name -> indices, got {type(value).__name__}")
    for split, indices in value.items():
        outside = [i for i in indices if not (isinstance(i, numbers.Integral) and 0 <= i < size)]
        if outside:
            raise ValueError(f"{name}[{split!r}] must hold indices from 0 to {size - 1}, got {outside[:3]}")
    return value


def require_path(name: str, value: Any) -> Path:
    """``value`` as a Path when it is a non-empty str or a path object; else a TypeError naming ``name``.

    Not taught: course machinery, used by helpers.checkpoints and others.
    """
    if not isinstance(value, (str, os.PathLike)) or isinstance(value, str) and not value:
        raise TypeError(f"{name} must be a folder or file path (str or pathlib.Path), got "
                        f"{type(value).__name__} ({value!r})")
    return Path(value)


def require_callable(name: str, value: Any) -> Any:
    """``value`` itself when it can be called; else a TypeError naming ``name``.

    Not taught: course machinery, used by helpers.bert_inspect, helpers.calibration, helpers.classification and others.
    """
    if not callable(value):
        raise TypeError(f"{name} must be callable (a function), got {type(value).__name__} ({_got(value)})")
    return value


def require_module(name: str, value: Any) -> Any:
    """``value`` itself when it is a torch.nn.Module; else a TypeError naming ``name``.

    Not taught: course machinery, used by helpers.bert_encoder, helpers.checkpoints, helpers.classification and others.
    """
    from torch import nn

    if not isinstance(value, nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module (a model), got {type(value).__name__}")
    return value


def require_model(name: str, value: Any) -> Any:
    """A transformers model: a torch module with a ``.config``.

    Not taught: course machinery, used by helpers.bert_inspect, helpers.data.summarization, helpers.seq2seq.
    """
    from torch import nn

    if not isinstance(value, nn.Module) or not hasattr(value, "config"):
        raise TypeError(f"{name} must be a transformers model (a torch module with a .config), "
                        f"got {type(value).__name__}")
    return value


def require_tokenizer(name: str, value: Any) -> Any:
    """A transformers tokenizer: callable, with ``batch_decode``.

    Not taught: course machinery.
    """
    if not callable(value) or not hasattr(value, "batch_decode"):
        raise TypeError(f"{name} must be a transformers tokenizer (AutoTokenizer.from_pretrained(...)), "
                        f"got {type(value).__name__}")
    return value


def require_dataset(name: str, value: Any) -> Any:
    """Something with a length that can be indexed: a datasets.Dataset, a list of examples.

    Not taught: course machinery, used by helpers.bert_inspect and others.
    """
    if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__len__") or not hasattr(value, "__getitem__"):
        raise TypeError(f"{name} must be a dataset (datasets.Dataset or a list of examples), "
                        f"got {type(value).__name__}")
    return value


def require_tensor(name: str, value: Any, ndim: int | tuple[int, ...] | None = None, shape: str = "",
                   *, dtype: str | None = None) -> Any:
    """A torch.Tensor with ``ndim`` dimensions (``shape`` describes them, e.g. "(B, T)");
    ``dtype`` 'bool', 'int' or 'float' restricts its kind.

    Not taught: course machinery, used by helpers.attention, helpers.attribution, helpers.bert_inspect and others.
    """
    import torch

    described = f" of shape {shape}" if shape else ""
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor{described}, got {type(value).__name__}")
    dims = (ndim,) if isinstance(ndim, int) else ndim
    if dims is not None and value.dim() not in dims:
        wanted = shape or " or ".join(f"{d} dimensions" for d in dims)
        raise ShapeError(f"{name} must have shape {wanted}, got {tuple(value.shape)}")
    kinds = {"bool": value.dtype == torch.bool, "float": value.is_floating_point(),
             "int": not value.is_floating_point() and not value.is_complex() and value.dtype != torch.bool}
    if dtype is not None and not kinds[dtype]:
        raise TypeError(f"{name} must be a {dtype} tensor, got dtype {value.dtype}")
    return value


def require_instance(name: str, value: Any, kind: type | tuple[type, ...], expected: str) -> Any:
    """An instance of ``kind``; ``expected`` says what to pass, e.g. "a TrainConfig(...)" or
    "the Precision that pick_precision(device) returns".

    Not taught: course machinery, used by helpers.device, helpers.pretraining, helpers.qa and others.
    """
    if not isinstance(value, kind):
        raise TypeError(f"{name} must be {expected}, got {type(value).__name__}")
    return value
