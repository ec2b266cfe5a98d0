"""A playground in a real JupyterLab: headless Chromium runs a notebook, moves its controls, sees the output change.

Starts ``jupyter lab`` on a free port of 127.0.0.1 with a temporary copy of NOTEBOOK (so that
autosave never writes outputs into notebooks/) and temporary Jupyter config, data, runtime,
settings and workspace folders (nothing of the user's set-up leaks in). The kernel inherits
tiny x offline and the network guard. Through chromedriver's WebDriver API (no selenium):
open the notebook, "Run All", wait for the kernel to finish and for the first live
``.course-playground`` widget to show its output; then pick another option of its dropdown
(a real click on the <option>) and press ArrowRight (ArrowLeft at its maximum) on its first
slider, each time waiting for ``.course-playground-output`` to change. Fails on any error output
in the notebook and on any JavaScript error or console error in the browser's log
(ALLOWED_CONSOLE_ERRORS: none so far), and at once, with the server's log, when JupyterLab does
not come up; every wait has a time limit.
Screenshots before and after go to build/test-artifacts/lab_playground_{before,after}.png,
the browser log and the server's log beside them.

Needs Chromium and chromedriver: `apt-get update && apt-get install -y chromium chromium-driver`;
skipped when either is missing, except under CI (CI set), where a missing browser fails.
`make test-site` runs it after the site's tests (not `make test-unit`); alone:
`TUTORIAL_SCALE=tiny TUTORIAL_SOURCE=offline .venv/bin/python -m pytest tests/site/test_lab_playground.py -rP`
(about two minutes on a 2-core machine busy with other notebook runs, most of it the notebook itself).
``LAB_PLAYGROUND_NOTEBOOK=/path/to/x.ipynb`` tries another notebook (its first playground needs a
dropdown and a slider).
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import tempfile
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "build" / "test-artifacts"
NOTEBOOK = "01_attention.ipynb"  # in notebooks/; its FIRST playground has a Dropdown and a slider
TOKEN = "course-lab-playground-test"
SERVER_START_S = 120   # jupyter lab answering /api/status (slow on a busy 2-core machine)
PAGE_S = 120           # JupyterLab's page loaded, the notebook open and its kernel idle
RUN_ALL_S = 300        # every cell of the notebook run
WIDGET_S = 30          # the playground's widget drawn, once the cells ran (it takes a second)
CHANGE_S = 60          # the output redrawn after a control moved

# SEVERE console entries that JupyterLab itself logs offline and that say nothing about the playground,
# as (regular expression on the message, why it is harmless). Empty: JupyterLab 4.6 logs no error
# offline (not even with its default news settings: it asks before it fetches), only WARNINGs (a
# prebuilt mathjax3 extension built for JupyterLab 3 that it declines to load; deprecated shortcut
# selectors in jupyterlab-rise), which are not errors.
# Add an entry only with its reason, and keep the pattern narrow.
ALLOWED_CONSOLE_ERRORS: list[tuple[str, str]] = []


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


chromium = _load("browser_chromium", Path(__file__).parent / "browser" / "chromium.py")
webdriver = _load("browser_webdriver", Path(__file__).parent / "browser" / "webdriver.py")

# JupyterLab settings for the test's browser: every cell in the DOM (the default "contentVisibility"
# windowing may detach cells that are off screen), no news or update checks (offline, and their
# toasts would cover the screenshots), no toast notifications.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False, "doNotDisturbMode": True},
}

# The state of JupyterLab's current notebook, read through window.jupyterapp
# (--LabApp.expose_app_in_browser=True).
STATE_JS = r"""
const app = window.jupyterapp;
if (!app) { return {stage: "loading"}; }
const panel = app.shell.currentWidget;
if (!panel || !panel.content || !panel.sessionContext || !panel.context) { return {stage: "no notebook"}; }
const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
const cells = panel.content.widgets.filter(cell => cell.model.type === "code");
const errors = [];
cells.forEach((cell, index) => {
  const outputs = cell.model.outputs;
  for (let i = 0; i < outputs.length; i++) {
    const output = outputs.get(i).toJSON();
    if (output.output_type === "error") {
      errors.push(`code cell ${index + 1}: ${output.ename}: ${output.evalue}`);
    }
  }
});
const running = Array.from(document.querySelectorAll(".jp-InputPrompt")).filter(p => p.textContent.includes("*")).length;
return {
  stage: "notebook", path: panel.context.path, ready: panel.context.isReady,
  kernel: kernel ? kernel.status : null, code_cells: cells.length, running: running,
  executed: cells.filter(cell => cell.model.executionCount !== null).length, errors: errors,
};
"""

# The first live playground (not the static fallback, which has the same box class) and its output.
PLAYGROUND = ".course-playground:not(.course-playground-static)"
PLAYGROUND_JS = r"""
const boxes = document.querySelectorAll(arguments[0]);
const statics = document.querySelectorAll(".course-playground-static").length;
const widgetErrors = Array.from(document.querySelectorAll(".jp-OutputArea-output"))
  .map(o => o.textContent).filter(t => /Error displaying widget|Failed to load model class/.test(t));
