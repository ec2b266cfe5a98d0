"""Static pictures of attention: heatmaps that render anywhere (JupyterLab, nbval, a static site)."""
from __future__ import annotations

import inspect
from typing import Any, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from .course.errors import ShapeError
from .course.validation import require_int, require_number, require_sequence, require_strings


def as_layers_heads(weights: Any) -> np.ndarray:
    """Attention weights as a (layers, heads, T_q, T_k) float array.

    Accepts (T_q, T_k), (heads, T_q, T_k) or (layers, heads, T_q, T_k), as a tensor
    or an array; a model's tuple of per-layer (1, heads, T_q, T_k) tensors is stacked.

    Not taught: course machinery, used by helpers.bert_inspect, helpers.bertviz_offline.
    """
    if not isinstance(weights, (tuple, list, torch.Tensor, np.ndarray)):
        raise TypeError(f"weights must be a tensor, an array or a tuple of per-layer tensors, "
                        f"got {type(weights).__name__}")
    if isinstance(weights, (tuple, list)):
        if not weights:
            raise ShapeError("weights is an empty sequence; expected one tensor per layer")
        weights = torch.stack([torch.as_tensor(w).detach().float().squeeze(0) for w in weights])
    if isinstance(weights, torch.Tensor):
        weights = weights.detach().float().cpu().numpy()
    array = np.asarray(weights, dtype=float)
    if array.ndim not in (2, 3, 4):
        raise ShapeError(f"weights must have shape (T_q, T_k), (heads, T_q, T_k) or "
                         f"(layers, heads, T_q, T_k), got {array.shape}")
    return array.reshape((1,) * (4 - array.ndim) + array.shape)  # (L, H, T_q, T_k)


def plot_attention(weights: Any, tokens: Sequence[str], key_tokens: Sequence[str] | None = None,
                   layers: Sequence[int] | None = None, heads: Sequence[int] | None = None,
                   title: str = "Attention weights", cell_size: float = 0.32) -> Figure:
    """A grid of heatmaps, one per (layer, head): rows are queries, columns are keys.

    ``weights``: (layers, heads, T_q, T_k) or fewer leading dims (see ``as_layers_heads``).
    ``layers``/``heads`` choose which to draw (default: all). Each row sums to 1, so
    the colour scale runs from 0 to 1 in every panel and panels compare directly.

    Taught in: notebook 01, section 5.
    """
    array = as_layers_heads(weights)  # (L, H, T_q, T_k)
    tokens = require_strings("tokens", tokens, min_length=1)
    key_tokens = tokens if key_tokens is None else require_strings("key_tokens", key_tokens, min_length=1)
    require_number("cell_size", cell_size, above=0.0)
    if array.shape[-2:] != (len(tokens), len(key_tokens)):
        raise ShapeError(f"weights must match the tokens: weights end in {array.shape[-2:]} (T_q, T_k) but there are "
                         f"{len(tokens)} query and {len(key_tokens)} key tokens (got weights of shape {array.shape})")
    layers = list(range(array.shape[0])) if layers is None else list(require_sequence("layers", layers, min_length=1))
    heads = list(range(array.shape[1])) if heads is None else list(require_sequence("heads", heads, min_length=1))
    for name, chosen, available in (("layers", layers, array.shape[0]), ("heads", heads, array.shape[1])):
        for index, i in enumerate(chosen):
            require_int(f"{name}[{index}]", i, minimum=0, maximum=available - 1)
    side = max(2.2, cell_size * max(len(tokens), len(key_tokens)))
    fig, axes = plt.subplots(len(layers), len(heads), squeeze=False,
                             figsize=(side * len(heads) + 1.2, side * len(layers) + 0.6))
    image = None
    for row, layer in enumerate(layers):
        for col, head in enumerate(heads):
            ax = axes[row][col]
            image = ax.imshow(array[layer, head], vmin=0.0, vmax=1.0, cmap="viridis")
            ax.set_xticks(range(len(key_tokens)), key_tokens, rotation=90, fontsize=8)
            ax.set_yticks(range(len(tokens)), tokens, fontsize=8)
            ax.set_title(f"layer {layer}, head {head}", fontsize=9)
            if col == 0:
                ax.set_ylabel("query (attends from)")
            if row == len(layers) - 1:
                ax.set_xlabel("key (attends to)")
    fig.colorbar(image, ax=axes, shrink=0.8, label="attention weight")
    fig.suptitle(title)
    return fig


def show_source(obj: Any) -> None:
    """Display the source code of a helper, so the notebook shows exactly what it runs.

    Taught in: notebook 01, section 4.
    """
    if not (inspect.isfunction(obj) or inspect.isclass(obj) or inspect.ismethod(obj) or inspect.ismodule(obj)):
        raise TypeError(f"obj must be a function, class, method or module of the helpers, got {type(obj).__name__}")
    source = inspect.getsource(obj)
    try:
        from IPython.display import Code, display

        display(Code(source, language="python"))
    except ImportError:
        print(source)
