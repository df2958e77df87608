"""Finding removable drives from the kernel's view of mounts and block devices."""

from __future__ import annotations

from pathlib import Path

from fieldkit.services.drives import removable_drives


def _system(
    tmp_path: Path, mounts: list[tuple[str, Path]], removable: dict[str, str]
) -> tuple[Path, Path]:
    sys_block = tmp_path / "sys" / "block"
    for name, flag in removable.items():
        (sys_block / name).mkdir(parents=True)
        (sys_block / name / "removable").write_text(flag + "\n")
    table = tmp_path / "mounts"
    table.write_text(
        "".join(
            f"{device} {str(point).replace(' ', chr(92) + '040')} vfat rw 0 0\n"
            for device, point in mounts
        )
    )
    return table, sys_block


def test_removable_block_devices_are_found(tmp_path: Path) -> None:
    stick = tmp_path / "KEY 2026"
    internal = tmp_path / "data"
    stick.mkdir()
    internal.mkdir()
    table, sys_block = _system(
        tmp_path, [("/dev/sdb1", stick), ("/dev/nvme0n1p2", internal)], {"sdb": "1", "nvme0n1": "0"}
    )
    drives = removable_drives(table, sys_block)
    assert [d.path for d in drives] == [stick]
    assert drives[0].label == "KEY 2026"
    assert drives[0].total_bytes > 0


def test_unreadable_or_missing_mount_points_are_skipped(tmp_path: Path) -> None:
    table, sys_block = _system(tmp_path, [("/dev/sdc1", tmp_path / "gone")], {"sdc": "1"})
    assert removable_drives(table, sys_block) == []
    assert removable_drives(tmp_path / "no-such-table", sys_block) == []