if (!boxes.length) { return {found: 0, statics: statics, widget_errors: widgetErrors}; }
const output = boxes[0].querySelector(".course-playground-output");
return {found: boxes.length, statics: statics, widget_errors: widgetErrors,
        output: output ? output.innerText.trim() : null,
        selects: boxes[0].querySelectorAll("select").length,
        sliders: boxes[0].querySelectorAll(".noUi-handle, input[type=range]").length};
"""

STDERR_TRACEBACKS_JS = r"""
return Array.from(document.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'))
  .map(o => o.innerText).filter(t => /Traceback|Error/.test(t)).map(t => t.slice(0, 500));
"""


@pytest.fixture(scope="module")
def browser_paths() -> tuple[str, str]:
    binary = chromium.require_chromium()
    driver = webdriver.find_chromedriver()
    if driver is None:
        message = f"chromedriver is not installed; run `{chromium.INSTALL_LINE}`"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI is set, so the browser test may not be skipped)")
        pytest.skip(message)
    return binary, driver


def _notebook_source() -> Path:
    configured = os.environ.get("LAB_PLAYGROUND_NOTEBOOK")
    path = Path(configured) if configured else ROOT / "notebooks" / NOTEBOOK
    assert path.is_file(), f"{path} does not exist"
    return path


def _server_env(home: Path, runtime: Path) -> dict[str, str]:
    """The server's (and so the kernel's) environment: tiny x offline, the guard, private Jupyter folders
    (``runtime`` holds the kernels' Unix sockets, whose paths must stay under 107 characters)."""
    env = dict(os.environ)
    pythonpath = [str(ROOT), str(ROOT / "tests" / "netguard")]
    if env.get("PYTHONPATH"):
        pythonpath.append(env["PYTHONPATH"])
    env.update({
        "TUTORIAL_SCALE": "tiny", "TUTORIAL_SOURCE": "offline", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
        "TUTORIAL_NETWORK_GUARD": "1", "PYTHONPATH": os.pathsep.join(pythonpath),
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",  # plots as a learner sees them
        "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(runtime), "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"), "IPYTHONDIR": str(home / "ipython"),
        "JUPYTER_PLATFORM_DIRS": "1",
    })
    env.pop("JUPYTER_PATH", None)
    env.pop("JUPYTER_CONFIG_PATH", None)
    return env


def _prepare_home(home: Path) -> None:
    for name in ("config", "data", "runtime", "workspaces", "ipython"):
        (home / name).mkdir(parents=True, exist_ok=True)
    # no news feed: JupyterLab's server would fetch it from jupyterlab.github.io (offline: an error)
    (home / "config" / "jupyter_server_config.json").write_text(
        json.dumps({"LabApp": {"news_url": None}}), encoding="utf-8")
    for relative, values in LAB_SETTINGS.items():
        path = home / "settings" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")


def _get(url: str, timeout: float = 5.0) -> int:
    try:
        with webdriver.NO_PROXY.open(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


class LabServer:
    """``jupyter lab`` on 127.0.0.1 in its own process group, shut down (kernels too) on close()."""

    def __init__(self, root_dir: Path, home: Path, runtime: Path, log: Path) -> None:
        self.port = webdriver.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        log.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log, "wb")
        command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
                   "--ServerApp.port_retries=0", f"--IdentityProvider.token={TOKEN}",
                   f"--ServerApp.root_dir={root_dir}", "--LabApp.expose_app_in_browser=True",
                   # the kernel talks to the server over Unix sockets, not TCP ports: on a busy machine another
                   # process (an nbval kernel) can take a port between the server choosing it and the kernel binding it
                   "--KernelManager.transport=ipc"]
        if hasattr(os, "getuid") and os.getuid() == 0:
            command.append("--allow-root")  # containers and CI run as root; Jupyter refuses otherwise
        self.process = subprocess.Popen(command, cwd=root_dir, env=_server_env(home, runtime), stdout=self._log,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)

    def log_tail(self, characters: int = 3000) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-characters:]

    def wait_until_up(self, timeout: float) -> None:
        def up() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"jupyter lab exited with {self.process.returncode}:\n{self.log_tail()}")
            return _get(f"{self.url}/api/status?token={TOKEN}") == 200
        try:
            webdriver.wait_for(up, timeout, 1.0, "jupyter lab to answer /api/status")
        except TimeoutError as error:
            raise AssertionError(f"{error}; its log:\n{self.log_tail()}") from None

    def close(self) -> None:
        """Ask the server to shut down (it ends its kernels); then end whatever is left of its process group."""
        if self.process.poll() is None:
            request = urllib.request.Request(f"{self.url}/api/shutdown?token={TOKEN}", data=b"", method="POST")
            try:
                webdriver.NO_PROXY.open(request, timeout=10).close()
                self.process.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                pass  # not up, or not answering: the signals below end it
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.process.pid, sig)  # the kernels, should the server have left one behind
            except (ProcessLookupError, PermissionError):
                break
            time.sleep(2)
        if self.process.poll() is None:
            self.process.wait(timeout=10)
        self._log.close()


