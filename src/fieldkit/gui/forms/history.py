"""The revision history of a record: number, sealed time (local), device, status, SHA-256 and
whether the signature verifies. A revision whose signature does not verify gets a clear warning."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from fieldkit.domain.records import STATUS_LABELS, RecordStatus
from fieldkit.gui.bidi import isolate
from fieldkit.i18n import _
from fieldkit.services.records import RevisionInfo

SHORT_HASH = 12
WARNING_STYLE = "color: #ffffff; background-color: #a00018; padding: 4px;"


def local_time(timestamp: str) -> str:
    """A UTC timestamp of the vault (``2026-11-25T10:42:00Z``) in this computer's local time."""
    try:
        moment = dt.datetime.fromisoformat(timestamp)
    except ValueError:
        return timestamp
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone()
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} (UTC{offset[:3]}:{offset[3:]})"


def status_text(status: str) -> str:
    try:
        return _(STATUS_LABELS[RecordStatus(status)])
    except ValueError:
        return status


def device_text(key_id: str, own_key_id: str | None, own_name: str) -> str:
    short = key_id[:8]
    if own_key_id is not None and key_id == own_key_id:
        name = own_name or _("this device")
        return _("{name} (key {key})").format(name=isolate(name), key=isolate(short))
    return _("another device (key {key})").format(key=isolate(short))


class RevisionHistory(QWidget):
    COLUMNS = 6

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.warning = QLabel(self)
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(WARNING_STYLE)
        self.warning.setTextFormat(Qt.TextFormat.PlainText)
        self.warning.setVisible(False)
        self.tree = QTreeWidget(self)
        self.tree.setRootIsDecorated(False)
        self.tree.setColumnCount(self.COLUMNS)
        self.tree.setHeaderLabels(
            [_("Revision"), _("Sealed"), _("Device"), _("Status"), _("SHA-256"), _("Signature")]
        )
        self.tree.setAccessibleName(_("Revision history"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.warning)
        layout.addWidget(self.tree)

    def show_revisions(
        self, revisions: list[RevisionInfo], own_key_id: str | None, own_name: str
    ) -> None:
        self.tree.clear()
        broken: list[int] = []
        for revision in revisions:
            valid = revision.signature_valid  # None: purged, nothing left to check it against
            if valid is False:
                broken.append(revision.number)
            status = status_text(revision.status)
            if revision.purged:
                status = _("{status}, content purged").format(status=status)
            item = QTreeWidgetItem(
                [
                    isolate(str(revision.number)),
                    isolate(local_time(revision.sealed_at)),
                    device_text(revision.key_id, own_key_id, own_name),
                    status,
                    revision.sha256[:SHORT_HASH] + "…",
                    _("not checked (purged)")
                    if valid is None
                    else _("valid")
                    if valid
                    else _("DOES NOT VERIFY"),
                ]
            )
            item.setToolTip(4, revision.sha256)
            item.setToolTip(2, revision.key_id)
            if valid is False:
                item.setForeground(5, QBrush(QColor("#a00018")))
                item.setToolTip(
                    5, _("The signature or the hash of this revision does not match its content.")
                )
            self.tree.addTopLevelItem(item)
        for column in range(self.COLUMNS):
            self.tree.resizeColumnToContents(column)
        if broken:
            numbers = isolate(", ".join(str(n) for n in broken))
            self.warning.setText(
                _(
                    "Warning: the signature of revision {numbers} does not verify. The revision "
                    "may have been altered or damaged; do not rely on it, and tell HQ."
                ).format(numbers=numbers)
            )
        self.warning.setVisible(bool(broken))

    def rows(self) -> list[list[str]]:
        items = [self.tree.topLevelItem(row) for row in range(self.tree.topLevelItemCount())]
        return [
            [item.text(column) for column in range(self.COLUMNS)]
            for item in items
            if item is not None
        ]

    def clear(self) -> None:
        self.tree.clear()
        self.warning.clear()
        self.warning.setVisible(False)
