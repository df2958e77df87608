"""security.md test 9: export is durable and verified; a kill at any point leaves no bundle or a
complete, valid one; temporary files are never taken for bundles and are cleaned up next time."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fieldkit.bundle import (
    ExportVerificationError,
    SourceChangedError,
    export_bundle_file,
    find_bundle_files,
    is_bundle_file_name,
)
from fieldkit.bundle import writer as bundle_writer
from fieldkit.bundle.writer import verify_bundle_file
from fieldkit.files import TEMP_PREFIX
from tests.bundle.export_child import generated, generated_sha256
from tests.bundle.factory import (
    Keys,
    files_under,
    form_source,
    make_temporaries_stale,
    open_bytes,
    sealed,
    source,
)

CHILD = Path(__file__).with_name("export_child.py")
ROOT = Path(__file__).resolve().parents[2]
ATTACHMENT_SIZE = 24 * 1024 * 1024 + 123


@pytest.fixture
def setup(keys: Keys, tmp_path: Path) -> Path:
    revision = sealed(keys.device)
    setup_file = tmp_path / "setup.json"
    setup_file.write_text(
        json.dumps(
            {
                "device": keys.device.private_bytes().hex(),
                "record_id": revision.record_id,
                "revision_sha256": revision.sha256,
                "revision_content": revision.content.hex(),
                "revision_signature": revision.signature.hex(),
                "attachment_size": ATTACHMENT_SIZE,
                "attachment_sha256": generated_sha256(ATTACHMENT_SIZE),
                "recipients": keys.recipients,
            }
        )
    )
    return setup_file


def _spawn(folder: Path, setup_file: Path, point: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(CHILD), str(folder), str(setup_file), point],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": f"{ROOT / 'src'}:{ROOT}", "PATH": "/usr/bin:/bin"},
    )


def _check_folder(folder: Path, keys: Keys, tmp_path: Path) -> list[Path]:
    """Every bundle-named file opens completely; everything else is a temporary file."""
    bundles = find_bundle_files(folder)
    for path in bundles:
        opened = open_bytes(path.read_bytes(), keys, tmp_path / "spool")
        assert len(opened.revisions) == 1
        assert [a.size for a in opened.attachments] == [ATTACHMENT_SIZE]
        opened.discard()
    others = [p for p in folder.iterdir() if p not in bundles]
    assert all(p.name.startswith(TEMP_PREFIX) for p in others), others
    return bundles


@pytest.mark.parametrize(
    "point",
    ["mid-write:0", "mid-write:12000000", "before-rename", "before-dir-fsync", "before-verify"],
)
def test_a_kill_at_each_step_leaves_no_bundle_or_a_valid_one(
    keys: Keys, setup: Path, tmp_path: Path, point: str
) -> None:
    folder = tmp_path / "stick"
    folder.mkdir()
    child = _spawn(folder, setup, point)
    _out, err = child.communicate(timeout=300)
    assert child.returncode == -signal.SIGKILL, err

    bundles = _check_folder(folder, keys, tmp_path)
    if point.startswith("mid-write") or point == "before-rename":
        assert bundles == []
        assert any(p.name.startswith(TEMP_PREFIX) for p in folder.iterdir())
    else:  # renamed already: the bundle is complete (and, after before-verify, still valid)
        assert len(bundles) == 1

    # The next export, once the leftovers are stale, cleans them up and adds exactly one bundle.
    make_temporaries_stale(folder)
    again = _export(keys, folder, attachments=[source(b"x")])
    assert not any(p.name.startswith(TEMP_PREFIX) for p in folder.iterdir())
    assert again.path in find_bundle_files(folder)
    assert len(find_bundle_files(folder)) == len(bundles) + 1


@pytest.mark.parametrize("seed", range(4))
def test_a_kill_at_a_random_moment_leaves_no_bundle_or_a_valid_one(
    keys: Keys, setup: Path, tmp_path: Path, seed: int
) -> None:
    folder = tmp_path / "stick"
    folder.mkdir()
    child = _spawn(folder, setup, "none")
    assert child.stdout is not None
    lines_before_kill = random.Random(seed).randint(0, 7)
    for _ in range(lines_before_kill):
        if not child.stdout.readline():
            break
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=300)
    bundles = _check_folder(folder, keys, tmp_path)
    assert len(bundles) <= 1


def test_an_export_leaves_the_temporary_file_of_another_export_in_progress(
    keys: Keys, setup: Path, tmp_path: Path
) -> None:
    """Two exports to one stick: the one in a child pauses mid-write, and its file stays through
    the other's clean-up, however old it looks; then it completes, and both bundles open."""
    folder = tmp_path / "stick"
    folder.mkdir()
    child = _spawn(folder, setup, "pause-mid-write:12000000")
    assert child.stdin is not None and child.stdout is not None
    try:
        while (line := child.stdout.readline()) and line != "paused\n":
            pass
        assert line == "paused\n", child.stderr.read() if child.stderr else ""
        (in_progress,) = folder.glob(f"{TEMP_PREFIX}*")
        make_temporaries_stale(folder)
        leftover = folder / f"{TEMP_PREFIX}0123456789abcdef"
        leftover.write_bytes(b"left by an export that was killed")
        make_temporaries_stale(folder)
        young = folder / f"{TEMP_PREFIX}fedcba9876543210"
        young.write_bytes(b"just created by an export that has not locked it yet")

        mine = _export(keys, folder, attachments=[source(b"x")])

        assert in_progress.exists(), "the paused export's file is still there"
        assert not leftover.exists(), "a stale file no export holds is removed"
        assert young.exists(), "a file just created is left to its export"
        child.stdin.write("go on\n")
        child.stdin.flush()
        out, err = child.communicate(timeout=300)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == 0, err
    theirs = Path(out.strip().splitlines()[-1].removeprefix("done "))
    assert sorted(find_bundle_files(folder)) == sorted([mine.path, theirs])
    for path, size in ((theirs, ATTACHMENT_SIZE), (mine.path, 1)):
        opened = open_bytes(path.read_bytes(), keys, tmp_path / "spool")
        assert [a.size for a in opened.attachments] == [size]
        opened.discard()
    assert not in_progress.exists(), "renamed into the bundle"


