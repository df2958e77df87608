"""The settings about sending over the network: automatically when headquarters can be reached,
or only when asked; and, when automatic, not on metered links (a phone's shared connection, a
satellite terminal billed by the megabyte). They are kept in the vault and read and written in
the task runner, like the purge policy."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from fieldkit.i18n import _
from fieldkit.services.sync import SyncSettings


class SyncSettingsBox(QWidget):
    """The choices, for a row of the settings form labelled "Sending over the network"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(_("Sending over the network"))
        self.loaded: SyncSettings | None = None
        """The settings in the vault, once read."""
        self.automatic = QRadioButton(_("Send automatically when headquarters can be reached"))
        self.automatic.setAccessibleName(_("Send automatically when headquarters can be reached"))
        self.manual = QRadioButton(_("Send only when I choose “Sync now”"))
        self.manual.setAccessibleName(_("Send only when I choose Sync now"))
        self.choice = QButtonGroup(self)
        self.choice.addButton(self.automatic)
        self.choice.addButton(self.manual)
        self.not_on_metered = QCheckBox(_("Not on metered links"))
        self.not_on_metered.setAccessibleName(_("Do not send automatically on metered links"))
        self.note = QLabel(
            _(
                "A metered link is one the system reports as billed by use, such as a phone's "
                "shared connection. “Sync now” sends on any link."
            )
        )
        self.note.setWordWrap(True)
        self.automatic.toggled.connect(self._follow)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.automatic)
        layout.addWidget(self.manual)
        layout.addWidget(self.not_on_metered)
        layout.addWidget(self.note)
        self.set_working(True)

    def show_settings(self, chosen: SyncSettings) -> None:
        self.loaded = chosen
        self.automatic.setChecked(chosen.automatic)
        self.manual.setChecked(not chosen.automatic)
        self.not_on_metered.setChecked(chosen.not_on_metered)
        self.set_working(False)

    def chosen(self) -> SyncSettings | None:
        """What the boxes say, or None before the vault's settings were read."""
        if self.loaded is None:
            return None
        return SyncSettings(
            automatic=self.automatic.isChecked(),
            not_on_metered=self.not_on_metered.isChecked(),
        )

    def changed(self) -> bool:
        chosen = self.chosen()
        return chosen is not None and chosen != self.loaded

    def set_working(self, working: bool) -> None:
        ready = not working and self.loaded is not None
        self.automatic.setEnabled(ready)
        self.manual.setEnabled(ready)
        self._follow()
        if not ready:
            self.not_on_metered.setEnabled(False)

    def _follow(self, *_args: object) -> None:
        self.not_on_metered.setEnabled(self.automatic.isEnabled() and self.automatic.isChecked())
