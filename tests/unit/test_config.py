"""The settings (scale x source) in helpers/course/config.py: resolved from the environment and hardware, one table, clear errors."""
import dataclasses
import socket
import threading
import time

import pytest

from helpers.course import config as settings_module
from helpers.course.errors import AssetError, SettingsError
from helpers.course.config import OLD_NAMES, SCALES, SOURCES, hub_reachable, resolve, table_markdown
from helpers.course.settings_groups import FIELD_DOCS, GROUPS, HUB_MODELS, SIZES, Group, groups_for


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


def test_every_combination_has_every_topic_and_field():
    for scale in SCALES:
        for source in SOURCES:
            found = groups_for(scale, source)
            assert list(found) == list(GROUPS)
            assert all(type(found[topic]) is GROUPS[topic] for topic in GROUPS)
    markdown = table_markdown()
    assert markdown.count("\n") == len(FIELD_DOCS) + 1  # header, rule, one row per field
    for name, what in FIELD_DOCS.items():
        assert f"| {name} |" in markdown and what in markdown


def test_every_field_says_what_it_is_and_the_two_scales_agree_on_types():
    assert all(len(what.split()) >= 3 for what in FIELD_DOCS.values()), "a field's doc is a phrase, not a word"
    for topic, tiny in SIZES["tiny"].items():
        full = SIZES["full"][topic]
        for field in dataclasses.fields(tiny):
            assert type(tiny.raw(field.name)) is type(full.raw(field.name)), f"{topic}.{field.name}"


def test_summary_and_values():
    cfg = resolve({"TUTORIAL_SCALE": "tiny", "TUTORIAL_SOURCE": "hub"}, "cpu")
    assert cfg.summary() == "tiny scale, Hugging Face Hub, cpu"
    assert cfg.models.encoder == "sentence-transformers/all-MiniLM-L6-v2" == HUB_MODELS["tiny"].encoder
    assert (cfg.qa.max_length, cfg.qa.stride) == (128, 32) and cfg.data.qa == "rajpurkar/squad"
    with pytest.raises(AttributeError, match="settings have no 'nonsense'; .*models, data, .*e.g. cfg.qa.stride"):
        cfg.nonsense
    with pytest.raises(AttributeError, match="the qa settings have no 'strid'; did you mean 'stride'"):
        cfg.qa.strid
    full = resolve({"TUTORIAL_SCALE": "full", "TUTORIAL_SOURCE": "hub"}, "cuda")
    assert full.models.encoder == "google-bert/bert-base-uncased"
    assert full.summary() == "full scale, Hugging Face Hub, cuda"


def test_groups_are_frozen():
    cfg = resolve({"TUTORIAL_SOURCE": "offline"}, "cpu")
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.qa.stride = 1


@pytest.mark.parametrize("old", sorted(OLD_NAMES))
def test_the_first_release_flat_names_still_read_with_a_warning(old):
    cfg = resolve({"TUTORIAL_SCALE": "full", "TUTORIAL_SOURCE": "hub"}, "cuda")
    topic, name = OLD_NAMES[old].split(".")
    with pytest.warns(FutureWarning, match=f"cfg.{old} is cfg.{topic}.{name} now"):
        value = getattr(cfg, old)
    assert value == getattr(getattr(cfg, topic), name)


def test_the_first_release_values_are_kept():
    """A few values of the flat table this replaced, read through the new groups (the rename moved no value)."""
    tiny, full = (resolve({"TUTORIAL_SCALE": scale, "TUTORIAL_SOURCE": "offline"}, "cpu") for scale in ("tiny", "full"))
    assert (tiny.classification.max_length, tiny.classification.eval_examples, tiny.finetuning.train_examples) == (64, 600, 800)
    assert (tiny.pretraining.steps, tiny.pretraining.mlm_probability, full.pretraining.mlm_probability) == (900, 0.3, 0.15)
    assert (tiny.seq2seq.freeze, full.seq2seq.freeze, tiny.translation.steps, full.summarization.eval_examples) == (True, False, 600, 2000)
    assert (tiny.practical.test_examples, full.qa.batch_size, tiny.inspection.max_length) == (480, 12, 128)
    assert tiny.models.raw("encoder") == full.models.raw("encoder") == "asset:encoder"
    assert tiny.data.raw("classification") == "asset:spam-assassin" and tiny.models.masked_lm is None


def test_offline_encoder_is_the_prepared_asset(tmp_path, monkeypatch):
    cfg = resolve({"TUTORIAL_SOURCE": "offline"}, "cpu")
    assert cfg.summary() == "tiny scale, offline assets, cpu"
    monkeypatch.setenv("TUTORIAL_ASSETS_DIR", str(tmp_path))  # an empty cache
    with pytest.raises(AssetError, match=r"Run `python -m helpers.course.assets prepare encoder`"):
        cfg.models.encoder
    assert "encoder='asset:encoder'" in repr(cfg.models)  # printing the settings never needs the asset
    assert cfg.models == groups_for("tiny", "offline")["models"] and isinstance(cfg.models, Group)


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
    for topic, caps in settings_module.SMOKE_CAPS.items():
        for name, cap in caps.items():
            capped, whole = getattr(smoke, topic).raw(name), getattr(full, topic).raw(name)
            assert 0 < capped <= cap, f"{topic}.{name}"                  # 0 (the whole split) is capped too
            assert whole == 0 or capped <= whole, f"{topic}.{name}"
    assert full.classification.train_examples == 0
    assert smoke.classification.train_examples == settings_module.SMOKE_CAPS["classification"]["train_examples"]
    assert full.pretraining.steps > smoke.pretraining.steps
    uncapped = [(topic, f.name) for topic in GROUPS for f in dataclasses.fields(GROUPS[topic])
                if f.name not in settings_module.SMOKE_CAPS.get(topic, {})]
    assert {("inspection", "max_length"), ("qa", "max_length"), ("pretraining", "hidden"),
            ("finetuning", "batch_size")} <= set(uncapped)
    assert all(getattr(smoke, t).raw(n) == getattr(full, t).raw(n) for t, n in uncapped)  # shapes stay full-scale


@pytest.mark.parametrize("value,expected", [("0", False), ("", False), ("off", False), ("1", True), (" yes ", True)])
def test_smoke_flag_values(value, expected):
    assert resolve({"TUTORIAL_SMOKE": value, "TUTORIAL_SOURCE": "offline"}, "cpu").smoke is expected


def test_smoke_flag_rejects_nonsense():
    with pytest.raises(SettingsError, match="TUTORIAL_SMOKE='maybe' is not a valid value; use 1 \\(on\\) or 0 \\(off\\)"):
        resolve({"TUTORIAL_SMOKE": "maybe", "TUTORIAL_SOURCE": "offline"}, "cpu")