def test_export_completes_and_the_file_opens(keys: Keys, setup: Path, tmp_path: Path) -> None:
    folder = tmp_path / "stick"
    folder.mkdir()
    child = _spawn(folder, setup, "none")
    out, err = child.communicate(timeout=300)
    assert child.returncode == 0, err
    path = Path(out.strip().splitlines()[-1].removeprefix("done "))
    assert _check_folder(folder, keys, tmp_path) == [path]
    assert [p.name for p in folder.iterdir()] == [path.name]


def test_bundle_file_names_are_random_and_temporaries_never_match(
    keys: Keys, tmp_path: Path
) -> None:
    names = {bundle_writer.new_bundle_file_name() for _ in range(50)}
    assert len(names) == 50
    assert all(is_bundle_file_name(n) for n in names)
    for name in (
        f"{TEMP_PREFIX}0123456789abcdef",
        f"{TEMP_PREFIX}{'a' * 32}.fkb",
        "A" * 32 + ".fkb",
        "a" * 31 + ".fkb",
        "a" * 32 + ".fkb.part",
        "../" + "a" * 32 + ".fkb",
    ):
        assert not is_bundle_file_name(name), name
    (tmp_path / f"{TEMP_PREFIX}{'a' * 32}.fkb").write_bytes(b"half")
    (tmp_path / ("b" * 32 + ".fkb")).mkdir()
    assert find_bundle_files(tmp_path) == []


def test_export_leaves_nothing_when_an_attachment_does_not_match(
    keys: Keys, tmp_path: Path
) -> None:
    folder = tmp_path / "stick"
    folder.mkdir()
    liar = bundle_writer.AttachmentSource("ab" * 32, 10, lambda: [b"0123456789"])
    with pytest.raises(
        SourceChangedError,
        match="does not match its recorded hash or size; no bundle was written",
    ):
        _export(keys, folder, revisions=[], forms=[], attachments=[liar])
    assert files_under(folder) == []


