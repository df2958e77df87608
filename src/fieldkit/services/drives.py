"""Finding removable drives (USB sticks, memory cards) to export bundles to.

Linux: mounted file systems whose block device the kernel marks removable (or that sit on a USB
bus), plus the usual automount folders. Windows: drives of type DRIVE_REMOVABLE. macOS: the
volumes under /Volumes other than the start-up disk. Nothing here needs privileges.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

AUTOMOUNT_ROOTS = ("/media", "/run/media", "/mnt")


@dataclass(frozen=True)
class Drive:
    path: Path
    label: str
    free_bytes: int
    total_bytes: int


def _unescape_mount(field: str) -> str:
    """/proc/mounts writes spaces and tabs in paths as octal escapes."""
    return (
        field.replace("\\040", " ")
        .replace("\\011", "\t")
        .replace("\\012", "\n")
        .replace("\\134", "\\")
    )


def _is_removable_block_device(device: str, sys_block: Path) -> bool:
    if not device.startswith("/dev/"):
        return False
    name = Path(os.path.realpath(device)).name
    for block in sys_block.iterdir() if sys_block.is_dir() else []:
        if name == block.name or name.startswith(block.name):
            try:
                if (block / "removable").read_text().strip() == "1":
                    return True
                return "/usb" in os.path.realpath(block)
            except OSError:
                return False
    return False


def _linux_mount_points(mounts: Path, sys_block: Path) -> list[Path]:
    found = []
    try:
        lines = mounts.read_text().splitlines()
    except OSError:
        return []
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        device, mount_point = parts[0], _unescape_mount(parts[1])
        under_automount = any(
            mount_point == root or mount_point.startswith(root + "/") for root in AUTOMOUNT_ROOTS
        )
        system = mount_point in ("/", "/boot", "/home")
        if not system and (under_automount or _is_removable_block_device(device, sys_block)):
            found.append(Path(mount_point))
    return found


def _windows_drives() -> list[Path]:  # pragma: no cover - exercised on Windows only
    import ctypes
    import string

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    removable = 2  # DRIVE_REMOVABLE
    mask = kernel32.GetLogicalDrives()
    return [
        Path(f"{letter}:\\")
        for index, letter in enumerate(string.ascii_uppercase)
        if mask & (1 << index) and kernel32.GetDriveTypeW(f"{letter}:\\") == removable
    ]


def _mac_volumes() -> list[Path]:  # pragma: no cover - exercised on macOS only
    volumes = Path("/Volumes")
    if not volumes.is_dir():
        return []
    return [v for v in volumes.iterdir() if v.is_dir() and not v.is_symlink()]


def removable_drives(
    mounts: Path = Path("/proc/mounts"), sys_block: Path = Path("/sys/block")
) -> list[Drive]:
    """Removable drives that are mounted and writable, largest free space first."""
    if sys.platform.startswith("win"):
        paths = _windows_drives()
    elif sys.platform == "darwin":
        paths = _mac_volumes()
    else:
        paths = _linux_mount_points(mounts, sys_block)
    drives = []
    for path in dict.fromkeys(paths):
        try:
            usage = shutil.disk_usage(path)
        except OSError:
            continue
        if not os.access(path, os.W_OK):
            continue
        drives.append(Drive(path, path.name or str(path), usage.free, usage.total))
    return sorted(drives, key=lambda d: -d.free_bytes)
