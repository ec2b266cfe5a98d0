"""A small W3C WebDriver client for chromedriver, on the standard library (no selenium).

Used by tests/site/test_lab_playground.py to drive headless Chromium through a live
JupyterLab: open a page, run JavaScript, find elements, click, type, take screenshots and
read the browser's console log. Chromedriver comes from the Debian package
``chromium-driver`` (/usr/bin/chromedriver). Every HTTP call has a timeout, so a browser
that hangs fails the test instead of hanging it.
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C key of an element reference
# every request goes to 127.0.0.1: never through a proxy that http_proxy / https_proxy may name
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))
KEYS = {"ArrowRight": "\ue014", "ArrowLeft": "\ue012", "ArrowUp": "\ue013", "ArrowDown": "\ue015",
        "Enter": "\ue007", "Tab": "\ue004", "Escape": "\ue00c"}


class WebDriverError(RuntimeError):
    """chromedriver answered with an error, or did not answer in time."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def find_chromedriver() -> str | None:
    """The path of chromedriver ($CHROMEDRIVER, else on PATH), or None."""
    configured = os.environ.get("CHROMEDRIVER")
    if configured:
        return shutil.which(configured) or (configured if Path(configured).is_file() else None)
    return shutil.which("chromedriver")


def wait_for(condition: Callable[[], Any], timeout: float, interval: float = 0.5, what: str = "a condition") -> Any:
    """Poll ``condition`` until it returns something truthy (returned), or raise TimeoutError after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout:.0f} s for {what}")
        time.sleep(interval)


class Chrome:
    """One chromedriver process and one headless Chromium session; use as a context manager.

    ``Chrome(chromium_path)`` starts chromedriver on a free port and opens a session whose
    browser log records every console level. Leaving the ``with`` block deletes the session
    and ends chromedriver (and so the browser), whatever happened inside.
    """

    def __init__(self, binary: str, driver: str, *, size: tuple[int, int] = (1400, 1000),
                 request_timeout: float = 60.0, start_timeout: float = 60.0) -> None:
        self.binary, self.driver, self.size = binary, driver, size
        self.request_timeout, self.start_timeout = request_timeout, start_timeout
        self.process: subprocess.Popen | None = None
        self.session: str | None = None
        self._profile: tempfile.TemporaryDirectory | None = None
        self._log = None

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> "Chrome":
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def start(self) -> None:
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self._profile = tempfile.TemporaryDirectory(prefix="chromium-profile-")
        self._log = open(Path(self._profile.name) / "chromedriver.log", "w+b")
        self.process = subprocess.Popen([self.driver, f"--port={port}"], stdout=self._log,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        wait_for(self._ready, self.start_timeout, 0.2, "chromedriver to answer /status")
        arguments = [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-extensions", "--no-first-run", "--no-default-browser-check", "--mute-audio",
            # no host name but 127.0.0.1 resolves: nothing can load from the net
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--no-proxy-server",
            f"--user-data-dir={self._profile.name}/profile", f"--window-size={self.size[0]},{self.size[1]}",
            "--hide-scrollbars", "--force-device-scale-factor=1", "--disable-breakpad", "--disable-crash-reporter",
        ]
        capabilities = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": self.binary, "args": arguments},
            "goog:loggingPrefs": {"browser": "ALL"},
            "timeouts": {"script": int(self.request_timeout * 1000), "pageLoad": int(self.request_timeout * 1000)},
        }}}
        answer = self._request("POST", "/session", capabilities, timeout=self.start_timeout)
        self.session = answer["sessionId"]

    def _ready(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise WebDriverError(f"chromedriver exited with {self.process.returncode}: {self.driver_log()}")
        try:
            return bool(self._request("GET", "/status", timeout=2).get("ready"))
        except (WebDriverError, OSError):
            return False

    def driver_log(self) -> str:
        """The end of chromedriver's own output (for error messages)."""
        if self._log is None:
            return ""
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-3000:]

    def close(self) -> None:
        """Delete the session and end chromedriver; safe to call twice."""
        if self.session is not None:
            try:
                self._request("DELETE", f"/session/{self.session}", timeout=20)
            except (WebDriverError, OSError):
                pass
            self.session = None
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(timeout=10)
            self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._profile is not None:
            self._profile.cleanup()
            self._profile = None

    # -- the protocol --------------------------------------------------------------------------
    def _request(self, method: str, path: str, body: Any = None, timeout: float | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json; charset=utf-8"})
        try:
            with NO_PROXY.open(request, timeout=timeout or self.request_timeout) as response:
                payload = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            try:
                value = json.loads(error.read()).get("value", {})
            except ValueError:
                value = {}
            message = value.get("message", str(error)) if isinstance(value, dict) else str(value)
            raise WebDriverError(f"{method} {path}: {value.get('error', error.code) if isinstance(value, dict) else error.code}: "
                                 f"{message.splitlines()[0] if message else ''}") from None
        except (urllib.error.URLError, socket.timeout, TimeoutError) as error:
            raise WebDriverError(f"{method} {path}: no answer from chromedriver ({error})") from None
        return payload.get("value", payload) if isinstance(payload, dict) else payload

    def _session(self, method: str, path: str, body: Any = None, timeout: float | None = None) -> Any:
        if self.session is None:
            raise WebDriverError("no WebDriver session")
        return self._request(method, f"/session/{self.session}{path}", body, timeout)

    # -- what the tests use ----------------------------------------------------------------------
    def get(self, url: str) -> None:
        """Open ``url`` and wait for its load event."""
        self._session("POST", "/url", {"url": url})

    def execute(self, script: str, *arguments: Any) -> Any:
        """Run ``script`` (a function body; ``arguments[i]`` are the arguments) and return its value."""
        return self._session("POST", "/execute/sync", {"script": script, "args": list(arguments)})

    def execute_async(self, script: str, *arguments: Any, timeout: float | None = None) -> Any:
        """Run ``script``; it ends by calling ``arguments[arguments.length - 1](value)``."""
        if timeout is not None:
            self._session("POST", "/timeouts", {"script": int(timeout * 1000)})
        return self._session("POST", "/execute/async", {"script": script, "args": list(arguments)},
                             timeout=(timeout or self.request_timeout) + 10)

    def find(self, css: str, within: str | None = None) -> list[str]:
        """The ids of the elements that match the CSS selector ``css`` (inside element ``within``)."""
        path = f"/element/{within}/elements" if within else "/elements"
        found = self._session("POST", path, {"using": "css selector", "value": css})
        return [element[ELEMENT] for element in found]

    def click(self, element: str) -> None:
        """A real click (scrolls the element into view; an <option> gets selected)."""
        self._session("POST", f"/element/{element}/click", {})

    def send_keys(self, element: str, text: str) -> None:
        """Focus ``element`` and type ``text`` (KEYS[...] for special keys)."""
        self._session("POST", f"/element/{element}/value", {"text": text})

    def property(self, element: str, name: str) -> Any:
        return self._session("GET", f"/element/{element}/property/{name}")

    def screenshot(self, png: Path) -> Path:
        """The visible part of the page as a PNG at ``png``."""
        png.parent.mkdir(parents=True, exist_ok=True)
        png.write_bytes(base64.b64decode(self._session("GET", "/screenshot")))
        return png

    def browser_log(self) -> list[dict[str, Any]]:
        """The console entries since the last call: dicts with level, message, source, timestamp.

        Reading drains the log. Logging is not in the W3C standard; chromedriver (156) answers both
        POST /session/{id}/se/log (what selenium 4 calls) and the older POST /session/{id}/log.
        """
        for path in ("/se/log", "/log"):
            try:
                return list(self._session("POST", path, {"type": "browser"}))
            except WebDriverError as error:
                last = error
        raise last
