"""Notebook 02 (from attention to a Transformer encoder): exercises 02.1-02.3."""
from __future__ import annotations

from numbers import Integral
from typing import Callable

import torch
from torch import Tensor, nn

from . import checks
from ..attention import MultiHeadAttention
from ..encoder import FeedForward

# (d_model, d_ff) and (d_model, num_heads) pairs the count checkers try.
FFN_SIZES = ((10, 7), (384, 1536), (768, 3072), (1, 1))
ATTENTION_SIZES = ((64, 1), (64, 8), (12, 3), (384, 12), (768, 12))


def _real_count(module_factory: Callable[[], nn.Module]) -> int:
    with torch.device("meta"):  # shapes only: no memory, no time
        module = module_factory()
    return sum(p.numel() for p in module.parameters())


def _integer(value: object, what: str) -> str | None:
    if value is None:
        return checks.returned(value, int, what)
    if isinstance(value, bool) or not isinstance(value, Integral):
        return f"{what} returned a {type(value).__name__}, expected an int (a count of parameters)."
    return None


# --- 02.1: the feed-forward block's parameter count ---------------------------------

def feed_forward_parameters_solution(d_model: int, d_ff: int) -> int:
    up = d_model * d_ff + d_ff  # weight (d_ff, d_model) and one bias per hidden unit
    down = d_ff * d_model + d_model  # weight (d_model, d_ff) and one bias per output feature
    return up + down


def check_feed_forward_parameters(answer: Callable[[int, int], int]) -> str | None:
    for d_model, d_ff in FFN_SIZES:
        value = answer(d_model, d_ff)
        problem = _integer(value, "your function")
        if problem:
            return problem
        real = _real_count(lambda: FeedForward(d_model, d_ff))
        if value == real:
            continue
        if value == 2 * d_model * d_ff:
            return "your count has no biases: each nn.Linear also learns one bias per output feature."
        if value in (2 * d_model * d_ff + d_ff, 2 * d_model * d_ff + d_model):
            return "you counted the bias of only one of the two Linear layers."
        if value in (d_model * d_ff + d_ff, d_ff * d_model + d_model, d_model * d_ff):
            return "you counted only one of the two Linear layers (up-projection and down-projection)."
        if value == feed_forward_parameters_solution(d_model, 4 * d_model):
            return "your count ignores d_ff: the width is an argument, not always 4 x d_model."
        more = "more" if value > real else "fewer"
        return (f"for d_model={d_model}, d_ff={d_ff} your count is {value}, {more} than the "
                f"parameters of FeedForward({d_model}, {d_ff}).")
    return None


def _ffn_no_bias(d_model: int, d_ff: int) -> int:
    return 2 * d_model * d_ff


def _ffn_one_bias(d_model: int, d_ff: int) -> int:
    return 2 * d_model * d_ff + d_ff


def _ffn_fixed_width(d_model: int, d_ff: int) -> int:
    return 2 * d_model * 4 * d_model + 4 * d_model + d_model


def _ffn_one_layer(d_model: int, d_ff: int) -> int:
    return d_model * d_ff + d_ff


# --- 02.2: residual + LayerNorm in BERT's (post-LN) order ----------------------------

def post_ln_block_solution(x: Tensor, sublayer: Callable[[Tensor], Tensor], norm: nn.Module) -> Tensor:
    return norm(x + sublayer(x))  # add the sublayer's output to its input, then normalise the sum


def _block_case() -> tuple[Tensor, nn.Module, nn.Module]:
    generator = torch.Generator().manual_seed(2)
    x = 3.0 + 2.0 * torch.randn(2, 5, 8, generator=generator)  # (B, T, D), not already normalised
    sublayer, norm = nn.Linear(8, 8), nn.LayerNorm(8)
    with torch.no_grad():
        for param in (*sublayer.parameters(), *norm.parameters()):
            param.copy_(0.5 + torch.rand(param.shape, generator=generator))  # no identity gain/bias
    return x, sublayer, norm


