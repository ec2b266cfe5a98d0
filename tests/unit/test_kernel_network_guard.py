"""The network guard reaches notebook kernels: a real Jupyter kernel, started as nbval starts one
with the environment `make test` uses, cannot open a connection to the outside, and a hub
download fails at once with an offline error instead of hanging.

Measured while writing this: with the guard but *without* ``HF_HUB_OFFLINE=1``, huggingface_hub
retries the refused look-up five times with back-off and fails only after about 50 s, so
the offline switch (set by the Makefile and by ``helpers.settings()`` in the offline
setting) is what makes a hub call fail fast; the guard is what makes it fail at all.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

TESTS = Path(__file__).resolve().parents[1]  # tests/
# The variables of the Makefile's TEST_ENV (the guard on PYTHONPATH, the libraries offline).
TEST_ENV = {"TUTORIAL_SCALE": "tiny", "TUTORIAL_SOURCE": "offline", "HF_HUB_OFFLINE": "1",
            "HF_DATASETS_OFFLINE": "1", "MPLBACKEND": "Agg", "PYTHONPATH": str(TESTS / "netguard"),
            "TUTORIAL_NETWORK_GUARD": "1"}
CELLS = {
    "socket": ("import socket\n"
               "try:\n    socket.create_connection(('203.0.113.7', 443), timeout=5)\n    print('CONNECTED')\n"
               "except OSError as error:\n    print('REFUSED', error)"),
    "urllib": ("import urllib.request\n"
               "try:\n    urllib.request.urlopen('https://huggingface.co', timeout=5)\n    print('CONNECTED')\n"
               "except OSError as error:\n    print('REFUSED', error)"),
    "hub": ("import time\nstart = time.perf_counter()\nfrom transformers import AutoModel\n"
            "try:\n    AutoModel.from_pretrained('bert-base-uncased')\n    print('LOADED')\n"
            "except OSError as error:\n    print('REFUSED', type(error).__name__, error)\n"
            "print('SECONDS', time.perf_counter() - start)"),
    "guard": "import socket, sys\nprint('GUARD', getattr(socket, 'NETWORK_GUARD', False), sys.executable)",
}


def run_in_kernel(cells: dict[str, str], env: dict[str, str]) -> dict[str, str]:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code) for code in cells.values()])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    client = NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str(TESTS.parent)}})
    client.execute(env=env)
    return {name: "".join(out.get("text", "") for out in cell.outputs)
            for name, cell in zip(cells, notebook.cells)}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    home = tmp_path_factory.mktemp("hf-home")  # an empty cache: nothing to find locally
    env = {**os.environ, **TEST_ENV, "HF_HOME": str(home)}
    began = time.perf_counter()
    found = run_in_kernel(CELLS, env)
    found["wall"] = str(time.perf_counter() - began)
    return found


def test_the_kernel_runs_with_the_guard(outputs):
    assert outputs["guard"].startswith("GUARD True"), outputs["guard"]
    assert Path(outputs["guard"].split()[-1]).resolve().parent == Path(sys.executable).resolve().parent


def test_a_socket_to_the_outside_fails_with_its_address(outputs):
    text = outputs["socket"]
    assert text.startswith("REFUSED") and "203.0.113.7" in text and "network access blocked" in text, text


def test_urllib_fails_with_the_host_it_tried(outputs):
    text = outputs["urllib"]
    assert text.startswith("REFUSED") and "huggingface.co" in text and "network access blocked" in text, text


def test_a_hub_download_fails_fast_with_an_offline_error(outputs):
    text = outputs["hub"]
    assert text.startswith("REFUSED"), text
    assert "offline" in text.lower() or "cache" in text.lower() or "network access blocked" in text, text
    seconds = float(text.rsplit("SECONDS", 1)[1])
    assert seconds < 30, f"from_pretrained took {seconds:.1f} s to fail"

