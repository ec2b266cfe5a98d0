"""Notebook 02's exercise 02.4 (a pre-LN block): its checker names the mistake and accepts correct variants."""
import torch

from helpers import checks
from helpers.exercises import nb02
from helpers.layer_norm_order import norm_and_add


def message(answer) -> str:
    result = checks.check("02.4", answer)
    assert not result.passed
    return result.message.lower()


def test_pre_ln_mistakes_are_named():
    assert "post-ln order" in message(nb02._pre_post_ln)
    assert "residual is missing" in message(nb02._pre_no_residual)
    assert "normalised x" in message(nb02._pre_normalised_residual)
    assert "before the sublayer" in message(nb02._pre_norm_after_sublayer)
    assert "reads the raw x" in message(nb02._block_no_norm)


def test_pre_ln_accepts_the_helper_and_rejects_an_in_place_update():
    assert checks.check("02.4", norm_and_add).passed

    def in_place(x, sublayer, norm):
        x += sublayer(norm(x))
        return x

    assert "in place" in message(in_place)


def test_the_post_ln_exercise_still_names_the_pre_ln_order():
    result = checks.check("02.2", nb02.pre_ln_block_solution)
    assert not result.passed and "pre-ln" in result.message.lower()
    assert isinstance(nb02.pre_ln_block_solution(torch.zeros(1, 2, 4), torch.nn.Identity(), torch.nn.LayerNorm(4)),
                      torch.Tensor)