def _check_block(answer: Callable[[Tensor, Callable, nn.Module], Tensor],
                 solution: Callable[[Tensor, Callable, nn.Module], Tensor],
                 mistakes: Callable[[Tensor, Callable, nn.Module], dict[str, Tensor]], otherwise: str) -> str | None:
    """Run a learner's block on a fixed case; None if it matches ``solution``, else the first named mistake it matches."""
    x, sublayer, norm = _block_case()
    before = x.clone()
    with torch.no_grad():
        out = answer(x, sublayer, norm)
        problem = checks.returned(out, Tensor, "your function")
        if problem:
            return problem
        if not torch.equal(x, before):
            return "your function changed x in place; build a new tensor instead (x + ..., not x += ...)."
        if out.shape != x.shape:
            return f"the output has shape {tuple(out.shape)} but x has {tuple(x.shape)}; the block keeps the shape."
        if torch.allclose(out, solution(x, sublayer, norm), atol=1e-5):
            return None
        for message, wrong in mistakes(x, sublayer, norm).items():
            if torch.allclose(out, wrong, atol=1e-5):
                return message
    return otherwise


def _post_ln_mistakes(x: Tensor, sublayer: Callable, norm: nn.Module) -> dict[str, Tensor]:
    return {
        "this is the pre-LN order (normalise first, add the raw input after); BERT normalises the sum.":
            x + sublayer(norm(x)),
        "the residual is missing: the block's input x is not added to the sublayer's output.":
            norm(sublayer(x)),
        "the sum is not normalised: LayerNorm must come after the addition.": x + sublayer(x),
        "LayerNorm is applied to x alone, not to the sum of x and the sublayer's output.":
            norm(x) + sublayer(x),
    }


def check_post_ln_block(answer: Callable[[Tensor, Callable, nn.Module], Tensor]) -> str | None:
    return _check_block(answer, post_ln_block_solution, _post_ln_mistakes,
                        "the output differs from the post-LN block's: check what is added and what is normalised.")


def _block_pre_ln(x: Tensor, sublayer: Callable, norm: nn.Module) -> Tensor:
    return x + sublayer(norm(x))


def _block_no_residual(x: Tensor, sublayer: Callable, norm: nn.Module) -> Tensor:
    return norm(sublayer(x))


def _block_no_norm(x: Tensor, sublayer: Callable, norm: nn.Module) -> Tensor:
    return x + sublayer(x)


def _block_norm_x_only(x: Tensor, sublayer: Callable, norm: nn.Module) -> Tensor:
    return norm(x) + sublayer(x)


# --- 02.3: the parameters of one multi-head attention block --------------------------

def attention_parameters_solution(d_model: int, num_heads: int) -> int:
    # Q, K, V and output projections: each a (d_model x d_model) weight and a d_model bias.
    # The heads split these projections' outputs; they add no parameters.
    return 4 * (d_model * d_model + d_model)


def check_attention_parameters(answer: Callable[[int, int], int]) -> str | None:
    values = {}
    for d_model, num_heads in ATTENTION_SIZES:
        value = answer(d_model, num_heads)
        problem = _integer(value, "your function")
        if problem:
            return problem
        values[(d_model, num_heads)] = value
    if values[(64, 1)] != values[(64, 8)]:
        return ("your count changes with num_heads, but the heads only split the projections' "
                "outputs into slices.")
    for (d_model, num_heads), value in values.items():
        real = _real_count(lambda: MultiHeadAttention(d_model, num_heads))
        if value == real:
            continue
        if value == 4 * d_model * d_model:
            return "your count has no biases: each of the projections also learns a bias vector."
        if value == 3 * (d_model * d_model + d_model):
            return "you counted three projections (Q, K, V); the heads' outputs pass through one more."
        more = "more" if value > real else "fewer"
        return (f"for d_model={d_model}, num_heads={num_heads} your count is {value}, {more} than the "
                f"parameters of MultiHeadAttention({d_model}, {num_heads}).")
    return None


def _attention_no_bias(d_model: int, num_heads: int) -> int:
    return 4 * d_model * d_model


