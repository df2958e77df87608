"""Controlled vocabularies read from a folder of data files: the device's shipped ones, and those
HQ resolves a form's ``vocabularies`` with before it signs the form (a signed form carries its
vocabularies' choices, so a device needs none of these files to install it)."""

from __future__ import annotations

from pathlib import Path

from fieldkit.domain.formfile import load_vocabulary
from fieldkit.domain.forms import ChoiceList

PREVIOUS_FOLDER = "previous"
"""Subfolder holding the earlier versions of vocabularies, which forms of earlier versions name
(``vocabularies: {name: version}``), so that those forms load exactly as they were."""


class VocabularyLibrary:
    """Controlled vocabularies read from a folder of data files, each read once: the current
    version of each in the folder, earlier versions in its ``previous`` subfolder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._cache: dict[str, ChoiceList] | None = None
        self._earlier: dict[tuple[str, str], ChoiceList] = {}

    def _load(self) -> dict[str, ChoiceList]:
        if self._cache is None:
            found: dict[str, ChoiceList] = {}
            for path in sorted(self.folder.glob("*.yaml")):
                vocabulary = load_vocabulary(path.read_bytes(), str(path.name))
                found[vocabulary.name] = vocabulary
            earlier: dict[tuple[str, str], ChoiceList] = {}
            for path in sorted((self.folder / PREVIOUS_FOLDER).glob("*.yaml")):
                vocabulary = load_vocabulary(path.read_bytes(), f"{PREVIOUS_FOLDER}/{path.name}")
                earlier[(vocabulary.name, str(vocabulary.version))] = vocabulary
            self._earlier = earlier
            self._cache = found
        return self._cache

    def resolve(self, name: str, version: str | None) -> ChoiceList | None:
        """The current version of vocabulary ``name``, or the given version (current or
        earlier); None when there is no such vocabulary or version."""
        vocabulary = self._load().get(name)
        if version is None or (vocabulary is not None and vocabulary.version == version):
            return vocabulary
        return self._earlier.get((name, version))

    def names(self) -> list[str]:
        """The names of the vocabularies that have a current version."""
        return sorted(self._load())
