"""The position playground (notebook 02, section 5): its view against hand-computed sinusoids, its HTML, its widgets."""
from __future__ import annotations

import math

import pytest
import torch

from helpers.encoder import sinusoidal_positions
from helpers.playgrounds import encoder as pg
from helpers.playgrounds.core import STATIC_NOTE, WIDGET_VIEW


def _by_hand_dot(p: int, q: int, d_model: int) -> float:
    # sum over the clocks i of sin(p w) sin(q w) + cos(p w) cos(q w) = cos((p - q) w)
    return sum(math.cos((p - q) / 10000 ** (2 * i / d_model)) for i in range(d_model // 2))


@pytest.mark.parametrize("d_model", [16, 128])
@pytest.mark.parametrize("offset", [0, 3, 64])
def test_dots_and_cosines_equal_the_trig_identity(offset, d_model):
    view = pg.position_view(offset, d_model)
    expected = _by_hand_dot(0, offset, d_model)
    assert view.dots == pytest.approx([expected] * len(pg.STARTS), abs=2e-3)
    assert view.cosines == pytest.approx([expected / (d_model / 2)] * len(pg.STARTS), abs=1e-4)
    pe = sinusoidal_positions(500, d_model)
    assert view.dots[2] == pytest.approx((pe[20] @ pe[20 + offset]).item(), abs=1e-4)


def test_profile_columns_are_the_offsets_and_start_at_one():
    view = pg.position_view(5, 64)
    assert view.offsets == (0, 1, 2, 4, 5, 8, 16, 32, 64) and view.profile.shape == (5, 9)
    assert torch.allclose(view.profile[:, 0], torch.ones(5), atol=1e-6)
    column = view.offsets.index(5)
    assert view.profile[:, column].tolist() == pytest.approx(list(view.cosines), abs=1e-6)
    assert (view.profile.max(dim=0).values - view.profile.min(dim=0).values).max() < 1e-4  # distance only


def test_wide_models_fall_steadily_narrow_ones_come_round_again():
    wide = pg.position_view(4, 128).profile[0]
    assert (wide.diff() < 0).all() and wide[-1] < 0.5
    narrow = pg.position_view(4, 16)
    assert narrow.profile[0, narrow.offsets.index(64)] > narrow.profile[0, narrow.offsets.index(16)]


def test_html_shows_the_numbers():
    view = pg.position_view(7, 32)
    page = pg.position_html(view)
    assert f"{view.cosines[0]:.3f}" in page and f"{view.dots[-1]:.3f}" in page
    assert "k=7 ◀" in page and "p=400" in page and "<script" not in page


def test_moving_a_control_redraws_the_output():
    playground = pg.encoder_playground()
    first = playground.output.value
    assert first == pg.position_html(pg.position_view())
    playground.controls["offset"].value = 20
    assert playground.output.value != first and "offset k = 20" in playground.output.value
    playground.controls["d_model"].value = 16
    assert playground.output.value == pg.position_html(pg.position_view(20, 16))


def test_a_bad_value_shows_a_sentence_and_the_bundle_has_both_views():
    playground = pg.encoder_playground()
    assert "must be even" in playground.render(d_model=15)
    bundle = playground._repr_mimebundle_()
    assert WIDGET_VIEW in bundle and STATIC_NOTE in bundle["text/html"]
    assert pg.position_html(pg.position_view()) in bundle["text/html"]
