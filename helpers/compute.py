"""What a transformer costs: FLOPs per token and memory, by formula and by measurement.

    from helpers.compute import (matmul_parameters, flops_per_token, measure_flops,
                                 training_memory, state_bytes, activation_bytes)
    n = matmul_parameters(model.encoder)              # weights of every Linear layer
    flops_per_token(n, layers, context, d_model)      # forward: 2n + 4 * layers * context * d_model
    measure_flops(model, batch)                       # counted by torch.utils.flop_counter
    training_memory(total, trainable)                 # weights, gradients, AdamW moments (bytes)
    state_bytes(optimizer.state_dict())               # bytes actually held by tensors
    activation_bytes(model, batch)                    # bytes saved for the backward pass

**FLOPs.** A Linear layer with an (out, in) weight costs 2 * out * in FLOPs per token (one
multiply and one add per weight), so the layers cost 2N per token for N matmul weights
(embedding look-ups cost none). Attention adds two (T x T x d) products per layer, QK^T and
AV: 4 * T * d per token. The backward pass costs about twice the forward (gradients with
respect to both the inputs and the weights), hence the rule of thumb of 6N per token for
training (Kaplan et al. 2020).

**Memory.** Inference holds the weights; training in fp32 with AdamW also holds one
gradient and two moments per trainable weight (16 bytes per parameter), plus the
activations saved for the backward pass, which grow with batch size x sequence length.
"""
from __future__ import annotations

from typing import Any, Mapping

import torch
from torch import nn

BYTES_PER_VALUE = {"fp32": 4, "bf16": 2, "fp16": 2}
ADAMW_MOMENTS = 2  # exp_avg and exp_avg_sq


def _positive_int(value: Any, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def _module(model: Any) -> nn.Module:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return model


def matmul_parameters(model: nn.Module) -> int:
    """Weights of every ``nn.Linear`` in ``model`` (biases excluded): the N of 2N FLOPs per token.

    Not the model's size: ``helpers.bert_encoder.count_parameters`` counts every parameter
    (embeddings, biases, LayerNorms too); this counts only those that take part in a matrix
    product for each token, which is what the FLOPs depend on (an embedding is a look-up).

    Taught in: notebook 10, section 7.
    """
    return sum(m.weight.numel() for m in _module(model).modules() if isinstance(m, nn.Linear))


def flops_per_token(n_matmul: int, n_layers: int, context: int, d_model: int, training: bool = False) -> int:
    """Forward FLOPs per token: 2 * n_matmul + 4 * n_layers * context * d_model; x3 when ``training``.

    Taught in: notebook 10, section 7.
    """
    n_matmul = _positive_int(n_matmul, "n_matmul")
    n_layers, context, d_model = (_positive_int(v, name) for v, name in
                                  ((n_layers, "n_layers"), (context, "context"), (d_model, "d_model")))
    if not isinstance(training, bool):
        raise TypeError(f"training must be a bool, got {type(training).__name__}")
    forward = 2 * n_matmul + 4 * n_layers * context * d_model
    return 3 * forward if training else forward


def _batch(inputs: Any) -> dict[str, torch.Tensor]:
    if not isinstance(inputs, Mapping) or "input_ids" not in inputs:
        raise TypeError(f"inputs must be a mapping with input_ids (a tokenizer's output), got {type(inputs).__name__}")
    if inputs["input_ids"].dim() != 2:
        raise ValueError(f"inputs['input_ids'] must be (B, T), got shape {tuple(inputs['input_ids'].shape)}")
    return {k: v for k, v in inputs.items() if k not in ("labels", "label")}


def _scalar_output(output: Any) -> torch.Tensor:
    tensor = output.logits if hasattr(output, "logits") and output.logits is not None else output[0]
    return tensor.float().sum()


def measure_flops(model: nn.Module, inputs: Mapping[str, torch.Tensor], backward: bool = False) -> int:
    """FLOPs of one forward pass (and the backward pass of the summed output, with ``backward``).

    Counted by ``torch.utils.flop_counter.FlopCounterMode``: matrix products only, which
    is where nearly all the work is. Parameter gradients are cleared afterwards.

    Taught in: notebook 10, section 7.
    """
    from torch.utils.flop_counter import FlopCounterMode

    model, batch = _module(model), _batch(inputs)
    if not isinstance(backward, bool):
        raise TypeError(f"backward must be a bool, got {type(backward).__name__}")
    counter = FlopCounterMode(display=False)
    with counter, torch.set_grad_enabled(backward):
        out = _scalar_output(model(**batch))
        if backward:
            out.backward()
    if backward:
        model.zero_grad(set_to_none=True)
    return int(counter.get_total_flops())


def training_memory(total: int, trainable: int | None = None, precision: str = "fp32") -> dict[str, int]:
    """Bytes for weights, gradients and AdamW's two moments (training) by formula; inference needs 'weights'.

    Taught in: notebook 06, section 7.
    """
    total = _positive_int(total, "total")
    trainable = total if trainable is None else _positive_int(trainable, "trainable", minimum=0)
    if trainable > total:
        raise ValueError(f"trainable must be at most total ({total}), got {trainable}")
    if precision not in BYTES_PER_VALUE:
        raise ValueError(f"precision must be one of {sorted(BYTES_PER_VALUE)}, got {precision!r}")
    size = BYTES_PER_VALUE[precision]
    memory = {"weights": size * total, "gradients": size * trainable,
              "optimizer": 4 * ADAMW_MOMENTS * trainable}  # moments stay fp32 even in mixed precision
    return {**memory, "total": sum(memory.values())}


def state_bytes(state: Any) -> int:
    """Bytes held by every tensor in a (nested) state dict, list or tensor: what is really stored.

    Taught in: notebook 10, section 1.
    """
    if isinstance(state, torch.Tensor):
        return state.numel() * state.element_size()
    if isinstance(state, Mapping):
        return sum(state_bytes(v) for v in state.values())
    if isinstance(state, (list, tuple)):
        return sum(state_bytes(v) for v in state)
    if isinstance(state, (int, float, str, bool, type(None))):
        return 0
    raise TypeError(f"state must be a tensor or a dict/list of them (a state_dict), got {type(state).__name__}")


def activation_bytes(model: nn.Module, inputs: Mapping[str, torch.Tensor]) -> int:
    """Bytes of the tensors autograd saves for the backward pass in one training-mode forward.

    Measured with ``torch.autograd.graph.saved_tensors_hooks``; a tensor saved twice
    (or a view of a stored one) is counted once, and parameters are not counted.

    Taught in: notebook 06, section 7.
    """
    model, batch = _module(model), _batch(inputs)
    params = {p.data_ptr() for p in model.parameters()}
    seen: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in params:
            seen[storage.data_ptr()] = max(seen.get(storage.data_ptr(), 0), storage.nbytes())
        return tensor

    was_training = model.training
    model.train()
    try:
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
            out = _scalar_output(model(**batch))
        del out
    finally:
        model.train(was_training)
    return sum(seen.values())
