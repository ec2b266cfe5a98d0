"""The test run's network guard: localhost works, anything else fails with its address."""
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

GUARD = Path(__file__).resolve().parents[1] / "netguard"


def run_guarded(code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(GUARD)}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)


def test_outside_addresses_are_refused_with_the_address():
    result = run_guarded("import socket; socket.create_connection(('203.0.113.7', 443), timeout=5)")
    assert result.returncode != 0
    assert "network access blocked in tests: connect to ('203.0.113.7', 443)" in result.stderr


def test_name_lookups_are_refused():
    result = run_guarded("import socket; socket.getaddrinfo('huggingface.co', 443)")
    assert "network access blocked in tests: name look-up of 'huggingface.co'" in result.stderr


def test_localhost_still_works():
    code = ("import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen();"
            "c = socket.create_connection(('localhost', s.getsockname()[1]), timeout=5); print('ok')")
    result = run_guarded(code)
    assert result.stdout.strip() == "ok", result.stderr


@pytest.mark.skipif(os.environ.get("TUTORIAL_NETWORK_GUARD") != "1", reason="run through `make test`, which sets the guard")
def test_this_run_is_guarded():
    assert getattr(socket, "NETWORK_GUARD", False), "make test puts tests/netguard on PYTHONPATH"
