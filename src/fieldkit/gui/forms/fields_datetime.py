"""A date and time, in the computer's local time, stored with its UTC offset.

The user types ``2026-03-14 09:30`` (or presses "Now"); the answer is written as
``2026-03-14T09:30:00+01:00`` with the local offset of that moment. A stored answer keeps its own
offset and is given back unchanged while the user does not edit it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from PySide6.QtCore import QRegularExpression
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from fieldkit.domain.forms import FieldDef
from fieldkit.gui.forms.context import RenderContext, Unreadable
from fieldkit.gui.forms.fields_base import FieldInput
from fieldkit.i18n import _

_TYPING = r"^[0-9 T:+\-]{0,32}$"


def _offset_text(moment: dt.datetime) -> str:
    offset = moment.utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def _shown(moment: dt.datetime) -> str:
    """How a moment is written in the entry: local time without offset when it is local."""
    spec = "seconds" if moment.second else "minutes"
    local = moment.replace(tzinfo=None).astimezone()
    if local.utcoffset() == moment.utcoffset():
        return moment.replace(tzinfo=None).isoformat(sep=" ", timespec=spec)
    return moment.isoformat(sep=" ", timespec=spec)


class DateTimeInput(FieldInput):
    """A moment in local time. Identifying moments are typed and shown as dots until revealed."""

    MASKS_ITSELF: ClassVar[bool] = True

    def __init__(self, ctx: RenderContext, field: FieldDef, parent: QWidget | None = None) -> None:
        super().__init__(ctx, field, parent)
        self._stored: str | None = None
        self._stored_text = ""
        self.line = QLineEdit(self)
        self.line.setPlaceholderText(_("YYYY-MM-DD HH:MM"))
        self.line.setValidator(QRegularExpressionValidator(QRegularExpression(_TYPING), self.line))
        self.line.setReadOnly(ctx.read_only)
        self.line.textEdited.connect(self._typed)
        self.offset = QLabel(self)
        self.now_button = QPushButton(_("Now"), self)
        self.now_button.clicked.connect(self._now)
        self.now_button.setVisible(not ctx.read_only)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.line, 1)
        layout.addWidget(self.offset)
        layout.addWidget(self.now_button)
        self.setFocusProxy(self.line)
        self._show_offset()

    def _typed(self) -> None:
        self._show_offset()
        self.notify_edited()

    def _now(self) -> None:
        now = dt.datetime.now().astimezone().replace(second=0, microsecond=0)
        self.line.setText(_shown(now))
        self._typed()

    def _parsed(self) -> dt.datetime | None:
        text = self.line.text().strip()
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            return None
        # A moment typed without an offset is local time: it takes the local offset of that day.
        return moment if moment.tzinfo is not None else moment.astimezone()

    def _show_offset(self) -> None:
        moment = self._parsed() or dt.datetime.now().astimezone()
        self.offset.setText(_("local time, {offset}").format(offset=_offset_text(moment)))

    def raw_value(self) -> Any:
        text = self.line.text().strip()
        if not text:
            return None
        if self._stored is not None and text == self._stored_text:
            return self._stored
        moment = self._parsed()
        if moment is None:
            return Unreadable(_("Write the date and time as 2026-03-14 09:30."))
        return moment.isoformat()

    def set_value(self, stored: Any) -> None:
        self._stored = None
        self._stored_text = ""
        text = ""
        if stored is not None:
            try:
                moment = dt.datetime.fromisoformat(str(stored))
            except ValueError:
                text = str(stored)
            else:
                text = _shown(moment) if moment.tzinfo is not None else str(stored)
                self._stored, self._stored_text = str(stored), text
        self.line.setText(text)
        self._show_offset()

    def focus_widgets(self) -> list[QWidget]:
        return [self.line, self.now_button] if not self.ctx.read_only else [self.line]

    def set_revealed(self, revealed: bool) -> None:
        self.line.setEchoMode(
            QLineEdit.EchoMode.Normal if revealed else QLineEdit.EchoMode.Password
        )

    def set_accessible(self, name: str, description: str) -> None:
        super().set_accessible(name, description)
        self.now_button.setAccessibleName(_("{field}: now").format(field=name))
