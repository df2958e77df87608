"""Controlled vocabularies read from a folder of data files: the device's shipped ones, and those
HQ resolves a form's ``vocabularies`` with before it signs the form (a signed form carries its
vocabularies' choices, so a device needs none of these files to install it)."""

from __future__ import annotations

from pathlib import Path

from fieldkit.domain.formfile import load_vocabulary
from fieldkit.domain.forms import ChoiceList


class VocabularyLibrary:
    """Controlled vocabularies read from a folder of data files, each read once."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._cache: dict[str, ChoiceList] | None = None

    def _load(self) -> dict[str, ChoiceList]:
        if self._cache is None:
            found: dict[str, ChoiceList] = {}
            for path in sorted(self.folder.glob("*.yaml")):
                vocabulary = load_vocabulary(path.read_bytes(), str(path.name))
                found[vocabulary.name] = vocabulary
            self._cache = found
        return self._cache

    def resolve(self, name: str, version: str | None) -> ChoiceList | None:
        vocabulary = self._load().get(name)
        if vocabulary is None or (version is not None and vocabulary.version != version):
            return None
        return vocabulary

    def names(self) -> list[str]:
        return sorted(self._load())