def _console_problems(entries: list[dict]) -> list[str]:
    """SEVERE browser-log entries (JavaScript exceptions, console.error) not in ALLOWED_CONSOLE_ERRORS."""
    problems = []
    for entry in entries:
        if entry.get("level") != "SEVERE":
            continue
        message = str(entry.get("message", ""))
        if any(re.search(pattern, message) for pattern, _why in ALLOWED_CONSOLE_ERRORS):
            continue
        problems.append(f"[{entry.get('source')}] {message[:500]}")
    return problems


def _wait_for_run_all(driver, log: list[dict], timeout: float) -> dict:
    """Poll the notebook until every code cell ran and the kernel is idle; fail at once on an error output."""
    deadline = time.monotonic() + timeout
    state: dict = {}
    while time.monotonic() < deadline:
        state = driver.execute(STATE_JS)
        log.extend(driver.browser_log())
        assert not state.get("errors"), f"a cell raised while JupyterLab ran the notebook: {state['errors']}"
        if (state.get("executed") == state.get("code_cells") and state.get("kernel") == "idle"
                and not state.get("running")):
            return state
        time.sleep(1.0)
    raise AssertionError(f"the notebook did not finish running in {timeout:.0f} s: {state}")


def _wait_for_output_change(driver, before: str, log: list[dict], timeout: float, what: str) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = driver.execute(PLAYGROUND_JS, PLAYGROUND).get("output")
        log.extend(driver.browser_log())
        if now and now != before:
            return now
        time.sleep(0.5)
    raise AssertionError(f"the playground's output did not change within {timeout:.0f} s after {what}; it still reads:\n"
                         f"{before[:800]}")