def test_a_bundle_that_reads_back_wrong_is_removed(
    keys: Keys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "stick"
    folder.mkdir()
    real_verify = verify_bundle_file

    def corrupting_verify(path: Path, info: bundle_writer.BundleInfo) -> None:
        data = bytearray(path.read_bytes())
        data[-1] ^= 1  # the medium returned a flipped bit
        path.write_bytes(bytes(data))
        real_verify(path, info)

    monkeypatch.setattr(bundle_writer, "verify_bundle_file", corrupting_verify)
    with pytest.raises(
        ExportVerificationError,
        match="The bundle did not read back intact from the export folder and was removed",
    ):
        _export(keys, folder)
    assert files_under(folder) == []


def test_verify_checks_size_hash_and_header(keys: Keys, tmp_path: Path) -> None:
    exported = _export(keys, tmp_path, attachments=[source(b"".join(generated(100_000)))])
    verify_bundle_file(exported.path, exported.info)
    info = exported.info
    with pytest.raises(
        ExportVerificationError,
        match="The bundle did not read back intact from the export folder and was removed",
    ):  # one recipient fewer than the header holds
        verify_bundle_file(
            exported.path,
            bundle_writer.BundleInfo(**{**vars(info), "recipients": info.recipients[:1]}),
        )
    with pytest.raises(
        ExportVerificationError,
        match="The bundle did not read back intact from the export folder and was removed",
    ):  # a plaintext size the file cannot hold
        verify_bundle_file(
            exported.path,
            bundle_writer.BundleInfo(**{**vars(info), "plaintext_bytes": info.plaintext_bytes + 1}),
        )
    exported.path.write_bytes(exported.path.read_bytes()[:-1])
    with pytest.raises(
        ExportVerificationError,
        match="The bundle did not read back intact from the export folder and was removed",
    ):
        verify_bundle_file(exported.path, info)


def test_export_to_a_missing_folder_is_a_clear_error(keys: Keys, tmp_path: Path) -> None:
    from fieldkit.errors import NotFoundError

    with pytest.raises(
        NotFoundError, match="The folder to export to does not exist or is not mounted"
    ):
        _export(keys, tmp_path / "not-mounted", revisions=[], forms=[])
    assert not (tmp_path / "not-mounted").exists()


def _export(keys: Keys, folder: Path, **overrides: Any) -> bundle_writer.ExportedBundle:
    """Bundle 1 of one sealed revision and its form; ``overrides`` change any argument."""
    arguments: dict[str, Any] = {
        "device_key": keys.device,
        "sequence": 1,
        "previous": None,
        "recipients": keys.recipients,
        "revisions": [sealed(keys.device)],
        "forms": [form_source()],
        "attachments": [],
    } | overrides
    return export_bundle_file(folder, **arguments)


def test_a_failure_after_the_rename_removes_the_bundle(
    keys: Keys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The folder's fsync fails (a stick pulled just then): the renamed file is removed too."""
    from fieldkit import files

    def pulled(folder: Path) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(files, "fsync_dir", pulled)
    with pytest.raises(OSError, match="Input/output"):
        _export(keys, tmp_path)
    assert files_under(tmp_path) == []


def test_a_named_export_replaces_its_file_only_when_complete(
    keys: Keys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = bundle_writer.new_bundle_file_name()
    first = _export(keys, tmp_path, file_name=name)
    assert first.path == tmp_path / name
    kept = first.path.read_bytes()

    def failing(*args: object, **kwargs: object) -> object:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(bundle_writer, "write_bundle", failing)
    with pytest.raises(OSError, match="No space left on device"):
        _export(keys, tmp_path, file_name=name)
    assert [p.name for p in tmp_path.iterdir()] == [name] and first.path.read_bytes() == kept
    monkeypatch.undo()

    def unreadable(path: Path, info: object) -> None:
        raise ExportVerificationError("other bytes")

    monkeypatch.setattr(bundle_writer, "verify_bundle_file", unreadable)
    with pytest.raises(ExportVerificationError, match="other bytes"):
        _export(keys, tmp_path, file_name=name)
    assert files_under(tmp_path) == [], "the file it wrote in place of the old one is removed"
    monkeypatch.undo()

    second = _export(keys, tmp_path, file_name=name)
    assert [p.name for p in tmp_path.iterdir()] == [name] and second.path.read_bytes() != kept
    with pytest.raises(Exception, match="file name"):
        _export(keys, tmp_path, file_name="../" + name)
