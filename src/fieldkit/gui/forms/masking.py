"""Masking identifying answers until the user reveals them.

One rule for every identifying input: it is masked whenever it is not being edited. What is typed
(text, numbers, dates, moments, positions) is typed and shown as password dots; attachments hide
their thumbnails; a choice, a list of choices or a long text is covered by a row of dots while it
holds an answer (an empty one shows, to be answered). :class:`MaskedContent` holds the input and
the cover; the row's :class:`RevealButton` is a toggle that shows the content while it is on, so
the user can see what they type. Leaving the field (see :mod:`fieldkit.gui.forms.sections`), the
button, ``clear()``, closing or locking masks it again.

A masked row takes the height of what it shows: the one line of dots, not the hidden input (a
list of choices can be ten lines high).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QLabel, QStackedWidget, QToolButton, QWidget

from fieldkit.gui.forms.fields_base import FieldInput
from fieldkit.i18n import _

DOTS = "●" * 8


class RevealButton(QToolButton):
    """A per-field toggle: checked means revealed."""

    def __init__(self, field_label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._field_label = field_label
        self.setCheckable(True)
        self.setToolTip(
            _("Identifying answer: shown while this is on, hidden again when you leave the field.")
        )
        self.toggled.connect(self._retitle)
        self._retitle(False)

    def _retitle(self, revealed: bool) -> None:
        self.setText(_("Hide") if revealed else _("Reveal"))
        template = _("Hide {field}") if revealed else _("Reveal {field}")
        self.setAccessibleName(template.format(field=self._field_label))

    def set_revealed_quietly(self, revealed: bool) -> None:
        was = self.blockSignals(True)
        self.setChecked(revealed)
        self.blockSignals(was)
        self._retitle(revealed)


class MaskedContent(QStackedWidget):
    """An input that masks itself, or an input with a cover of dots shown while masked."""

    def __init__(self, field_input: FieldInput, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.input = field_input
        self.addWidget(field_input)
        self.cover: QLabel | None = None
        if not field_input.MASKS_ITSELF:
            self.cover = QLabel(
                _("{dots}  (identifying: press Reveal to see or change it)").format(dots=DOTS),
                self,
            )
            self.cover.setTextFormat(Qt.TextFormat.PlainText)
            self.cover.setAccessibleName(_("Hidden identifying answer"))
            self.addWidget(self.cover)
        self.revealed = False
        self.set_revealed(False)

    def set_revealed(self, revealed: bool) -> None:
        self.revealed = revealed
        if self.input.MASKS_ITSELF:
            self.input.set_revealed(revealed)
            self.setCurrentWidget(self.input)
        elif revealed or self.cover is None or not self.input.has_content():
            # An empty answer has nothing to hide: the user can fill it in at once.
            self.setCurrentWidget(self.input)
        else:
            self.setCurrentWidget(self.cover)
        self.updateGeometry()

    # A stacked widget is as large as its largest page; this one is as large as the page shown.

    def _shown(self) -> QWidget:
        return self.currentWidget() or self.input

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return self._shown().sizeHint()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return self._shown().minimumSizeHint()

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt's name
        return self._shown().hasHeightForWidth()

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt's name
        return self._shown().heightForWidth(width)

    @property
    def covered(self) -> bool:
        return self.cover is not None and self.currentWidget() is self.cover
