"""Offline assets: pinned, checksummed, idempotent, atomic, with errors that name the fix."""
import hashlib
import io
import json
import shutil
import tarfile
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from helpers.course import assets
from helpers.course.assets import ASSETS, Asset, AssetError, prepare_one, problems


def make_wheel(folder: Path, files: dict[str, bytes]) -> Path:
    archive = folder / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(archive, "w") as zipped:
        for name, data in files.items():
            zipped.writestr(name, data)
    return archive


def make_tgz(folder: Path, files: dict[str, bytes]) -> Path:
    archive = folder / "demo-1.0.tgz"
    with tarfile.open(archive, "w:gz") as tarred:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tarred.addfile(info, io.BytesIO(data))
    return archive


FILES = {"demo/model/config.json": b'{"hidden": 4}', "demo/model/weights.bin": b"\x00" * 1000,
         "demo/model/sub/vocab.txt": b"a\nb\n", "demo/other.py": b"print('not wanted')"}


@pytest.fixture
def source(tmp_path):
    """A fake registry: an archive on disk, and a fetcher that counts its calls."""
    origin = tmp_path / "registry"
    origin.mkdir()
    archive = make_wheel(origin, FILES)
    asset = Asset("demo", "pypi", "demo", "1.0", hashlib.sha256(archive.read_bytes()).hexdigest(),
                  ("demo/model/*",), "demo/model/", "a demo", "MIT")
    calls = []

    def fetcher(wanted: Asset, into: Path) -> Path:
        calls.append(wanted.name)
        into.mkdir(parents=True)
        return Path(shutil.copy(archive, into))

    return asset, fetcher, calls, tmp_path / "cache"


@pytest.fixture
def registered(source, monkeypatch):
    asset, fetcher, calls, cache = source
    monkeypatch.setitem(ASSETS, "demo", asset)
    return asset, fetcher, calls, cache


def test_prepare_unpacks_only_wanted_members(registered):
    asset, fetcher, calls, cache = registered
    message = prepare_one(asset, cache, fetcher)
    assert message.startswith("demo: prepared 3 files")
    folder = cache / "demo"
    assert (folder / "config.json").read_bytes() == FILES["demo/model/config.json"]
    assert (folder / "sub" / "vocab.txt").is_file()
    assert not (folder / "other.py").exists()
    manifest = json.loads((folder / assets.MANIFEST).read_text())
    assert set(manifest["files"]) == {"config.json", "weights.bin", "sub/vocab.txt"}
    assert assets.path("demo", cache) == folder
    assert problems("demo", cache) == []


def test_second_prepare_does_nothing(registered):
    asset, fetcher, calls, cache = registered
    prepare_one(asset, cache, fetcher)
    assert prepare_one(asset, cache, fetcher) == "demo: already prepared and verified, nothing to do"
    assert calls == ["demo"]


def test_npm_tarballs_unpack_too(tmp_path, monkeypatch):
    archive = make_tgz(tmp_path, {"package/data/a.json": b"{}", "package/package.json": b"{}"})
    asset = Asset("demo", "npm", "demo", "1.0", hashlib.sha256(archive.read_bytes()).hexdigest(),
                  ("package/data/*",), "package/data/", "a demo", "MIT")
    monkeypatch.setitem(ASSETS, "demo", asset)

    def fetcher(wanted: Asset, into: Path) -> Path:
        into.mkdir(parents=True)
        return Path(shutil.copy(archive, into))

    prepare_one(asset, tmp_path / "cache", fetcher)
    assert sorted(p.name for p in (tmp_path / "cache" / "demo").iterdir()) == [assets.MANIFEST, "a.json"]


def test_wrong_checksum_is_refused_and_leaves_nothing(registered):
    asset, fetcher, calls, cache = registered
    with pytest.raises(AssetError, match="has SHA-256 .* expected 0{64}: the download is corrupted"):
        prepare_one(replace(asset, sha256="0" * 64), cache, fetcher)
    assert [p.name for p in cache.iterdir()] == []  # no folder, no leftovers


def test_truncated_file_is_caught_on_use_and_repaired_by_prepare(registered):
    asset, fetcher, calls, cache = registered
    prepare_one(asset, cache, fetcher)
    (cache / "demo" / "weights.bin").write_bytes(b"\x00" * 10)
    with pytest.raises(AssetError, match=r"weights.bin has 10 bytes, expected 1000\. Run `python -m helpers.course.assets prepare demo`"):
        assets.path("demo", cache)
    assert prepare_one(asset, cache, fetcher).startswith("demo: prepared")
    assert assets.path("demo", cache) == cache / "demo"


def test_tampered_file_fails_its_checksum(registered):
    asset, fetcher, calls, cache = registered
    prepare_one(asset, cache, fetcher)
    (cache / "demo" / "weights.bin").write_bytes(b"\x01" * 1000)  # same size, other bytes
    assert problems("demo", cache, full=True) == ["weights.bin fails its checksum (modified or corrupted)"]
    assert prepare_one(asset, cache, fetcher).startswith("demo: prepared")
    assert problems("demo", cache, full=True) == []


