"""`make lab` (the README's first command) starts JupyterLab and serves the notebooks."""
import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str) -> tuple[int, bytes]:
    with NO_PROXY.open(url, timeout=10) as response:
        return response.status, response.read()


@pytest.fixture(scope="module")
def lab():
    port, token = free_port(), secrets.token_hex(8)
    args = f"--no-browser --port={port} --ServerApp.ip=127.0.0.1 --IdentityProvider.token={token}"
    process = subprocess.Popen(["make", "--no-print-directory", "lab", f"LAB_ARGS={args}"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if get(f"{base}/api/status?token={token}")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read().decode(errors="replace") if process.poll() is not None else ""
                pytest.fail(f"JupyterLab did not start within 120 s (exit {process.poll()}): {output[-2000:]}")
            time.sleep(0.5)
        yield base, token
    finally:
        stop(process)


def stop(process: subprocess.Popen) -> None:
    """End make, JupyterLab and its kernels (one process group), if still running."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def test_lab_serves_the_application(lab):
    base, token = lab
    status, body = get(f"{base}/lab?token={token}")
    assert status == 200 and b"JupyterLab" in body


def test_lab_opens_at_the_notebooks_folder(lab):
    base, token = lab
    status, body = get(f"{base}/api/contents/01_attention.ipynb?token={token}")
    notebook = json.loads(body)
    assert status == 200 and notebook["type"] == "notebook"
    assert notebook["content"]["cells"][0]["source"].startswith("# ")
    listing = json.loads(get(f"{base}/api/contents?token={token}")[1])
    names = {item["name"] for item in listing["content"]}
    assert {p.name for p in (ROOT / "notebooks").glob("*.ipynb")} <= names


def test_the_python3_kernel_is_this_environment(lab):
    base, token = lab
    specs = json.loads(get(f"{base}/api/kernelspecs?token={token}")[1])
    assert "python3" in specs["kernelspecs"]