def _attention_three_projections(d_model: int, num_heads: int) -> int:
    return 3 * (d_model * d_model + d_model)


def _attention_per_head(d_model: int, num_heads: int) -> int:
    return num_heads * 4 * (d_model * d_model + d_model)


checks.register(checks.Exercise(
    id="02.1", title="the feed-forward block's parameter count",
    checker=check_feed_forward_parameters,
    hint="count each nn.Linear(in, out) as a weight matrix plus a bias vector, for both layers.",
    solution=feed_forward_parameters_solution,
    wrong_answers=(_ffn_no_bias, _ffn_one_bias, _ffn_fixed_width, _ffn_one_layer),
))
checks.register(checks.Exercise(
    id="02.2", title="residual + LayerNorm in BERT's post-LN order",
    checker=check_post_ln_block,
    hint="in BERT's layer, which comes last: the addition or the LayerNorm? Compare with add_and_norm in section 6.",
    solution=post_ln_block_solution,
    wrong_answers=(_block_pre_ln, _block_no_residual, _block_no_norm, _block_norm_x_only),
))
checks.register(checks.Exercise(
    id="02.3", title="the parameters of one multi-head attention block",
    checker=check_attention_parameters,
    hint="list the Linear layers of MultiHeadAttention and their shapes; do heads add any weights?",
    solution=attention_parameters_solution,
    wrong_answers=(_attention_no_bias, _attention_three_projections, _attention_per_head),
))


# --- 02.4: residual + LayerNorm in GPT-2's (pre-LN) order ----------------------------

def pre_ln_block_solution(x: Tensor, sublayer: Callable[[Tensor], Tensor], norm: nn.Module) -> Tensor:
    return x + sublayer(norm(x))  # the sublayer reads a normalised copy; the raw x is added back


def _pre_ln_mistakes(x: Tensor, sublayer: Callable, norm: nn.Module) -> dict[str, Tensor]:
    return {
        "this is the post-LN order (add, then normalise the sum); pre-LN normalises the sublayer's input.":
            norm(x + sublayer(x)),
        "the residual is missing: the raw x must be added to the sublayer's output.": sublayer(norm(x)),
        "the residual adds the normalised x; pre-LN adds the raw x, so the stream itself is never normalised.":
            norm(x) + sublayer(norm(x)),
        "the sublayer reads the raw x; in pre-LN it reads LayerNorm(x).": x + sublayer(x),
        "the sublayer's output is normalised; in pre-LN the LayerNorm sits before the sublayer.":
            x + norm(sublayer(x)),
    }


def check_pre_ln_block(answer: Callable[[Tensor, Callable, nn.Module], Tensor]) -> str | None:
    return _check_block(answer, pre_ln_block_solution, _pre_ln_mistakes,
                        "the output differs from the pre-LN block's: check what the sublayer reads and what is added.")


def _pre_post_ln(x: Tensor, sublayer: Callable, norm: nn.Module) -> Tensor:
    return norm(x + sublayer(x))


def _pre_no_residual(x: Tensor, sublayer: Callable, norm: nn.Module) -> Tensor:
    return sublayer(norm(x))


def _pre_normalised_residual(x: Tensor, sublayer: Callable, norm: nn.Module) -> Tensor:
    return norm(x) + sublayer(norm(x))


def _pre_norm_after_sublayer(x: Tensor, sublayer: Callable, norm: nn.Module) -> Tensor:
    return x + norm(sublayer(x))


checks.register(checks.Exercise(
    id="02.4", title="residual + LayerNorm in GPT-2's pre-LN order",
    checker=check_pre_ln_block,
    hint="in pre-LN the LayerNorm guards the sublayer's input, and the residual stream x itself is added back "
         "untouched; compare with norm_and_add in section 10.",
    solution=pre_ln_block_solution,
    wrong_answers=(_pre_post_ln, _pre_no_residual, _pre_normalised_residual, _pre_norm_after_sublayer,
                   _block_no_norm),
))