def test_interrupted_preparation_leaves_nothing_that_passes(registered):
    asset, fetcher, calls, cache = registered

    def dies_midway(wanted, into):
        fetcher(wanted, into)
        raise KeyboardInterrupt  # the learner pressed stop during the download

    with pytest.raises(KeyboardInterrupt):
        prepare_one(asset, cache, dies_midway)
    assert list(cache.iterdir()) == []
    with pytest.raises(AssetError, match="no valid MANIFEST.json"):
        assets.path("demo", cache)


def test_folder_without_manifest_is_not_prepared(registered):
    asset, fetcher, calls, cache = registered
    (cache / "demo").mkdir(parents=True)
    (cache / "demo" / "config.json").write_text("{}")
    assert problems("demo", cache) != []


def test_unsafe_member_paths_are_refused(tmp_path):
    archive = make_wheel(tmp_path, {"demo/model/../../escape.txt": b"x"})
    asset = Asset("demo", "pypi", "demo", "1.0", "", ("demo/model/*",), "demo/model/", "", "")
    with pytest.raises(AssetError, match="unsafe path"):
        assets.unpack(asset, archive, tmp_path / "out")


def test_unknown_asset_lists_the_known_ones():
    with pytest.raises(AssetError, match="unknown asset 'nope'; known assets: encoder, "):
        assets.path("nope")


def test_command_line_reports_missing_assets(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TUTORIAL_ASSETS_DIR", str(tmp_path))
    assert assets.main(["verify", "encoder"]) == 1
    out = capsys.readouterr().out
    assert "NOT READY" in out and "python -m helpers.course.assets prepare" in out
    assert assets.main(["list"]) == 0
    assert assets.main(["prepare", "nope"]) == 1
    assert "unknown asset 'nope'" in capsys.readouterr().err


def test_pins_are_exact():
    for asset in ASSETS.values():
        assert len(asset.sha256) == 64 and int(asset.sha256, 16) >= 0
        assert asset.version[0].isdigit() and asset.registry in {"pypi", "npm"}


@pytest.mark.parametrize("name", sorted(ASSETS))
def test_prepared_cache_is_complete_and_intact(name):
    """`make test` prepares the assets first; every file must match its manifest."""
    assert problems(name, full=True) == [], f"run `python -m helpers.course.assets prepare {name}`"


def test_a_changed_pin_prepares_again(registered, monkeypatch):
    asset, fetcher, calls, cache = registered
    prepare_one(asset, cache, fetcher)
    changed = replace(asset, members=("demo/model/*.json",))
    monkeypatch.setitem(ASSETS, "demo", changed)
    assert "prepared from another pin" in problems("demo", cache)[0]
    assert prepare_one(changed, cache, fetcher) == "demo: prepared 1 file (0.0 MB) from demo==1.0"


# --- added for issue 10: what the learner reads, and a kill during unpacking ---------------------

def test_a_damaged_asset_is_reported_in_one_line_that_names_the_file_and_the_fix(registered, monkeypatch, capsys):
    asset, fetcher, calls, cache = registered
    prepare_one(asset, cache, fetcher)
    (cache / "demo" / "weights.bin").write_bytes(b"\x00" * 10)  # truncated: caught on every use, by size
    with pytest.raises(AssetError) as error:
        assets.path("demo", cache)
    message = str(error.value)
    assert "\n" not in message and message.count(". ") == 1  # what is wrong. what to run.
    assert "weights.bin has 10 bytes, expected 1000" in message and "prepare demo" in message
    (cache / "demo" / "weights.bin").write_bytes(b"\x01" * 1000)  # tampered, same size: caught by checksum
    monkeypatch.setenv("TUTORIAL_ASSETS_DIR", str(cache))
    assert assets.main(["verify", "demo"]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and "NOT READY: weights.bin fails its checksum (modified or corrupted)" in lines[0]
    assert "Run `python -m helpers.course.assets prepare`" in lines[1]
    assert prepare_one(asset, cache, fetcher).startswith("demo: prepared")  # the prepare command repairs it
    assert assets.main(["verify", "demo"]) == 0


def test_killed_while_unpacking_leaves_nothing_that_passes(registered, monkeypatch):
    asset, fetcher, calls, cache = registered
    real_unpack = assets.unpack

    def dies_after_some_files(wanted, archive, target):
        real_unpack(wanted, archive, target)  # files written, manifest not yet
        raise KeyboardInterrupt

    monkeypatch.setattr(assets, "unpack", dies_after_some_files)
    with pytest.raises(KeyboardInterrupt):
        prepare_one(asset, cache, fetcher)
    assert list(cache.iterdir()) == []  # the staging folder went with the temporary directory
    assert problems("demo", cache) and not (cache / "demo").exists()
