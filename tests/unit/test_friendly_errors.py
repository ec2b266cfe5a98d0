"""In Jupyter, a TutorialError shows as one sentence; the cell still fails."""
import pytest
from IPython.core.interactiveshell import InteractiveShell

from helpers.course.errors import AssetError, install_friendly_errors


@pytest.fixture
def shell(monkeypatch):
    shell = InteractiveShell.instance()
    monkeypatch.setattr("IPython.get_ipython", lambda: shell)
    yield shell
    shell.set_custom_exc((), None)
    InteractiveShell.clear_instance()


def test_tutorial_errors_print_one_line(shell, capsys):
    assert install_friendly_errors()
    result = shell.run_cell("from helpers.course.errors import AssetError\nraise AssetError('Run `make assets`.')")
    assert isinstance(result.error_in_exec, AssetError)  # still a failure, for nbval and the learner
    out = capsys.readouterr()
    text = out.out + out.err
    assert "AssetError: Run `make assets`." in text
    assert "Traceback" not in text


def test_other_errors_keep_their_traceback(shell, capsys):
    install_friendly_errors()
    shell.run_cell("1 / 0")
    out = capsys.readouterr()
    assert "ZeroDivisionError" in out.out + out.err and "Traceback" in out.out + out.err


def test_outside_ipython_nothing_is_installed(monkeypatch):
    monkeypatch.setattr("IPython.get_ipython", lambda: None)
    assert not install_friendly_errors()
