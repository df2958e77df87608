"""A position: typed in decimal degrees, degrees-minutes-seconds or MGRS, read by the domain's
``parse_geopoint``, shown back in all three notations with its precision in metres.

The answer keeps the text as typed: a draft reopens with the position in the notation it was
entered in, and the precision box stays empty when the precision came from that notation."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, ClassVar

from PySide6.QtCore import QLocale, Qt
from PySide6.QtGui import QDoubleValidator
from PySide6.QtWidgets import QGridLayout, QLabel, QLineEdit, QWidget

from fieldkit.domain.forms import FieldDef
from fieldkit.domain.geo import GeoError, GeoPoint, geopoint_from_value, parse_geopoint
from fieldkit.gui.bidi import isolate
from fieldkit.gui.forms.context import RenderContext, Unreadable
from fieldkit.gui.forms.fields_base import FieldInput
from fieldkit.i18n import _

MAX_PRECISION_M = 10_000_000.0


def mgrs_digits(precision_m: float | None) -> int:
    """How many MGRS digits per axis the precision justifies (5 is one metre)."""
    if not precision_m or precision_m <= 1:
        return 5
    return max(0, min(5, 5 - math.ceil(math.log10(precision_m))))


def notations(point: GeoPoint) -> str:
    try:
        grid = point.as_mgrs(mgrs_digits(point.precision_m))
    except Exception:  # mgrs has no grid near the poles
        grid = "—"
    lines = [
        _("Decimal: {value}").format(value=isolate(point.as_decimal())),
        _("DMS: {value}").format(value=isolate(point.as_dms())),
        _("MGRS: {value}").format(value=isolate(grid)),
    ]
    if point.precision_m is not None:
        lines.append(_("Precision: {metres} m").format(metres=isolate(f"{point.precision_m:,.1f}")))
    return "\n".join(lines)


def _inferred(text: str | None) -> float | None:
    """The precision that the typed text gives by itself (the precision box was left empty)."""
    if text is None:
        return None
    inferred: float | None = parse_geopoint(text).to_json().get("precision_m")  # as stored
    return inferred


class GeopointInput(FieldInput):
    """A position. An identifying one is typed as dots, its notations hidden, until revealed."""

    MASKS_ITSELF: ClassVar[bool] = True

    def __init__(self, ctx: RenderContext, field: FieldDef, parent: QWidget | None = None) -> None:
        super().__init__(ctx, field, parent)
        self._masked = False
        self.line = QLineEdit(self)
        self.line.setPlaceholderText(
            _("14.4974, -4.1942 or 14°29'51\"N 4°11'39\"W or 30PXC1234567890")
        )
        self.line.setReadOnly(ctx.read_only)
        self.line.textEdited.connect(self._typed)
        self.precision = QLineEdit(self)
        validator = QDoubleValidator(0.0, MAX_PRECISION_M, 1, self.precision)
        validator.setNotation(QDoubleValidator.Notation.StandardNotation)
        validator.setLocale(QLocale.c())
        self.precision.setValidator(validator)
        self.precision.setReadOnly(ctx.read_only)
        self.precision.textEdited.connect(self._typed)
        self.precision.setMaximumWidth(self.precision.fontMetrics().horizontalAdvance("0" * 14))
        self.precision_label = QLabel(_("Precision (m)"), self)
        self.precision_label.setBuddy(self.precision)
        self.shown = QLabel(self)
        self.shown.setTextFormat(Qt.TextFormat.PlainText)
        self.shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.shown.setWordWrap(True)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.line, 0, 0)
        layout.addWidget(self.precision_label, 0, 1)
        layout.addWidget(self.precision, 0, 2)
        layout.addWidget(self.shown, 1, 0, 1, 3)
        layout.setColumnStretch(0, 1)
        self.setFocusProxy(self.line)
        self._show(None)

    def _typed(self) -> None:
        value = self.raw_value()
        self._show(None if isinstance(value, Unreadable) or value is None else value)
        self.notify_edited()

    def _show(self, value: dict[str, Any] | None) -> None:
        if value is None:
            self.shown.setText("")
            self.shown.setVisible(False)
            return
        try:
            point = geopoint_from_value(value)
        except GeoError:
            self.shown.setText("")
            self.shown.setVisible(False)
            return
        self.shown.setText(notations(point))
        self.shown.setVisible(not self._masked)

    def _precision(self) -> float | Unreadable | None:
        text = self.precision.text().strip().replace(",", ".")
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            return Unreadable(_("Write the precision in metres, such as 25."))
        return value

    def raw_value(self) -> Any:
        text = self.line.text().strip()
        if not text:
            return None
        precision = self._precision()
        if isinstance(precision, Unreadable):
            return precision
        try:
            return replace(parse_geopoint(text, precision), text=text).to_json()
        except GeoError as exc:
            return Unreadable(exc.user_message)

    def set_value(self, stored: Any) -> None:
        text, precision = "", ""
        shown: dict[str, Any] | None = None
        if isinstance(stored, dict):
            try:
                point = geopoint_from_value(stored)
            except GeoError:
                text = str(stored.get("lat", "")) + ", " + str(stored.get("lon", ""))
            else:
                text = point.text or point.as_decimal()
                if point.precision_m is not None and point.precision_m != _inferred(point.text):
                    precision = f"{point.precision_m:.1f}".rstrip("0").rstrip(".")
                shown = point.to_json()
        elif stored is not None:
            text = str(stored)
        self.line.setText(text)
        self.precision.setText(precision)
        self._show(shown)

    def focus_widgets(self) -> list[QWidget]:
        return [self.line, self.precision]

    def set_revealed(self, revealed: bool) -> None:
        self._masked = not revealed
        self.line.setEchoMode(
            QLineEdit.EchoMode.Normal if revealed else QLineEdit.EchoMode.Password
        )
        self.shown.setVisible(revealed and bool(self.shown.text()))

    def set_accessible(self, name: str, description: str) -> None:
        super().set_accessible(name, description)
        self.precision.setAccessibleName(_("{field}: precision in metres").format(field=name))
        self.precision.setAccessibleDescription(
            _("Leave empty to use the precision of the notation you typed.")
        )
