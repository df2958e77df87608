"""Windows' MSI and macOS' disk image, made on their own machines (the CI workflow
``.github/workflows/installers.yml`` runs ``make package`` there).

Windows: WiX (the ``wix`` .NET tool, v5) builds ``windows/fieldkit.wxs`` over the one-folder
build; ``signtool`` signs the programs and the MSI when ``FIELDKIT_SIGN_CERT`` names a .pfx
certificate (its password in ``FIELDKIT_SIGN_PASSWORD``).

macOS: PyInstaller signed every library and the app with ``FIELDKIT_CODESIGN_IDENTITY`` (hardened
runtime, ``macos/entitlements.plist``); here the bundle is signed again as a whole, put in a
compressed disk image with ``hdiutil``, the image signed, and, when ``FIELDKIT_NOTARY_PROFILE``
names a ``notarytool`` keychain profile, notarised and stapled.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
TIMESTAMP_URL = "http://timestamp.digicert.com"


def _run(*args: str | Path) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], check=True)


def _signtool(*files: Path) -> None:
    cert = os.environ.get("FIELDKIT_SIGN_CERT")
    if not cert:
        print("FIELDKIT_SIGN_CERT is not set: the MSI is not signed")
        return
    signtool = shutil.which("signtool") or "signtool"
    password = os.environ.get("FIELDKIT_SIGN_PASSWORD", "")
    timestamp = os.environ.get("FIELDKIT_SIGN_TIMESTAMP_URL", TIMESTAMP_URL)
    _run(
        signtool, "sign", "/fd", "SHA256", "/td", "SHA256", "/tr", timestamp,
        "/f", cert, "/p", password, *files,
    )  # fmt: skip


def msi(folder: Path, dist: Path, version: str) -> Path:
    _signtool(*sorted(folder.glob("*.exe")))
    target = dist / f"fieldkit-{version}-windows-x64.msi"
    _run(
        "wix", "build", HERE / "windows" / "fieldkit.wxs",
        "-arch", "x64",
        "-d", f"SourceDir={folder}",
        "-d", f"Version={version}",
        "-o", target,
    )  # fmt: skip
    _signtool(target)
    return target


def dmg(app: Path, dist: Path, version: str, machine: str) -> Path:
    identity = os.environ.get("FIELDKIT_CODESIGN_IDENTITY")
    if identity:
        _run(
            "codesign", "--force", "--options", "runtime", "--timestamp",
            "--entitlements", HERE / "macos" / "entitlements.plist",
            "--sign", identity, app,
        )  # fmt: skip
        _run("codesign", "--verify", "--strict", "--verbose=2", app)
    else:
        print("FIELDKIT_CODESIGN_IDENTITY is not set: the app is not signed or notarised")
    target = dist / f"fieldkit-{version}-macos-{machine}.dmg"
    target.unlink(missing_ok=True)
    _run(
        "hdiutil", "create", "-volname", "fieldkit", "-srcfolder", app,
        "-fs", "HFS+", "-format", "UDZO", "-ov", target,
    )  # fmt: skip
    if identity:
        _run("codesign", "--force", "--timestamp", "--sign", identity, target)
        profile = os.environ.get("FIELDKIT_NOTARY_PROFILE")
        if profile:
            _run("xcrun", "notarytool", "submit", target, "--keychain-profile", profile, "--wait")
            _run("xcrun", "stapler", "staple", target)
        else:
            print("FIELDKIT_NOTARY_PROFILE is not set: the disk image is not notarised")
    return target
