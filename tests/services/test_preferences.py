from __future__ import annotations

from pathlib import Path

from fieldkit.services import preferences
from fieldkit.services.preferences import Preferences


def test_defaults_when_nothing_is_saved(tmp_path: Path) -> None:
    assert preferences.load(tmp_path) == Preferences(language=None, auto_lock_minutes=5)


def test_save_and_load(tmp_path: Path) -> None:
    preferences.save(Preferences(language="ar", auto_lock_minutes=15), tmp_path)
    assert preferences.load(tmp_path) == Preferences(language="ar", auto_lock_minutes=15)
    assert (tmp_path / preferences.FILE_NAME).stat().st_mode & 0o077 == 0


def test_bad_values_fall_back_to_defaults(tmp_path: Path) -> None:
    (tmp_path / preferences.FILE_NAME).write_text('{"language": "xx", "auto_lock_minutes": -3}')
    assert preferences.load(tmp_path) == Preferences()
    (tmp_path / preferences.FILE_NAME).write_text("not json")
    assert preferences.load(tmp_path) == Preferences()
    (tmp_path / preferences.FILE_NAME).write_text("[1, 2]")
    assert preferences.load(tmp_path) == Preferences()


def test_default_folder_is_the_user_config_folder() -> None:
    preferences.save(Preferences(language="fr"))
    assert preferences.load().language == "fr"
    assert str(Path.home()) in str(preferences._path(None))
