"""Drive headless Chromium from the command line (no selenium): dump a page's DOM, take a screenshot.

Used by tests/site/test_bertviz_browser.py. Chromium comes from the Debian packages
``chromium`` and ``chromium-driver``; nothing here touches the network (the page is
a local file and every host name resolves to nothing).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_LINE = "apt-get update && apt-get install -y chromium chromium-driver"

# Inserted first in <head>: records JavaScript errors, console errors and resource loads
# as attributes of <html>, which --dump-dom then shows.
RECORDER = """<script>
(function () {
  var root = document.documentElement, errors = [];
  function note(message) {
    errors.push(String(message));
    root.setAttribute("data-js-errors", String(errors.length));
    root.setAttribute("data-js-error-messages", errors.join(" | "));
  }
  root.setAttribute("data-js-errors", "0");
  window.addEventListener("error", function (e) { note(e.message || "error event"); }, true);
  window.addEventListener("unhandledrejection", function (e) { note("unhandled rejection: " + e.reason); });
  var consoleError = console.error;
  console.error = function () { note("console.error: " + Array.prototype.join.call(arguments, " ")); return consoleError.apply(console, arguments); };
  window.addEventListener("load", function () {
    var loaded = performance.getEntriesByType("resource").map(function (r) { return r.name; });
    root.setAttribute("data-resources", String(loaded.length));
    root.setAttribute("data-resource-names", loaded.join(" "));
    root.setAttribute("data-loaded", "yes");
  });
})();
</script>"""


def find_chromium() -> str | None:
    """The path of a Chromium executable, or None."""
    configured = os.environ.get("CHROMIUM")
    if configured:
        return shutil.which(configured) or (configured if Path(configured).is_file() else None)
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    """Chromium's path for a browser test: skip when it is missing, but fail under CI, which installs it."""
    import pytest

    found = find_chromium()
    if found is None:
        message = f"Chromium is not installed; run `{INSTALL_LINE}`"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI is set, so the browser test may not be skipped)")
        pytest.skip(message)
    return found


def with_recorder(document: str) -> str:
    """The HTML document with RECORDER as the first element of <head>."""
    if "<head>" not in document:
        raise ValueError("document has no <head>; pass a complete HTML document")
    return document.replace("<head>", "<head>\n" + RECORDER, 1)


def without_scripts(document: str) -> str:
    """The document with every <script> element removed, as an untrusted notebook shows HTML."""
    return re.sub(r"<script\b.*?</script>", "", document, flags=re.DOTALL | re.IGNORECASE)


def run(executable: str, page: Path, *arguments: str, timeout: float = 90.0) -> subprocess.CompletedProcess:
    """Run headless Chromium on a local page, offline, in a throw-away profile."""
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        command = [
            executable, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-extensions", "--no-first-run", "--no-default-browser-check", "--mute-audio",
            "--host-resolver-rules=MAP * ~NOTFOUND",  # no name resolves: nothing can load from the net
            f"--user-data-dir={profile}", "--virtual-time-budget=10000", "--hide-scrollbars",
            *arguments, page.resolve().as_uri(),
        ]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def dump_dom(executable: str, page: Path) -> str:
    """The page's DOM after its scripts ran (serialized HTML)."""
    result = run(executable, page, "--dump-dom")
    if result.returncode != 0 or "<html" not in result.stdout:
        raise RuntimeError(f"chromium --dump-dom failed (exit {result.returncode}): {result.stderr[-2000:]}")
    return result.stdout


def screenshot(executable: str, page: Path, png: Path, size: tuple[int, int] = (1100, 1500)) -> Path:
    """A PNG screenshot of the page after its scripts ran."""
    png.parent.mkdir(parents=True, exist_ok=True)
    if png.exists():
        png.unlink()
    result = run(executable, page, f"--screenshot={png.resolve()}", f"--window-size={size[0]},{size[1]}")
    if result.returncode != 0 or not png.is_file():
        raise RuntimeError(f"chromium --screenshot failed (exit {result.returncode}): {result.stderr[-2000:]}")
    return png


# Inserted after RECORDER by with_probe(): once the page has loaded, marks every <img> with its
# natural width (0 = not loaded) and counts them on <html>, which --dump-dom then shows.
IMAGE_PROBE = """<script>
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images), broken = 0;
  images.forEach(function (image) {
    image.setAttribute("data-natural-width", String(image.naturalWidth));
    if (!image.complete || image.naturalWidth === 0) { broken += 1; }
  });
  document.documentElement.setAttribute("data-images", String(images.length));
  document.documentElement.setAttribute("data-images-broken", String(broken));
});
</script>"""


def with_probe(document: str) -> str:
    """The document with RECORDER and IMAGE_PROBE first in <head>."""
    return with_recorder(document).replace("<head>", "<head>\n" + IMAGE_PROBE, 1)
