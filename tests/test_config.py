"""The settings (scale x source) in helpers/config.py: resolved from the environment and hardware, one table, clear errors."""
import socket
import threading
import time

import pytest

from helpers import config as settings_module
from helpers.errors import AssetError, SettingsError
from helpers.config import SCALES, SOURCES, TABLE, hub_reachable, resolve, table_markdown


def never_called() -> bool:
    raise AssertionError("the hub must not be probed when the source is already decided")


@pytest.mark.parametrize("environ,device,expected", [
    ({}, "cpu", ("tiny", "hub")),
    ({}, "cuda", ("full", "hub")),
    ({"TUTORIAL_SCALE": "full"}, "cpu", ("full", "hub")),
    ({"TUTORIAL_SCALE": " Tiny "}, "cuda", ("tiny", "hub")),
])
def test_scale_defaults_to_hardware(environ, device, expected):
    cfg = resolve(environ, device, probe_hub=lambda: True)
    assert (cfg.scale, cfg.source) == expected


@pytest.mark.parametrize("environ,hub_up,expected", [
    ({"TUTORIAL_SOURCE": "offline"}, None, "offline"),
    ({"TUTORIAL_SOURCE": "hub", "HF_HUB_OFFLINE": "1"}, None, "hub"),  # explicit choice wins
    ({"HF_HUB_OFFLINE": "1"}, None, "offline"),
    ({}, True, "hub"),
    ({}, False, "offline"),
    ({"HF_HUB_OFFLINE": "0"}, False, "offline"),
])
def test_source_resolution(environ, hub_up, expected):
    probe = never_called if hub_up is None else (lambda: hub_up)
    assert resolve(environ, "cpu", probe_hub=probe).source == expected


@pytest.mark.parametrize("variable,value,valid", [
    ("TUTORIAL_SCALE", "huge", "tiny, full"), ("TUTORIAL_SOURCE", "s3", "hub, offline"),
])
def test_unknown_values_list_the_valid_ones(variable, value, valid):
    with pytest.raises(SettingsError, match=f"{variable}='{value}' is not a valid value; use one of: {valid}"):
        resolve({variable: value}, "cpu", probe_hub=lambda: False)


def test_table_has_every_combination_with_the_same_names():
    assert set(TABLE) == {(scale, source) for scale in SCALES for source in SOURCES}
    names = {key: set(values) for key, values in TABLE.items()}
    assert len({frozenset(v) for v in names.values()}) == 1
    assert "| encoder |" in table_markdown()


def test_summary_and_values():
    cfg = resolve({"TUTORIAL_SCALE": "tiny", "TUTORIAL_SOURCE": "hub"}, "cpu")
    assert cfg.summary() == "tiny scale, Hugging Face Hub, cpu"
    assert cfg.encoder == "sentence-transformers/all-MiniLM-L6-v2"
    assert cfg.batch_size == TABLE[("tiny", "hub")]["batch_size"]
    with pytest.raises(AttributeError, match="settings have no 'nonsense'; known names: .*encoder"):
        cfg.nonsense
    full = resolve({"TUTORIAL_SCALE": "full", "TUTORIAL_SOURCE": "hub"}, "cuda")
    assert full.encoder == "google-bert/bert-base-uncased"
    assert full.summary() == "full scale, Hugging Face Hub, cuda"


def test_offline_encoder_is_the_prepared_asset(tmp_path, monkeypatch):
    cfg = resolve({"TUTORIAL_SOURCE": "offline"}, "cpu")
    assert cfg.summary() == "tiny scale, offline assets, cpu"
    monkeypatch.setenv("TUTORIAL_ASSETS_DIR", str(tmp_path))  # an empty cache
    with pytest.raises(AssetError, match=r"Run `python -m helpers.assets prepare encoder`"):
        cfg.encoder


def test_settings_are_resolved_once(monkeypatch):
    settings_module.settings.cache_clear()
    monkeypatch.setenv("TUTORIAL_SOURCE", "offline")
    first = settings_module.settings()
    monkeypatch.setenv("TUTORIAL_SCALE", "full")
    assert settings_module.settings() is first
    settings_module.settings.cache_clear()


def test_full_scale_on_cpu_warns(monkeypatch):
    settings_module.settings.cache_clear()
    monkeypatch.setenv("TUTORIAL_SCALE", "full")
    monkeypatch.setenv("TUTORIAL_SOURCE", "offline")
    monkeypatch.setattr("helpers.device.pick_device", lambda: __import__("torch").device("cpu"))
    with pytest.warns(UserWarning, match="TUTORIAL_SCALE=tiny"):
        settings_module.settings()
    settings_module.settings.cache_clear()


def test_hub_probe_sees_a_listening_server():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    try:
        assert hub_reachable(timeout=2.0, endpoint=f"http://127.0.0.1:{server.getsockname()[1]}")
    finally:
        server.close()


def test_hub_probe_reports_a_closed_port():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    assert not hub_reachable(timeout=2.0, endpoint=f"http://127.0.0.1:{port}")


def test_hub_probe_never_waits_longer_than_its_timeout(monkeypatch):
    release = threading.Event()

    def hanging_connection(*args, **kwargs):  # like a DNS look-up that never answers
        release.wait(10)
        raise OSError("gave up")

    monkeypatch.setattr(socket, "create_connection", hanging_connection)
    started = time.perf_counter()
    assert not hub_reachable(timeout=0.3)
    elapsed = time.perf_counter() - started
    release.set()
    assert elapsed < 1.5, f"the probe waited {elapsed:.1f} s"


def test_smoke_caps_what_is_trained_and_scored_but_no_shape():
    full = resolve({"TUTORIAL_SCALE": "full", "TUTORIAL_SOURCE": "offline"}, "cpu")
    smoke = resolve({"TUTORIAL_SCALE": "full", "TUTORIAL_SOURCE": "offline", "TUTORIAL_SMOKE": "1"}, "cpu")
    assert not full.smoke and smoke.smoke and smoke.scale == "full"
    assert "smoke run" in smoke.summary() and "smoke" not in full.summary()
    for name, cap in settings_module.SMOKE_CAPS.items():
        assert 0 < smoke.values[name] <= cap, name                    # 0 (the whole split) is capped too
        assert full.values[name] == 0 or smoke.values[name] <= full.values[name], name
    assert full.train_examples == 0 and smoke.train_examples == settings_module.SMOKE_CAPS["train_examples"]
    assert full.pretrain_steps > smoke.pretrain_steps
    uncapped = set(full.values) - set(settings_module.SMOKE_CAPS)
    assert {"max_length", "qa_max_length", "pretrain_hidden", "batch_size"} <= uncapped
    assert all(smoke.values[name] == full.values[name] for name in uncapped)  # shapes stay full-scale


@pytest.mark.parametrize("value,expected", [("0", False), ("", False), ("off", False), ("1", True), (" yes ", True)])
def test_smoke_flag_values(value, expected):
    assert resolve({"TUTORIAL_SMOKE": value, "TUTORIAL_SOURCE": "offline"}, "cpu").smoke is expected


def test_smoke_flag_rejects_nonsense():
    with pytest.raises(SettingsError, match="TUTORIAL_SMOKE='maybe' is not a valid value; use 1 \\(on\\) or 0 \\(off\\)"):
        resolve({"TUTORIAL_SMOKE": "maybe", "TUTORIAL_SOURCE": "offline"}, "cpu")
