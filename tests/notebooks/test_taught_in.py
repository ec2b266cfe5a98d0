"""Each public helper's docstring ends with where the course teaches it, and that place is true.

The last line of the docstring is either ``Taught in: notebook NN, section S.`` (or ``set-up cell``),
and notebook NN's section S then uses the helper in its code or names it in its prose; or
``Not taught: <why>.``, and then no notebook uses it. (tests/notebooks/taught_in.py says what "uses" means.)
"""
import pytest

import taught_in

HELPERS = taught_in.public_helpers()
PLACES = taught_in.places()


@pytest.mark.parametrize("name", list(HELPERS))
def test_docstring_ends_with_where_it_is_taught(name):
    line = taught_in.last_line(HELPERS[name])
    assert taught_in.TAUGHT.match(line) or taught_in.NOT_TAUGHT.match(line), (
        f"{name}'s docstring must end with 'Taught in: notebook NN, section S.' or 'Not taught: <why>.', "
        f"not {line!r}")
    stated = taught_in.stated_place(HELPERS[name])
    used = sorted(PLACES.get(name, ()))
    if stated is None:
        assert not used, f"{name} says it is not taught, but these (notebook, section) use it: {used}"
    else:
        assert stated in used, f"{name} says it is taught in {stated}, but the notebooks use it only in {used}"


def test_the_scan_finds_what_it_should():
    """The scanner itself: known uses are found, so a wrong 'Not taught' cannot pass by a blind scan."""
    assert ("01", "4") in PLACES["attention.scaled_dot_product_attention"]
    assert ("08", "5") in PLACES["qa.postprocess"]
    assert any(nb == "06" for nb, _ in PLACES["training.train"])
    assert "course.validation.require_int" not in PLACES
