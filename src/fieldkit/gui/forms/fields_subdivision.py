"""A region (ISO 3166-2 first-level subdivision) of the country answered in another field.

The list holds the regions of the country chosen in the field named by ``subdivision_of``,
named in the interface language and sorted by name; it is filled again whenever that answer
changes. Without a country the list is empty and says to choose the country first. The list
filters as the user types, and a typed name is matched as fieldkit matches place names
(accents, case and hyphens aside: "tillaberi" finds Tillabéri), or by its code ("ML-7").

When the user changes the country and the region chosen is not one of the new country's, the
region is dropped (the input emits ``dropped``). A stored record whose region does not fit its
country keeps it on show, with the domain's problem beside it, until someone corrects it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QCompleter, QLineEdit, QVBoxLayout, QWidget

from fieldkit.domain import places
from fieldkit.domain.forms import FieldDef
from fieldkit.gui.forms.context import RenderContext
from fieldkit.gui.forms.fields_base import FieldInput
from fieldkit.i18n import _

_UNSEEN = object()
"""The country before the input has seen any verdict (differs from every answer, None too)."""


class SubdivisionInput(FieldInput):
    def __init__(self, ctx: RenderContext, field: FieldDef, parent: QWidget | None = None) -> None:
        super().__init__(ctx, field, parent)
        self.country_field = field.subdivision_of or ""
        self._country: object = _UNSEEN
        self._value: str | None = None
        self._loaded = False
        """A stored answer was just shown: the next country seen is the record's, not a change."""
        self.regions: list[places.Subdivision] = []
        self.combo: QComboBox | None = None
        self.display: QLineEdit | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        if ctx.read_only:
            self.display = QLineEdit(self)
            self.display.setReadOnly(True)
            layout.addWidget(self.display)
            self.setFocusProxy(self.display)
            return
        combo = QComboBox(self)
        self.combo = combo
        combo.setEditable(True)
        combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        combo.setMaxVisibleItems(15)
        completer = QCompleter(combo.model(), combo)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        combo.setCompleter(completer)
        line = combo.lineEdit()
        if line is not None:
            line.editingFinished.connect(self._resolve_typed)
        combo.currentIndexChanged.connect(self._combo_changed)
        layout.addWidget(combo)
        self.setFocusProxy(combo)
        self._fill(None)

    # -- the list --------------------------------------------------------------------------------

    @property
    def country(self) -> str | None:
        """The alpha-3 code of the country the list is for (None: no country answered)."""
        return self._country if isinstance(self._country, str) else None

    def _fill(self, country: str | None) -> None:
        """The regions of ``country`` in the interface language, the answer (kept even when
        it is not one of them: a stored record's) selected."""
        self.regions = places.subdivisions(country, self.ctx.language) if country else []
        combo = self.combo
        if combo is None:
            return
        with self.quiet():
            combo.clear()
            combo.addItem("", None)
            for region in self.regions:
                combo.addItem(region.local_name, places.stored_subdivision(region.code))
            combo.setEnabled(bool(country) or self._value is not None)
            line = combo.lineEdit()
            if line is not None:
                line.setPlaceholderText(
                    _("Type to search…") if country else _("Choose the country first")
                )
            self._select(self._value)

    def _select(self, stored: str | None) -> None:
        combo = self.combo
        if combo is None:
            return
        with self.quiet():
            index = self._index_of(stored) if stored is not None else 0
            if index < 0:  # a region of another country, as stored: shown as it is
                found = places.subdivision(stored or "", self.ctx.language)
                combo.addItem(found.local_name if found else str(stored), stored)
                index = combo.count() - 1
            combo.setCurrentIndex(index)
            combo.setEditText(combo.itemText(index))

    def _index_of(self, stored: str) -> int:
        if self.combo is None:
            return -1
        code = places.short_code(stored).upper()
        for index in range(1, self.combo.count()):
            data = self.combo.itemData(index)
            if isinstance(data, str) and places.short_code(data) == code:
                return index
        return -1

    # -- reacting --------------------------------------------------------------------------------

    def follow(self, answer: Callable[[str], Any]) -> bool:
        stored = answer(self.country_field)
        country = places.short_code(stored) if isinstance(stored, str) and stored else None
        loaded, self._loaded = self._loaded, False
        if country == self._country:
            return False
        changed_by_user = not loaded and self._country is not _UNSEEN
        self._country = country
        value = self._value
        fits = value is None or (country is not None and places.is_first_level_of(value, country))
        dropped = changed_by_user and not fits and not self.ctx.read_only
        if dropped:
            self._value = None
        if self.display is not None:
            self._show_read_only()
        else:
            self._fill(country)
        if dropped:
            self.dropped.emit()
        return dropped

    def _combo_changed(self, index: int) -> None:
        if self.combo is None or self._quiet_depth:
            return  # filling the list or showing a stored answer
        data = self.combo.itemData(index)
        value = data if isinstance(data, str) else None
        if value != self._value:
            self._value = value
            self.notify_edited()

    def _resolve_typed(self) -> None:
        """After typing: take the region the text names (see :func:`places.match_subdivision`),
        else the only one whose name contains it, else go back to the answer."""
        combo = self.combo
        if combo is None:
            return
        text = combo.currentText().strip()
        current = combo.currentIndex()
        if text == combo.itemText(current):
            return
        if not text:
            combo.setCurrentIndex(0)
            return
        code = places.match_subdivision(self.country, text) if self.country else None
        index = self._index_of(code) if code else -1
        if index < 0:
            wanted = places.normalise_place(text)
            partial = [
                i
                for i in range(1, combo.count())
                if wanted in places.normalise_place(combo.itemText(i))
            ]
            index = partial[0] if len(partial) == 1 else -1
        if index < 0:
            combo.setEditText(combo.itemText(current))
            return
        combo.setCurrentIndex(index)
        combo.setEditText(combo.itemText(index))

    # -- value -----------------------------------------------------------------------------------

    def raw_value(self) -> Any:
        return self._value

    def set_value(self, stored: Any) -> None:
        with self.quiet():
            self._value = str(stored) if isinstance(stored, str) and stored else None
            self._loaded = True
            if self.display is not None:
                self._show_read_only()
            elif self.combo is not None:
                self._select(self._value)
                self.combo.setEnabled(self.country is not None or self._value is not None)

    def _show_read_only(self) -> None:
        if self.display is None:
            return
        found = places.subdivision(self._value, self.ctx.language) if self._value else None
        self.display.setText(found.local_name if found else (self._value or ""))

    def wipe(self) -> None:
        with self.quiet():
            self.set_value(None)
            if self.combo is not None:
                self.combo.clearEditText()
                self.combo.setCurrentIndex(0)

    def focus_widgets(self) -> list[QWidget]:
        if self.display is not None:
            return [self.display]
        return [self.combo] if self.combo is not None else []

    def set_accessible(self, name: str, description: str) -> None:
        self.setAccessibleName(name)
        self.setAccessibleDescription(description)
        for widget in self.focus_widgets():
            widget.setAccessibleName(name)
            widget.setAccessibleDescription(description)
        line = self.combo.lineEdit() if self.combo is not None else None
        if line is not None:
            line.setAccessibleName(name)
            line.setAccessibleDescription(description)
