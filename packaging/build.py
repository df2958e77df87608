"""Build fieldkit's installer for the machine this runs on: ``make package`` runs it.

In a clean folder (``build/package``, removed first) it makes a virtual environment with the
build dependencies pinned with their hashes (``requirements-build.txt``, pip
``--require-hashes``), builds fieldkit's wheel and installs it there without resolving anything
else, runs PyInstaller on ``fieldkit.spec`` (one folder, never one file), checks the result
(``contents.py``) and makes the installers into ``dist/``:

- Linux: ``fieldkit-VERSION-linux-ARCH.tar.gz`` (the one-folder build) and
  ``fieldkit_VERSION_ARCH.deb`` (``/opt/fieldkit``, commands in ``/usr/bin``, desktop entry);
- Windows: ``fieldkit-VERSION-windows-x64.msi`` (WiX), signed with ``signtool`` when
  ``FIELDKIT_SIGN_CERT`` names a certificate;
- macOS: ``fieldkit-VERSION-macos-ARCH.dmg`` holding ``fieldkit.app``, signed with the hardened
  runtime and notarised when ``FIELDKIT_CODESIGN_IDENTITY`` and the notary settings are given.

Every installer gets its SHA-256 (``SHA256SUMS``) and, when ``FIELDKIT_MINISIGN_KEY`` names a
minisign secret key, a detached signature ``FILE.minisig`` (``release.py``).

Reproducibility: ``SOURCE_DATE_EPOCH`` is the last commit's time unless set, the hash seed is
fixed, file times and owners in the archives are normalised, entries are sorted.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import contents  # noqa: E402
import installers  # noqa: E402
import release  # noqa: E402

ROOT = HERE.parent
REQUIREMENTS = HERE / "requirements-build.txt"
EXTRAS = ("gui", "hq")
"""fieldkit's extras the installers carry: the desktop app, and headquarters' tools."""
# `pip check` ignores extras: this names any requirement of fieldkit[gui,hq] that the pinned
# environment lacks (after a dependency change, `make package-lock` pins it).
EXTRAS_CHECK = """
import sys
from importlib.metadata import PackageNotFoundError, requires, version
from packaging.requirements import Requirement
missing = []
for line in requires("fieldkit") or []:
    req = Requirement(line)
    if req.marker and not any(req.marker.evaluate({"extra": e}) for e in ["", *sys.argv[1:]]):
        continue
    try:
        if not req.specifier.contains(version(req.name), prereleases=True):
            missing.append(str(req))
    except PackageNotFoundError:
        missing.append(str(req))
if missing:
    sys.exit("not pinned in requirements-build.txt (make package-lock): " + ", ".join(missing))
"""


def run(args: list[str | Path], **kwargs: object) -> None:
    shown = ("<script>" if "\n" in str(a) else str(a) for a in args)
    print("+", " ".join(shown), flush=True)
    subprocess.run([str(a) for a in args], check=True, **kwargs)  # type: ignore[call-overload]


def source_date_epoch() -> str:
    given = os.environ.get("SOURCE_DATE_EPOCH")
    if given:
        return given
    done = subprocess.run(
        ["git", "-C", str(ROOT), "log", "-1", "--format=%ct"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or "0"


def version() -> str:
    namespace: dict[str, object] = {}
    text = (ROOT / "src" / "fieldkit" / "__init__.py").read_text(encoding="utf-8")
    exec(compile(text, "fieldkit/__init__.py", "exec"), namespace)  # noqa: S102 - our own file
    return str(namespace["__version__"])


def venv_python(folder: Path) -> Path:
    if sys.platform == "win32":
        return folder / "Scripts" / "python.exe"
    return folder / "bin" / "python"


def build_environment(work: Path) -> Path:
    """A fresh virtual environment with the pinned build dependencies and fieldkit's wheel."""
    env_dir = work / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = venv_python(env_dir)
    pip = [python, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    run([*pip, "install", "--quiet", "--require-hashes", "-r", REQUIREMENTS])
    wheels = work / "wheel"
    run([*pip, "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", wheels, ROOT])
    (wheel,) = wheels.glob("fieldkit-*.whl")
    run([*pip, "install", "--quiet", "--no-deps", wheel])
    run([*pip, "check"])
    run([python, "-c", EXTRAS_CHECK, *EXTRAS])
    return python


def render_icon(python: Path, work: Path) -> Path:
    """resources/icons/fieldkit.svg as a 512-pixel PNG (PyInstaller makes the .ico and .icns
    from it)."""
    png = work / "fieldkit.png"
    script = (
        "import sys\n"
        "from PySide6.QtCore import Qt\n"
        "from PySide6.QtGui import QGuiApplication, QImage, QPainter\n"
        "from PySide6.QtSvg import QSvgRenderer\n"
        "app = QGuiApplication(['render'])\n"
        "image = QImage(512, 512, QImage.Format.Format_ARGB32)\n"
        "image.fill(Qt.GlobalColor.transparent)\n"
        "painter = QPainter(image)\n"
        "QSvgRenderer(sys.argv[1]).render(painter)\n"
        "painter.end()\n"
        "sys.exit(0 if image.save(sys.argv[2]) else 1)\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    run([python, "-c", script, ROOT / "resources" / "icons" / "fieldkit.svg", png], env=env)
    return png


def pyinstaller(python: Path, work: Path, icon: Path, epoch: str) -> Path:
    env = dict(
        os.environ,
        SOURCE_DATE_EPOCH=epoch,
        PYTHONHASHSEED="0",
        FIELDKIT_PACKAGE_ICON=str(icon),
        FIELDKIT_VERSION=version(),
        PYINSTALLER_CONFIG_DIR=str(work / "pyinstaller-cache"),
    )
    out = work / "dist"
    run(
        [
            python,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--clean",
            "--log-level",
            "WARN",
            "--distpath",
            out,
            "--workpath",
            work / "pyinstaller",
            HERE / "fieldkit.spec",
        ],
        env=env,
        cwd=work,
    )
    folder = out / "fieldkit"
    if sys.platform != "win32":
        for programs in (folder, out / "fieldkit.app" / "Contents" / "MacOS"):
            if programs.is_dir():
                for program in ("fieldkit-cli", "fieldkit-hq"):
                    (programs / program).symlink_to("fieldkit")
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="packaging/build.py", description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "package")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="compress faster and less (gzip -6) instead of xz and gzip -9: for tests",
    )
    args = parser.parse_args(argv)
    work, dist = args.work.resolve(), args.dist.resolve()
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    dist.mkdir(parents=True, exist_ok=True)
    epoch = source_date_epoch()
    os.environ["SOURCE_DATE_EPOCH"] = epoch  # dpkg-deb, tar and the signing tools read it too
    python = build_environment(work)
    folder = pyinstaller(python, work, render_icon(python, work), epoch)
    if sys.platform == "darwin":
        app = folder.parent / "fieldkit.app"
        missing = contents.problems(app, ROOT, executables=app / "Contents" / "MacOS")
    else:
        missing = contents.problems(folder, ROOT)
    if missing:
        print("The build is incomplete:\n  " + "\n  ".join(missing), file=sys.stderr)
        return 1
    machine = platform.machine().lower()
    made = installers.make(folder, dist, version(), machine, int(epoch), quick=args.quick)
    release.checksums_and_signatures(made, dist)
    for path in made:
        print(f"{path}  {path.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
