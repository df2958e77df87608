"""The installers made from the one-folder build, by platform (``build.py`` calls :func:`make`).

Linux's are made here: a ``.tar.gz`` of the one-folder build and a ``.deb``, both with sorted
entries, owner root, and every file time set to ``SOURCE_DATE_EPOCH``. Windows' MSI and macOS'
disk image are in ``windows_macos.py``.
"""

from __future__ import annotations

import gzip
import os
import shutil
import stat
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEB_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}
# The system libraries Qt's xcb platform plugin loads (the same as scripts/system-deps run).
DEB_DEPENDS = (
    "libc6 (>= 2.36), libegl1, libgl1, libfontconfig1, libdbus-1-3, libglib2.0-0, "
    "libxkbcommon0, libxkbcommon-x11-0, libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1, "
    "libxcb-image0, libxcb-render-util0, libxcb-xinerama0, libxcb-xkb1, libxcb-randr0, "
    "libxcb-shape0, libx11-xcb1, fonts-dejavu-core"
)


def make(
    folder: Path, dist: Path, version: str, machine: str, epoch: int, *, quick: bool = False
) -> list[Path]:
    """The installers of this platform, in ``dist``. ``quick``: faster, larger compression
    (Linux: gzip -6 for both instead of xz for the .deb and gzip -9), for tests."""
    if sys.platform == "win32":
        import windows_macos

        return [windows_macos.msi(folder, dist, version)]
    if sys.platform == "darwin":
        import windows_macos

        return [windows_macos.dmg(folder.parent / "fieldkit.app", dist, version, machine)]
    tarball = dist / f"fieldkit-{version}-linux-{machine}.tar.gz"
    archive(folder, tarball, f"fieldkit-{version}", epoch, level=6 if quick else 9)
    return [tarball, deb(folder, dist, version, machine, epoch, quick=quick)]


def _normalised(info: tarfile.TarInfo, epoch: int) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    info.mtime = min(int(info.mtime), epoch)
    if not info.issym():
        executable = info.isdir() or info.mode & stat.S_IXUSR
        info.mode = 0o755 if executable else 0o644
    return info


def archive(folder: Path, target: Path, top: str, epoch: int, level: int = 9) -> None:
    """``folder`` as ``target`` (.tar.gz) under the name ``top``: entries sorted, owner root,
    times clamped to ``epoch``, the gzip header without a name or time."""
    paths = sorted(folder.rglob("*"), key=lambda p: p.relative_to(folder).as_posix())
    with (
        target.open("wb") as raw,
        gzip.GzipFile(
            filename="", mode="wb", fileobj=raw, mtime=epoch, compresslevel=level
        ) as zipped,
        tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for path in [folder, *paths]:
            name = top if path == folder else f"{top}/{path.relative_to(folder).as_posix()}"
            info = _normalised(tar.gettarinfo(str(path), arcname=name), epoch)
            if info.isfile():
                with path.open("rb") as handle:
                    tar.addfile(info, handle)
            else:
                tar.addfile(info)


def _clamp_times(root: Path, epoch: int) -> None:
    for path in [root, *root.rglob("*")]:
        os.utime(path, (epoch, epoch), follow_symlinks=False)


def deb(
    folder: Path, dist: Path, version: str, machine: str, epoch: int, *, quick: bool = False
) -> Path:
    """A Debian package: the build in ``/opt/fieldkit``, the three commands in ``/usr/bin``, the
    desktop entry and the icon where the desktop finds them. Nothing runs at installation."""
    arch = DEB_ARCH.get(machine, machine)
    stage = folder.parent / "deb"
    if stage.exists():
        shutil.rmtree(stage)
    opt = stage / "opt" / "fieldkit"
    shutil.copytree(folder, opt, symlinks=True)
    usr_bin = stage / "usr" / "bin"
    usr_bin.mkdir(parents=True)
    for program in ("fieldkit", "fieldkit-cli", "fieldkit-hq"):
        (usr_bin / program).symlink_to(f"/opt/fieldkit/{program}")
    share = stage / "usr" / "share"
    resources = ROOT / "resources"
    apps = share / "applications"
    apps.mkdir(parents=True)
    shutil.copyfile(resources / "fieldkit.desktop", apps / "fieldkit.desktop")
    icons = share / "icons" / "hicolor" / "scalable" / "apps"
    icons.mkdir(parents=True)
    shutil.copyfile(resources / "icons" / "fieldkit.svg", icons / "fieldkit.svg")
    docs = share / "doc" / "fieldkit"
    docs.mkdir(parents=True)
    shutil.copyfile(ROOT / "README.md", docs / "README.md")
    for path in [stage, *stage.rglob("*")]:
        if path.is_symlink():
            continue
        executable = path.is_dir() or path.stat().st_mode & stat.S_IXUSR
        path.chmod(0o755 if executable else 0o644)
    size_kib = sum(p.stat().st_size for p in stage.rglob("*") if p.is_file() and not p.is_symlink())
    control = stage / "DEBIAN" / "control"
    control.parent.mkdir()
    control.write_text(
        f"Package: fieldkit\n"
        f"Version: {version}\n"
        f"Architecture: {arch}\n"
        f"Maintainer: fieldkit maintainers <maintainers@fieldkit.invalid>\n"
        f"Installed-Size: {size_kib // 1024 + 1}\n"
        f"Depends: {DEB_DEPENDS}\n"
        f"Section: utils\n"
        f"Priority: optional\n"
        f"Homepage: https://fieldkit.invalid\n"
        f"Description: offline, encrypted field documentation of organised crime\n"
        f" fieldkit documents trafficking and attacks on activists offline, in an encrypted\n"
        f" vault, and seals each record with the device's signature. This package holds\n"
        f" the desktop app (fieldkit) and the command-line tools fieldkit-cli and\n"
        f" fieldkit-hq, with their own Python and libraries, in /opt/fieldkit.\n",
        encoding="utf-8",
    )
    control.chmod(0o644)
    _clamp_times(stage, epoch)
    target = dist / f"fieldkit_{version}_{arch}.deb"
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(epoch))
    compression = ["-Zgzip", "-z6"] if quick else ["-Zxz", "-z6"]
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", *compression, "--build", str(stage), str(target)],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    return target
