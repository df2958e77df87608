"""The language chooser: each language named in itself."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QWidget

from fieldkit.i18n import _, current_language

LANGUAGES = (("en", "English"), ("fr", "Français"), ("ar", "العربية"))


class LanguageCombo(QComboBox):
    language_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(_("Language"))
        for code, name in LANGUAGES:
            self.addItem(name, code)
        self.set_language(current_language())
        self.activated.connect(lambda _index: self.language_chosen.emit(self.language()))

    def language(self) -> str:
        return str(self.currentData())

    def set_language(self, code: str) -> None:
        index = self.findData(code)
        self.setCurrentIndex(max(index, 0))