def test_playground_responds_in_jupyterlab(browser_paths, tmp_path):
    binary, driver_path = browser_paths
    source = _notebook_source()
    work = tmp_path / "notebooks"
    work.mkdir()
    shutil.copy2(source, work / source.name)  # the server edits (autosaves) this copy, never notebooks/
    home = tmp_path / "jupyter"
    _prepare_home(home)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    before_png, after_png = ARTIFACTS / "lab_playground_before.png", ARTIFACTS / "lab_playground_after.png"
    for old in (before_png, after_png):
        old.unlink(missing_ok=True)
    log: list[dict] = []
    started = time.monotonic()
    timings: dict[str, float] = {}

    runtime = Path(tempfile.mkdtemp(prefix="jlab-"))  # short: a pytest tmp_path is too long for a socket path
    server = LabServer(work, home, runtime, ARTIFACTS / "lab_playground_server.log")
    try:
        server.wait_until_up(SERVER_START_S)
        timings["server up"] = time.monotonic() - started
        with webdriver.Chrome(binary, driver_path, size=(1400, 1000), request_timeout=120) as driver:
            try:
                driver.get(f"{server.url}/lab/tree/{source.name}?token={TOKEN}&reset")
                webdriver.wait_for(lambda: (lambda s: s.get("ready") and s.get("kernel") == "idle")(driver.execute(STATE_JS)),
                                   PAGE_S, 1.0, f"JupyterLab to open {source.name} with an idle kernel")
                timings["notebook open"] = time.monotonic() - started
                driver.execute("window.jupyterapp.shell.collapseLeft();")  # the file browser: room for the screenshots
                # clear any stored outputs first, so that "every code cell has an execution count" means this run
                driver.execute_async("const done = arguments[arguments.length - 1]; window.jupyterapp.commands"
                                     ".execute('notebook:clear-all-cell-outputs').then(() => done(true), e => done(String(e)));",
                                     timeout=30)
                driver.execute("window.jupyterapp.commands.execute('notebook:run-all-cells');")
                state = _wait_for_run_all(driver, log, RUN_ALL_S)
                timings["run all"] = time.monotonic() - started

                def drawn() -> dict | None:
                    found = driver.execute(PLAYGROUND_JS, PLAYGROUND)
                    assert not found.get("widget_errors"), f"a widget failed to render: {found['widget_errors']}"
                    return found if found.get("found") and found.get("output") else None
                try:
                    found = webdriver.wait_for(drawn, WIDGET_S, 0.5, "the playground's widget")
                except TimeoutError:
                    found = driver.execute(PLAYGROUND_JS, PLAYGROUND)
                    if found.get("found"):
                        raise AssertionError(f"the playground's widget has an empty .course-playground-output: {found}") from None
                    raise AssertionError(
                        f"{source.name} shows no live playground after Run All ({state['code_cells']} code cells ran, "
                        f"{found.get('statics', 0)} static fallback(s)): expected a widget with class course-playground "
                        "(helpers.playgrounds.core.Playground) holding a Dropdown and a slider. Merge the notebook's "
                        "playground first.") from None
                timings["widget drawn"] = time.monotonic() - started
                assert found["selects"] >= 1, f"the first playground has no dropdown (<select>): {found}"
                box = driver.find(PLAYGROUND)[0]
                driver.execute("arguments[0].scrollIntoView({block: 'start'});", {webdriver.ELEMENT: box})
                time.sleep(0.5)
                driver.screenshot(before_png)
                print(f"\nscreenshot of the playground before: {before_png}")
                before = found["output"]

                # 1. pick another option of the dropdown with a real click on the <option>
                select = driver.find("select", within=box)[0]
                options = driver.find("option", within=select)
                assert len(options) >= 2, f"the dropdown offers {len(options)} option(s); it needs 2 or more"
                target = next(option for option in options if not driver.property(option, "selected"))
                chosen = driver.property(target, "textContent")
                driver.click(select)
                driver.click(target)
                assert driver.property(target, "selected"), f"clicking the option {chosen!r} did not select it"
                after_dropdown = _wait_for_output_change(driver, before, log, CHANGE_S, f"choosing {chosen!r}")
                timings["dropdown"] = time.monotonic() - started

                # 2. move the first slider one step with the keyboard (ipywidgets 8 draws noUiSlider handles)
                handles = driver.find(".noUi-handle", within=box)
                assert handles, "the first playground has no slider (.noUi-handle): it should have at least one"
                readout = driver.find(".widget-readout", within=box)
                value_before = driver.property(readout[0], "textContent") if readout else None
                at_end = driver.execute("const h = arguments[0]; return h.getAttribute('aria-valuenow') !== null && "
                                        "h.getAttribute('aria-valuenow') === h.getAttribute('aria-valuemax');",
                                        {webdriver.ELEMENT: handles[0]})
                key = "ArrowLeft" if at_end else "ArrowRight"  # a slider at its maximum moves down instead
                driver.send_keys(handles[0], webdriver.KEYS[key])
                after_slider = _wait_for_output_change(driver, after_dropdown, log, CHANGE_S,
                                                       f"pressing {key} on the first slider")
                value_after = driver.property(readout[0], "textContent") if readout else None
                assert value_after != value_before, f"the slider's readout stayed at {value_before!r}"
                timings["slider"] = time.monotonic() - started
                time.sleep(0.5)
                driver.execute("arguments[0].scrollIntoView({block: 'start'});", {webdriver.ELEMENT: box})
                driver.screenshot(after_png)
                print(f"screenshot of the playground after choosing {chosen!r} and moving a slider "
                      f"({value_before} -> {value_after}): {after_png}")
                assert after_slider != before

                final = driver.execute(STATE_JS)
                assert not final["errors"], f"error outputs in the notebook: {final['errors']}"
                tracebacks = driver.execute(STDERR_TRACEBACKS_JS)
                assert not tracebacks, f"tracebacks on stderr in the notebook: {tracebacks}"
            finally:
                try:
                    log.extend(driver.browser_log())
                except webdriver.WebDriverError:
                    pass
                (ARTIFACTS / "lab_playground_browser_log.json").write_text(json.dumps(log, indent=1), encoding="utf-8")
    finally:
        server.close()
        shutil.rmtree(runtime, ignore_errors=True)
        print(f"browser log: {ARTIFACTS / 'lab_playground_browser_log.json'} ({len(log)} entries); "
              f"server log: {server.log_path}")
        print("seconds since start: " + ", ".join(f"{name} {seconds:.0f}" for name, seconds in timings.items()))
    problems = _console_problems(log)
    assert not problems, "JavaScript or console errors in JupyterLab:\n" + "\n".join(problems)
